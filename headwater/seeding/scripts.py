"""Init scripts: a folder's programs, run once the server answers, each at most once per content.

Which files: executable files, and `*.sh` (run with `sh`) and `*.py` (run with this Python, which
has botocore; boto3 if installed) even without the executable bit, in name order; anything else in
the folder (a README, a seed file) is not a script. Each runs in its folder with the user's
environment plus `AWS_ENDPOINT_URL` (the server), `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
(`test`) and `AWS_DEFAULT_REGION` (the server's region), so the AWS CLI and the SDKs reach this
server unchanged. Its output goes to the server log line by line, prefixed with its name.

Once per content: a script that exits 0 is recorded in the metadata store (namespace
`seed.scripts`, keyed by its resolved path, valued by the SHA-256 of its content), and a later
start skips it while its content is unchanged. A failing script is logged with its exit code and
not recorded (it runs again at the next start); the server keeps running and the next scripts
run. A reset drops the records with the rest of the state, so the next start runs every script.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from headwater.engine.api import MetaStore

NAMESPACE = "seed.scripts"
log = logging.getLogger("headwater.seed")


def scripts_in(folder: Path) -> list[Path]:
    """The scripts of `folder`, in name order."""
    found = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix in (".sh", ".py") or os.access(path, os.X_OK):
            found.append(path)
    return found


def command(script: Path) -> list[str]:
    if os.access(script, os.X_OK):
        return [str(script.resolve())]
    if script.suffix == ".py":
        return [sys.executable, str(script.resolve())]
    return ["sh", str(script.resolve())]


def environment(endpoint: str, region: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=region,
    )
    env.pop("AWS_PROFILE", None)  # a profile's keys or endpoint would take the script elsewhere
    return env


async def run_scripts(scripts: list[Path], env: Mapping[str, str], meta: MetaStore) -> None:
    for script in scripts:
        try:
            content = script.read_bytes()
        except OSError as exc:
            log.error("init script %s: cannot read it: %s", script, exc)
            continue
        digest = hashlib.sha256(content).hexdigest().encode()
        key = str(script.resolve())
        if meta.get(NAMESPACE, key) == digest:
            log.info("init script %s: ran before with this content, skipped", script.name)
            continue
        code = await _run(script, env)
        if code == 0:
            await meta.put(NAMESPACE, key, digest)
            log.info("init script %s: done", script.name)
        else:
            log.error("init script %s: failed with exit code %s", script.name, code)


async def _run(script: Path, env: Mapping[str, str]) -> int:
    log.info("init script %s: running", script.name)
    try:
        process = await asyncio.create_subprocess_exec(
            *command(script),
            cwd=script.parent,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops what it started
        )
    except OSError as exc:  # not a program the system can run (no #! line, wrong format)
        log.error("init script %s: cannot start it: %s", script.name, exc)
        return 126
    assert process.stdout is not None
    try:
        pending = b""
        while chunk := await process.stdout.read(65536):  # not readline: no limit on a line's length
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                log.info("[%s] %s", script.name, line.decode(errors="replace").rstrip())
        if pending:
            log.info("[%s] %s", script.name, pending.decode(errors="replace").rstrip())
        return await process.wait()
    finally:
        if process.returncode is None:  # the server is stopping: do not leave the script behind
            log.warning("init script %s: stopped with the server", script.name)
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            await process.wait()
