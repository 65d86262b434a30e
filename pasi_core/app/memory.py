"""The memory of a serving process: the collector's schedule, and giving the memory of a large
request back to the operating system.

A 10,000-record request briefly needs about 90 MB more than an idle worker (the parsed
request, then the batch's plain data and its rows).  Python frees it all, but glibc's allocator
keeps most freed pages mapped for reuse, so a worker that once served a large request stayed
30-90 MB larger than it needs to be (docs/benchmarks.md, "Memory").  ``malloc_trim(0)`` returns
the free pages; it costs a few milliseconds, so it runs only after a large request.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
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
    """Whether the request declared a body of :data:`LARGE_REQUEST_BYTES` or more."""
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


COLLECTOR_THRESHOLDS = (10_000, 50, 50)
"""The cyclic collector's schedule while serving (Python's default is 700, 10, 10)."""


def freeze_start_up_heap() -> None:
    """Once the application is built: move everything alive into the collector's permanent
    generation, so a full collection during a large request scans what that request made, not
    the hundreds of thousands of objects of SQLAlchemy, spyne and the compiled schemas (each
    full collection cost 130-290 ms before; issue 10).

    Then collect less often.  A request's objects are nearly all acyclic and die with it, yet at
    the default schedule a 10,000-record request still ran about 490 young, 45 middle and 4-5
    full collections, 270-330 ms of its 2.4-2.9 s; at 10,000 / 50 / 50 it runs about 30 young
    ones and no full one (about 45 ms).  The garbage a cycle holds waits for at most 10,000
    allocations more (benchmarks/submit_breakdown.py, docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
