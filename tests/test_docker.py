"""The container recipe: where a container engine runs, the image builds and serves; elsewhere this says
why it did not run (CI machines without a Docker daemon skip it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _engine() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "info"], capture_output=True, timeout=30)
    return docker if probe.returncode == 0 else None


DOCKER = _engine()
needs_engine = pytest.mark.skipif(DOCKER is None, reason="no container engine runs here (docker info fails)")


@needs_engine
def test_the_image_builds_and_serves() -> None:
    assert DOCKER is not None
    tag = f"headwater-test:{uuid.uuid4().hex[:8]}"
    subprocess.run([DOCKER, "build", "-t", tag, str(ROOT)], check=True, timeout=900)
    name = f"headwater-test-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(
            [DOCKER, "run", "-d", "--name", name, "-p", "127.0.0.1::4566", tag], check=True, timeout=60
        )
        port = (
            subprocess.run(
                [DOCKER, "port", name, "4566/tcp"], check=True, capture_output=True, text=True, timeout=30
            )
            .stdout.strip()
            .rsplit(":", 1)[1]
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_headwater/health", timeout=2
                ) as answer:
                    assert json.load(answer)["status"] == "running"
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        subprocess.run([DOCKER, "rm", "-f", name], capture_output=True, timeout=60)
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, timeout=60)
