"""The README's IoT demo (examples/iot_pipeline.py) runs as the README says, against a fresh server
started with the flags the README gives: device -> rule -> Firehose -> Parquet in S3 -> DuckDB."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.support.server import TEST_FLAGS, Server, free_port

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "iot_pipeline.py"
SERVE = "headwater serve --mqtt-port 1883 --iot-mode relaxed --test-mode on"


def test_the_readme_shows_how_to_run_the_demo() -> None:
    readme = (ROOT / "README.md").read_text()
    assert SERVE in readme and "python examples/iot_pipeline.py" in readme
    assert SERVE in SCRIPT.read_text()  # the script's own usage says the same


def test_the_demo_prints_the_hot_readings_from_parquet(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    mqtt = free_port()
    # the README's flags; TEST_FLAGS keep the gateway's default ports closed for parallel servers
    server = Server(data_dir, *TEST_FLAGS, "--mqtt-port", str(mqtt), "--iot-mode", "relaxed").start()
    try:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--endpoint", server.endpoint, "--mqtt", f"127.0.0.1:{mqtt}"],
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
