"""Keeps the server's resident memory flat under large requests (glibc only; a no-op elsewhere).

GetRecords and PutRecords move 10 MiB bodies through several short-lived buffers. glibc's malloc
raises its mmap threshold after such frees and then keeps those blocks in the heap for good, and
each thread (SQLite writer, checkpointer, HTTP runtime) may grow an arena of its own. Pinning the
threshold sends large buffers back to the kernel when freed, and capping arenas bounds the rest.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
LARGE = 256 * 1024


def tune_allocator() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE)) and bool(mallopt(M_ARENA_MAX, 2))
