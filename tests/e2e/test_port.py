"""A second server on a port that is already served must refuse to start, not share it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.support.server import Server


def test_busy_port_is_refused(server: Server, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "headwater", "serve",
        "--port", str(server.port),
        "--data-dir", str(tmp_path / "other"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{server.port}" in result.stderr
    assert not (tmp_path / "other").exists()  # refused before touching any storage


def test_data_dir_in_use_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    first = Server(data_dir, "--durability", "fast").start()
    try:
        command = [
            sys.executable, "-m", "headwater", "serve",
            "--port", str(Server(data_dir).port),
            "--data-dir", str(data_dir),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode != 0
        assert first.process is not None
        expected = f"headwater: data dir {data_dir} is in use by another Headwater (pid {first.process.pid})"
        assert result.stderr.strip() == expected  # one line, no traceback
    finally:
        first.stop()
