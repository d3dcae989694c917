"""Keeps the server's resident memory flat under large requests, without paying for it in page
faults (glibc only; a no-op elsewhere).

GetRecords and PutRecords move 10 MiB bodies through several short-lived buffers. glibc's malloc
raises its mmap threshold after such frees and then keeps those blocks in the heap for good, and
each thread (SQLite writer, checkpointer, HTTP runtime) may grow an arena of its own. Pinning the
threshold sends large buffers back to the kernel when freed, and capping arenas bounds the rest.

A threshold of 256 KiB made every buffer of that size or more a fresh mapping whose pages the
kernel faults in and zeroes one by one: an S3 upload passes each byte through ~2 such buffers (the
HTTP server's 512 KiB body chunks, the ciphertext) and a download through one (1 MiB reads), and 4
concurrent 64 MiB PUTs took ~450,000 faults per GiB, a third of the server's CPU. So the
threshold sits above those buffers (2 MiB; the 10 MiB Kinesis bodies still get mappings of their
own), and TOP_PAD stays free at the top of each arena (on growth, and when trimming), so that they
are carved from memory already faulted in: ~6,000 faults per GiB, for at most TOP_PAD more resident
memory per arena (two of them).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
LARGE = 2 * 1024 * 1024  # above the 1 MiB I/O buffers, below a 10 MiB Kinesis body
TOP_PAD = 16 * 1024 * 1024  # measured (256 KiB threshold): 4 MiB cut the faults by 60%, 16 MiB by 98%


def tune_allocator() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return (
        bool(mallopt(M_MMAP_THRESHOLD, LARGE))
        and bool(mallopt(M_ARENA_MAX, 2))
        and bool(mallopt(M_TOP_PAD, TOP_PAD))
    )
