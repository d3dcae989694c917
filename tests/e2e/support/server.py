"""Starts `headwater serve` as a real process on a free loopback port, for end-to-end tests: the
session's shared server (conftest.py), a module's own (`serving`) or a test's (`running`, `Server`)."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

TEST_FLAGS = ("--limits", "off", "--test-mode", "on", "--transition-delay", "0")
# every test server keeps the device gateway's default ports (8883, 443, 8443) closed: parallel servers
# would race for them; the IoT tests give theirs in their own flags, which come after these
GATEWAY_CLOSED = ("--iot-port", "0", "--iot-alpn-port", "0", "--iot-https-port", "0")
DURABLE = ("--durability", "durable", *TEST_FLAGS)  # every write on disk before it is acknowledged
FAST = ("--durability", "fast", *TEST_FLAGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    scheme = "http"
    ssl_context: ssl.SSLContext | None = None  # what the admin calls (urllib) trust over TLS

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.args = args
        self.env = env or {}
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        command = [
            sys.executable, "-m", "headwater", "serve",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            *GATEWAY_CLOSED,
            *self.args,
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env.update(self.env)
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.output()}")
            try:
                health = f"{self.endpoint}/_headwater/health"
                with urllib.request.urlopen(health, timeout=1, context=self.ssl_context) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not become healthy: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        return (self.data_dir.parent / f"server-{self.port}.log").read_text(errors="replace")[-4000:]

    def admin(self, method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        data = json.dumps(body).encode() if body is not None else b""
        request = urllib.request.Request(
            f"{self.endpoint}/_headwater/{path}", data=data or None, method=method
        )
        with urllib.request.urlopen(request, timeout=10, context=self.ssl_context) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self.admin("POST", "reset")

    def advance(self, seconds: float) -> None:
        self.admin("POST", "clock", {"advance": seconds})

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


class TlsServer(Server):
    """A server started with `--tls on`: HTTPS with its self-signed certificate (not verified)."""

    scheme = "https"
    ssl_context = ssl._create_unverified_context()


def durable_server(data_dir: Path, *flags: str) -> Server:
    """A server (not started) that acknowledges only what is on disk, for restart tests."""
    return Server(data_dir, *DURABLE, *flags)


@contextmanager
def running(data_dir: Path, *flags: str, exits_cleanly: bool = False) -> Iterator[Server]:
    """A server on `data_dir` with `flags` (default DURABLE) for the block; with `exits_cleanly`
    its exit status after the block must be 0 (it flushed everything)."""
    server = Server(data_dir, *(flags or DURABLE)).start()
    try:
        yield server
    finally:
        code = server.stop()
        if exits_cleanly:
            assert code == 0


@contextmanager
def serving(
    tmp_path_factory: pytest.TempPathFactory, name: str, flags: str, kind: type[Server] = Server
) -> Iterator[Server]:
    """A server with its own fresh data directory and the given space-separated flags, stopped when
    the block ends (module and session fixtures)."""
    data_dir = tmp_path_factory.mktemp(name) / "data"
    data_dir.mkdir()
    running = kind(data_dir, *flags.split()).start()
    try:
        yield running
    finally:
        running.stop()


def server_fixture(name: str, flags: str, *, kind: type[Server] = Server, scope: str = "module") -> Any:
    """A fixture (module-scoped unless told) running a server of its own with these flags:
    `limited = server_fixture("limits", "--limits on ...")` in a test module."""

    @pytest.fixture(scope=scope)  # type: ignore[call-overload]
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
        with serving(tmp_path_factory, name, flags, kind) as running:
            yield running

    return fixture
