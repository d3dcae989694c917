"""A server's memory, read from /proc over its whole process tree (peers such as LocalStack fork workers).

Two samplers on one loop: `PeakSampler` keeps each process's own VmHWM (peak) and sums them, which catches
spikes shorter than the interval; `RssSampler` records the tree's current VmRSS, for growth during a phase.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path


def tree(root: int) -> list[int]:
    """The process and all its descendants (via /proc/<pid>/task/<tid>/children)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return pids


def status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _mb(kib: int) -> float:
    return kib * 1024 / 1e6  # MB are 10^6 bytes; /proc counts KiB


class _Sampler:
    """Calls `sample()` on a daemon thread every `interval` seconds between `start` and `stop`."""

    def __init__(self, pid: int, interval: float) -> None:
        self.pid, self.interval = pid, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def sample(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.sample()

        self.sample()
        self._stop.clear()
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def _halt(self) -> None:
        self.sample()
        self._stop.set()
        if self._thread:
            self._thread.join()
            self._thread = None


class PeakSampler(_Sampler):
    """Peak RSS of a process tree: the sum over its processes of each one's VmHWM (its own peak)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(pid, interval)
        self.hwm_kb: dict[int, int] = {}

    def sample(self) -> None:
        for pid in tree(self.pid):
            hwm = status_kb(pid, "VmHWM")
            if hwm:
                self.hwm_kb[pid] = max(hwm, self.hwm_kb.get(pid, 0))

    def peak_mb(self) -> float:
        return _mb(sum(self.hwm_kb.values()))

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._halt()
        return self.peak_mb()


class RssSampler(_Sampler):
    """Current RSS (MB) of a process tree, sampled every `interval` seconds while started."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(pid, interval)
        self.samples: list[float] = []

    def now(self) -> float:
        return _mb(sum(status_kb(pid, "VmRSS") for pid in tree(self.pid)))

    def sample(self) -> None:
        self.samples.append(self.now())

    def start(self) -> None:
        self.samples = []
        super().start()

    def stop(self) -> float:
        """Stop; the peak over the samples taken since `start`."""
        self._halt()
        return max(self.samples)
