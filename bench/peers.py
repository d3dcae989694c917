"""The servers under test: how to install, start, probe and stop each, and how much memory it held.

Headwater runs from the project's venv. The peers are installed by the benchmark into bench/.peers/ (npm
packages kinesalite and kinesis-local; moto[server] into its own venv); a peer whose install or start fails
is skipped with the reason, never fatal. Every server gets a free loopback port, a fresh data directory, its
own process group (so its whole tree stops with it) and a log file under the run directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PEERS = BENCH / ".peers"
NODE_MODULES = PEERS / "node_modules"
MOTO_VENV = PEERS / "moto-venv"
HEADWATER_PYTHON = REPO / ".venv" / "bin" / "python"

NPM_PACKAGES = {"kinesalite": "3.3.3", "kinesis-local": "0.6.2"}
MOTO_REQUIREMENT = "moto[server]==5.2.5"


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    family: str  # "headwater" or the peer's name
    command: Callable[[int, Path], list[str]]
    env: Callable[[int, Path], dict[str, str]] = lambda port, data: {}
    cwd: Path | None = None
    health_path: str | None = None  # GET answering 200 when ready; otherwise a ListStreams probe


def _headwater(durability: str) -> Server:
    return Server(
        name=f"headwater-{durability}",
        family="headwater",
        command=lambda port, data: [
            str(HEADWATER_PYTHON),
            "-m",
            "headwater",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--durability",
            durability,
            "--limits",
            "off",
            "--region",
            "us-east-1",
        ],  # fmt: skip
        cwd=REPO,
        health_path="/_headwater/health",
    )


def _kinesalite(leveldb: bool) -> Server:
    return Server(
        name="kinesalite-leveldb" if leveldb else "kinesalite-memory",
        family="kinesalite",
        command=lambda port, data: (
            ["node", str(BENCH / "kinesalite_launch.js"), str(port)]
            + ([str(data / "leveldb")] if leveldb else [])
        ),
        env=lambda port, data: {"NODE_PATH": str(NODE_MODULES)},
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


KINESIS_LOCAL = Server(
    name="kinesis-local",
    family="kinesis-local",
    command=lambda port, data: ["node", str(NODE_MODULES / "kinesis-local" / "main.js")],
    env=lambda port, data: {
        "KINESIS_MOCK_PLAIN_PORT": str(port),
        "KINESIS_MOCK_TLS_PORT": str(_free_port()),
        "KINESIS_MOCK_CERT_PATH": str(NODE_MODULES / "kinesis-local" / "server.json"),
        "LOG_LEVEL": "WARN",  # its default INFO logs every request; the others log nothing per request
        "CREATE_STREAM_DURATION": "50ms",
        "REGISTER_STREAM_CONSUMER_DURATION": "50ms",
        "SHARD_LIMIT": "100",
    },
    cwd=NODE_MODULES / "kinesis-local",
)

MOTO = Server(
    name="moto",
    family="moto",
    command=lambda port, data: [str(MOTO_VENV / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
)

ALL_SERVERS = [
    _headwater("durable"),
    _headwater("fast"),
    _kinesalite(leveldb=False),
    _kinesalite(leveldb=True),
    KINESIS_LOCAL,
    MOTO,
]


def _run(cmd: list[str], log: Path, timeout: float) -> str | None:
    """Run an install step; None on success, else the reason."""
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        try:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, cwd=PEERS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{cmd[0]}: {exc}"
    return None if done.returncode == 0 else f"`{' '.join(cmd[:4])}...` exited {done.returncode} (see {log})"


def install_peers(wanted: set[str]) -> dict[str, str]:
    """Install the peers' packages if missing; returns {family: reason} for those that could not be."""
    PEERS.mkdir(parents=True, exist_ok=True)
    log = PEERS / "install.log"
    failed: dict[str, str] = {}
    npm_wanted = [p for p in NPM_PACKAGES if p in wanted and not (NODE_MODULES / p / "package.json").exists()]
    if npm_wanted:
        specs = [f"{p}@{NPM_PACKAGES[p]}" for p in npm_wanted]
        reason = _run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(PEERS), *specs], log, 600)
        for p in npm_wanted:
            if not (NODE_MODULES / p / "package.json").exists():
                failed[p] = reason or "npm install did not produce the package"
    if "moto" in wanted and not (MOTO_VENV / "bin" / "moto_server").exists():
        reason = _run([sys.executable, "-m", "venv", str(MOTO_VENV)], log, 300) or _run(
            [str(MOTO_VENV / "bin" / "pip"), "install", "-q", MOTO_REQUIREMENT], log, 900
        )
        if reason:
            failed["moto"] = reason
    return failed


def peer_versions() -> dict[str, str]:
    versions = {p: v for p, v in NPM_PACKAGES.items() if (NODE_MODULES / p).exists()}
    if (MOTO_VENV / "bin" / "moto_server").exists():
        versions["moto"] = MOTO_REQUIREMENT.split("==")[1]
    return versions


def _tree(root: int) -> list[int]:
    """The process and all its descendants (via /proc/<pid>/task/<tid>/children)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return pids


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class MemorySampler:
    """Peak RSS of a process tree: the sum over its processes of each one's VmHWM (its own peak)."""

    pid: int
    interval: float = 0.25
    hwm_kb: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        for pid in _tree(self.pid):
            hwm = _status_kb(pid, "VmHWM")
            if hwm:
                self.hwm_kb[pid] = max(hwm, self.hwm_kb.get(pid, 0))

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.sample()

        self.sample()
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        """Stop sampling; the peak in MB (10^6 bytes; /proc counts KiB)."""
        self.sample()
        self._stop.set()
        if self._thread:
            self._thread.join()
        return sum(self.hwm_kb.values()) * 1024 / 1e6


class Running:
    """A started server: its port, process, log and memory sampler."""

    def __init__(self, server: Server, workdir: Path) -> None:
        self.server = server
        self.port = _free_port()
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
        self.memory = MemorySampler(self.proc.pid)

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
            url = f"http://127.0.0.1:{self.port}{self.server.health_path}"
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
        peak = self.memory.stop() if self.memory._thread else 0.0
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return peak
