"""The gateway's ports: a busy explicit port is refused before any storage is opened; the banner
names the endpoints and the root CA."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.e2e.iot.gateway import Gateway


def test_busy_explicit_port_is_refused(relaxed: Gateway, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "headwater", "serve", "--port", str(port),
        "--iot-port", str(relaxed.mtls), "--data-dir", str(tmp_path / "other"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{relaxed.mtls}" in result.stderr
    assert not (tmp_path / "other").exists()


def test_banner_names_the_endpoints(relaxed: Gateway) -> None:
    output = relaxed.server.output()
    assert f"mqtt://127.0.0.1:{relaxed.mqtt} (MQTT)" in output
    assert f"mqtts://127.0.0.1:{relaxed.mtls} (IoT MQTT, mutual TLS)" in output
    assert f"https://127.0.0.1:{relaxed.https} (IoT HTTPS publish, X.509)" in output
    assert f"IoT root CA {relaxed.root_ca}" in output
    assert Path(relaxed.root_ca).read_text().startswith("-----BEGIN CERTIFICATE-----")
