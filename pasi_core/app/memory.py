"""Giving the memory of a large request back to the operating system.

A 10,000-record request briefly needs about 90 MB more than an idle worker (the parsed
request, then the batch's plain data and its rows).  Python frees it all, but glibc's allocator
keeps most freed pages mapped for reuse, so a worker that once served a large request stayed
30-90 MB larger than it needs to be (docs/benchmarks.md, "Memory").  ``malloc_trim(0)`` returns
the free pages; it costs a few milliseconds, so it runs only after a large request.
"""
from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

LARGE_REQUEST_BYTES = 1024 * 1024
"""A request body from this size on (about 2,400 exam marks) is followed by a trim."""


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


_MALLOC_TRIM = _find_malloc_trim()


def is_large(environ: dict) -> bool:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0) >= LARGE_REQUEST_BYTES
    except ValueError:
        return False


def release_free_memory() -> bool:
    """Return the allocator's free pages to the system; False where there is no malloc_trim."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True
