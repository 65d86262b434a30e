"""pasi_core/app/memory.py: the free pages of a large request go back to the system."""
from __future__ import annotations

import platform
from pathlib import Path

import pytest

from pasi_core.app.memory import LARGE_REQUEST_BYTES, is_large, release_free_memory


def resident_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="malloc_trim is glibc's")
def test_the_free_pages_of_a_fragmented_heap_are_returned():
    # 60 MB of blocks too large for Python's small-object allocator (so glibc holds them), one
    # in 64 kept: the freed blocks between them cannot go back until the heap is trimmed.
    blocks = [bytes(1000 + i % 7) for i in range(60_000)]
    kept = blocks[::64]
    del blocks
    before = resident_mib()
    assert release_free_memory()
    assert before - resident_mib() >= 30, (before, resident_mib())
    assert len(kept) == 938


@pytest.mark.parametrize(("length", "large"), [
    (str(LARGE_REQUEST_BYTES), True), (str(LARGE_REQUEST_BYTES - 1), False), ("", False),
    (None, False), ("not a number", False)])
def test_only_a_large_declared_body_counts_as_large(length, large):
    environ = {} if length is None else {"CONTENT_LENGTH": length}
    assert is_large(environ) is large
