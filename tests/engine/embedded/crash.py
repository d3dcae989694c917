"""Kill -9 in the middle of a workload: the crash tests' child process and its acknowledgements."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def run_and_kill(script: str, data_dir: Path, durability: str, enough: Callable[[str], bool]) -> str:
    """Runs `script` (argv: data_dir, durability) until `enough(output so far)` (or 30 s, or its
    exit), kills it with SIGKILL and returns all it printed, also what was still in the pipe."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(data_dir), durability], stdout=subprocess.PIPE
    )
    assert child.stdout is not None
    text = ""
    deadline = time.monotonic() + 30
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while not enough(text) and time.monotonic() < deadline and child.poll() is None:
            if selector.select(timeout=1):
                text += os.read(child.stdout.fileno(), 65536).decode()
    os.kill(child.pid, signal.SIGKILL)
    text += child.stdout.read().decode()  # acknowledged before the kill, still in the pipe
    child.wait()
    assert child.returncode == -signal.SIGKILL
    return text
