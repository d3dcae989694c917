"""Max Memory Used: the peak resident set of a worker's process tree, from /proc (Linux).

Each process's VmHWM is its own peak RSS; the tree's figure is their sum (an upper bound of the
tree's true peak, which is what a REPORT line should not understate). Elsewhere it reads 0.
"""

from __future__ import annotations

import os

# read on every invocation's REPORT: plain os calls on bytes, a fraction of pathlib's cost
_STATUS_SIZE = 16 * 1024


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, _STATUS_SIZE)
    finally:
        os.close(fd)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found.extend(int(child) for child in _read(f"/proc/{pid}/task/{task}/children").split())
    except (OSError, ValueError):
        pass
    return found


def _peak_kb(pid: int) -> int:
    try:
        text = _read(f"/proc/{pid}/status")
        at = text.index(b"VmHWM:")
        return int(text[at + 6 : text.index(b"kB", at)])
    except (OSError, ValueError):
        return 0


def peak_rss_mb(pid: int) -> int:
    total, todo = 0, [pid]
    seen: set[int] = set()
    while todo and len(seen) < 256:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _peak_kb(current)
        todo.extend(_children(current))
    return (total + 1023) // 1024
