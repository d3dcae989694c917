"""How a worker process is started: its code directory, command and environment, per runtime.

A worker's directory holds ``task/`` (the unzipped package: LAMBDA_TASK_ROOT, AWS's /var/task),
``opt/`` (layers, AWS's /opt: Python sees ``opt/python`` and its site-packages, Node.js
``opt/nodejs/node_modules``) and ``tmp/`` (TMPDIR). Python runtimes run AWS's own runtime interface
client, ``python -m awslambdaric <handler>``, under a matching interpreter where the machine has one
that can import it, else under the server's own (the log says which); awslambdaric and boto3 are
importable after the function's own code and layers, as AWS's /var/runtime is. ``provided``
runtimes run the package's ``bootstrap``; Node.js runtimes run AWS's npm ``aws-lambda-ric`` with
``node`` (HEADWATER_NODE_RIC names its folder, else npm's global one).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

log = logging.getLogger("headwater.services.functions")

PYTHON_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13")
PROVIDED_RUNTIMES = ("provided.al2023", "provided.al2", "provided")
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x")
RUNTIMES = PYTHON_RUNTIMES + PROVIDED_RUNTIMES + NODE_RUNTIMES
# the packages AWS's Python runtimes provide beside the function's own code
RUNTIME_PACKAGES = ("awslambdaric", "simplejson", "snapshot_restore_py", "boto3", "botocore")


class LaunchError(Exception):
    """The worker cannot start; `error_type` and `message` are what the invocation answers."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True, slots=True)
class Launch:
    command: list[str]
    env: dict[str, str]
    cwd: Path


def unpack(package: bytes, root: Path) -> Path:
    """Unzips a package into `root`/task (keeping the executable bits), with `opt` and `tmp`
    beside it; returns the task directory."""
    task = root / "task"
    for sub in (task, root / "opt", root / "tmp"):
        sub.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(BytesIO(package)) as archive:
        for info in archive.infolist():
            target = (task / info.filename).resolve()
            if not target.is_relative_to(task.resolve()):
                continue  # an entry that would escape the task directory is skipped
            archive.extract(info, task)
            mode = info.external_attr >> 16
            if mode & 0o111 and not info.is_dir():
                target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return task


def launch(runtime: str, handler: str, root: Path, env: dict[str, str]) -> Launch:
    task, opt = root / "task", root / "opt"
    env = {**env, "LAMBDA_TASK_ROOT": str(task), "TMPDIR": str(root / "tmp"), "HOME": str(root / "tmp")}
    if runtime in PYTHON_RUNTIMES:
        version = runtime.removeprefix("python")
        python, runtime_dirs = interpreter(version)
        paths = [str(task), str(opt / "python"), str(opt / "python/lib" / f"python{version}/site-packages")]
        env["PYTHONPATH"] = os.pathsep.join([*paths, *runtime_dirs])
        env["LAMBDA_RUNTIME_DIR"] = runtime_dirs[0] if runtime_dirs else str(Path(python).parent)
        env["PYTHONUNBUFFERED"] = "1"
        return Launch([python, "-m", "awslambdaric", handler], env, task)
    if runtime in PROVIDED_RUNTIMES:
        for bootstrap in (task / "bootstrap", opt / "bootstrap"):
            if bootstrap.is_file() and os.access(bootstrap, os.X_OK):
                env["LAMBDA_RUNTIME_DIR"] = str(opt)
                return Launch([str(bootstrap)], env, task)
        raise LaunchError(
            "Runtime.InvalidEntrypoint",
            f"Couldn't find valid bootstrap(s): [{task / 'bootstrap'} {opt / 'bootstrap'}]",
        )
    if runtime in NODE_RUNTIMES:
        ric = node_ric()
        node = shutil.which("node")
        if ric is None or node is None:
            raise LaunchError(
                "Runtime.InvalidRuntime",
                f"Headwater cannot run {runtime} here: it needs node and the npm package aws-lambda-ric "
                "(npm install -g aws-lambda-ric, or HEADWATER_NODE_RIC=<its folder>).",
            )
        modules = [str(task / "node_modules"), str(opt / "nodejs/node_modules"), str(ric.parent)]
        env["NODE_PATH"] = os.pathsep.join(modules)
        env["LAMBDA_RUNTIME_DIR"] = str(ric)
        return Launch([node, str(ric / "index.mjs"), handler], env, task)
    raise LaunchError("Runtime.InvalidRuntime", f"Headwater cannot run the {runtime} runtime yet.")


@functools.cache
def node_ric() -> Path | None:
    """The aws-lambda-ric package folder: HEADWATER_NODE_RIC, else npm's global modules."""
    named = os.environ.get("HEADWATER_NODE_RIC")
    candidates = [Path(named)] if named else []
    npm = shutil.which("npm")
    if npm and not named:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            root = subprocess.run(
                [npm, "root", "-g"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
            candidates.append(Path(root) / "aws-lambda-ric")
    for candidate in candidates:
        if (candidate / "index.mjs").is_file():
            log.info("Node.js functions run aws-lambda-ric from %s", candidate)
            return candidate
    return None


@functools.cache
def runtime_dirs() -> tuple[str, ...]:
    """The directories the runtime packages are imported from in this server's environment."""
    dirs: list[str] = []
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            if name in ("awslambdaric", "boto3"):
                log.warning("%s is not installed: Python functions cannot import it", name)
            continue
        origin = Path(spec.origin)
        base = origin.parent.parent if origin.name == "__init__.py" else origin.parent
        if str(base) not in dirs:
            dirs.append(str(base))
    return tuple(dirs)


@functools.cache
def interpreter(version: str) -> tuple[str, tuple[str, ...]]:
    """(interpreter, runtime dirs) for a Python version: `pythonX.Y` from PATH when it can import
    awslambdaric and boto3 with those dirs, else the server's own interpreter."""
    dirs = runtime_dirs()
    own = f"{sys.version_info.major}.{sys.version_info.minor}"
    if version == own:
        log.info("python%s functions run under %s", version, sys.executable)
        return sys.executable, dirs
    found = shutil.which(f"python{version}")
    if found:
        probe = subprocess.run(
            [found, "-c", "import awslambdaric, boto3"],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(dirs)},
            capture_output=True,
            timeout=30,
        )
        if probe.returncode == 0:
            log.info("python%s functions run under %s", version, found)
            return found, dirs
    log.warning(
        "no python%s that can run awslambdaric on this machine: python%s functions run under "
        "the server's Python %s (%s)",
        version,
        version,
        own,
        sys.executable,
    )
    return sys.executable, dirs
