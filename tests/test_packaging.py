"""The package as `pip install .`, the Dockerfile and pipx install it: a wheel built from only the files the
Dockerfile copies, with no build warning, carrying its license and data files, installed into a fresh venv
whose `headwater` command serves and answers health.

The fresh venv gets the wheel alone (`--no-deps`); the dependencies come from this interpreter's
site-packages on PYTHONPATH, so the test needs no download beyond the build backend (pip's build isolation
fetches setuptools once, then its cache serves it). Nothing from the working tree is importable there:
the command runs from a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.e2e.support.server import free_port

ROOT = Path(__file__).resolve().parents[1]
DOCKER_COPIES = ("pyproject.toml", "README.md", "LICENSE", "headwater")


def copy_sources(target: Path) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name in DOCKER_COPIES:
        assert re.search(rf"^COPY .*\b{re.escape(name)}\b", dockerfile, re.M), f"the Dockerfile copies {name}"
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources, out = tmp_path_factory.mktemp("sources"), tmp_path_factory.mktemp("wheel")
    copy_sources(sources)
    pip = [sys.executable, "-m", "pip", "wheel", str(sources), "-w", str(out), "--no-deps", "-v"]
    built = subprocess.run(pip, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    build_log = built.stdout + built.stderr
    assert "Deprecat" not in build_log and "BuildBackendWarning" not in build_log, build_log[-3000:]
    (found,) = out.glob("headwater-*.whl")
    return found


def test_the_wheel_has_its_license_data_and_description(wheel: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        license_text = archive.read(next(n for n in names if n.endswith("/licenses/LICENSE"))).decode()
    assert license_text == (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0" in license_text
    assert f"License-Expression: {project['license']}" in metadata
    summary = next(line for line in metadata.splitlines() if line.startswith("Summary: "))
    assert all(service in summary for service in ("Kinesis", "SQS", "S3", "KMS", "STS")), summary
    data = {str(p.relative_to(ROOT)) for p in (ROOT / "headwater").rglob("*") if p.suffix == ".json"}
    assert data and data <= set(names), data - set(names)
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]


def test_the_installed_command_serves(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as failure:
        pytest.skip(f"cannot create a venv here: {failure}")
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)]
    installed = subprocess.run(install, capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    # the dependencies of this interpreter, after the venv's own site-packages (which has Headwater)
    env["PYTHONPATH"] = os.pathsep.join(
        sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
    )
    command = str(venv / "bin" / "headwater")
    helped = subprocess.run(
        [command, "serve", "--help"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert helped.returncode == 0 and "--data-dir" in helped.stdout, helped.stderr

    port = free_port()
    serve = [command, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")]
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(serve, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/_headwater/health", process, log)
        assert json.loads(health)["status"] == "running", health
        where = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import headwater; print(headwater.__file__)"],
            capture_output=True, text=True, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert where.stdout.startswith(str(venv)), where.stdout  # the installed copy, not the tree
    finally:
        process.terminate()
        process.wait(30)


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return bytes(response.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no health answer in {timeout} s: {log.read_text(errors='replace')[-3000:]}")
