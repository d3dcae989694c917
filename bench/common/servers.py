"""Server process control: what a server is (command, environment, readiness), and a started one.

Every server gets a free loopback port, a fresh data directory, its own process group (so its whole tree
stops with it), a log file under the run directory and a sampler of its peak memory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from bench.common.memory import PeakSampler

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
PEERS = BENCH / ".peers"
HEADWATER_PYTHON = REPO / ".venv" / "bin" / "python"
HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    family: str  # "headwater", "trivial" or the peer's name: what gets installed
    command: Callable[[int, Path], list[str]]
    env: Callable[[int, Path], dict[str, str]] = lambda port, data: {}
    cwd: Path | None = None
    health_path: str | None = None  # GET answering 200 when ready; otherwise the benchmark's probe


def headwater_args(port: int, data: Path, durability: str, known: Collection[str] | None = None) -> list[str]:
    """`serve` flags for a benchmark run; `known`: the flags an older checkout has (others are left out,
    so a baseline from before a flag existed still starts, with that setting at its default)."""
    pairs = [
        ("--port", str(port)),
        ("--data-dir", str(data)),
        ("--durability", durability),
        ("--limits", "off"),
        ("--region", "us-east-1"),
    ]
    return [part for flag, value in pairs if known is None or flag in known for part in (flag, value)]


def headwater(
    durability: str, name: str = "", checkout: Path = REPO, known: Collection[str] | None = None
) -> Server:
    """Headwater from `checkout`: `python -m headwater` with that cwd imports the checkout's own package."""
    return Server(
        name=name or f"headwater-{durability}",
        family="headwater",
        command=lambda port, data: [
            str(HEADWATER_PYTHON),
            "-m",
            "headwater",
            "serve",
            *headwater_args(port, data, durability, known),
        ],
        cwd=checkout,
        health_path="/_headwater/health",
    )


def trivial(name: str, module: str) -> Server:
    """One of the benchmarks' own in-memory servers (the client ceilings)."""
    return Server(
        name=name,
        family="trivial",
        command=lambda port, data: [sys.executable, "-m", module, "--port", str(port)],
        cwd=REPO,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Running:
    """A started server: its port, process, log and memory sampler."""

    def __init__(self, server: Server, workdir: Path) -> None:
        self.server = server
        self.port = free_port()
        self.data = workdir / f"{server.name}-data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"{server.name}.log"
        env = {**os.environ, **server.env(self.port, self.data)}
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            server.command(self.port, self.data),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=server.cwd,
            start_new_session=True,
        )
        self.memory = PeakSampler(self.proc.pid)

    def wait_ready(self, timeout: float, probe: Callable[[int], bool]) -> str | None:
        """None when ready, else why not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"exited with {self.proc.returncode}: {self.log_tail()}"
            if self._ready(probe):
                self.memory.start()
                return None
            time.sleep(0.1)
        return f"not ready after {timeout:.0f} s: {self.log_tail()}"

    def _ready(self, probe: Callable[[int], bool]) -> bool:
        if self.server.health_path:
            url = f"http://{HOST}:{self.port}{self.server.health_path}"
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return False
        return probe(self.port)

    def log_tail(self, lines: int = 6) -> str:
        self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(line.strip()[:200] for line in text[-lines:])

    def stop(self) -> float:
        """Stop the whole process group; returns the peak RSS in MB."""
        peak = self.memory.stop() if self.memory.running else 0.0
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return peak
