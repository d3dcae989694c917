"""The README's IoT demo (examples/iot_pipeline.py) runs as the README says, against a fresh server
started with the flags the README gives: device -> rule -> Firehose -> Parquet in S3 -> DuckDB."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.support.server import TEST_FLAGS, Server, free_port

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "iot_pipeline.py"
SERVE = "headwater serve --mqtt-port 1883 --iot-mode relaxed --test-mode on"


def test_the_readme_shows_how_to_run_the_demo() -> None:
    readme = (ROOT / "README.md").read_text()
    assert SERVE in readme and "python examples/iot_pipeline.py" in readme
    assert SERVE in SCRIPT.read_text()  # the script's own usage says the same


@pytest.mark.parametrize("transport", ["plain", "mtls"])
def test_the_demo_prints_the_hot_readings_from_parquet(tmp_path: Path, transport: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    # the README's flags (TEST_FLAGS keep the gateway's default ports closed for parallel servers); over
    # mTLS the gateway in AWS mode, where each device's policy is enforced
    if transport == "plain":
        flags, devices = ["--mqtt-port", str(port), "--iot-mode", "relaxed"], ["--mqtt", f"127.0.0.1:{port}"]
    else:
        flags, devices = ["--iot-port", str(port), "--iot-mode", "aws"], ["--mtls", f"localhost:{port}"]
    server = Server(data_dir, *TEST_FLAGS, *flags).start()
    try:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--endpoint", server.endpoint, *devices],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{server.output()}"
    finally:
        server.stop()
    lines = done.stdout.splitlines()
    assert lines[0] == "published 60 readings, 24 above 25.0 C"
    rows = [re.split(r"\s+", line.strip()) for line in lines[2:]]
    assert [row[0] for row in rows] == ["sensor-1", "sensor-2", "sensor-3"]
    assert sum(int(row[1]) for row in rows) == 24
    assert all(float(row[2]) > 25.0 for row in rows)  # coolest of each device: the WHERE held
