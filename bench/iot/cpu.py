"""CPU time of a process tree from /proc (utime + stime), for CPU per message on a shared machine."""

from __future__ import annotations

import os
from pathlib import Path

from bench.common.memory import tree


def process_cpu(pid: int) -> float:
    """utime + stime of `pid` and its descendants, in seconds."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
