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
