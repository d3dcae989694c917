"""Max Memory Used: the peak resident set of a worker's process tree, from /proc (Linux).

Each process's VmHWM is its own peak RSS; the tree's figure is their sum (an upper bound of the
tree's true peak, which is what a REPORT line should not understate). Elsewhere it reads 0.
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in (PROC / str(pid) / "task").iterdir():
            text = (task / "children").read_text()
            found.extend(int(child) for child in text.split())
    except OSError:
        pass
    return found


def _peak_kb(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
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
