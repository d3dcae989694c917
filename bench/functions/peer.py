"""ministack, the peer: PyPI `ministack` in its own venv under bench/.peers, run as a local server.

It runs Lambda functions as local subprocesses (LAMBDA_EXECUTOR=local, its default) with a warm pool, so
no Docker is needed. Settings: GATEWAY_PORT (its port), BIND_HOST=127.0.0.1 (its default is every
interface), LOG_LEVEL=WARNING (its default logs every request), state in memory (its default).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.common.peers import step
from bench.common.servers import HOST, PEERS, Server

VENV = PEERS / "ministack-venv"
VERSION = "1.5.33"
REQUIREMENT = f"ministack=={VERSION}"
_STAMP = VENV / "bench-requirement.txt"


def _env(port: int, data: Path) -> dict[str, str]:
    return {
        "GATEWAY_PORT": str(port),
        "BIND_HOST": HOST,
        "LAMBDA_EXECUTOR": "local",
        "LOG_LEVEL": "WARNING",
        "TMPDIR": str(data),
        "S3_DATA_DIR": str(data / "s3"),
    }


MINISTACK = Server(
    name="ministack",
    family="ministack",
    command=lambda port, data: [str(VENV / "bin" / "ministack")],
    env=_env,
    health_path="/_ministack/health",
)


def install_ministack() -> str | None:
    """None when bench/.peers/ministack-venv runs ministack (made if missing), else why not."""
    if (VENV / "bin" / "ministack").exists() and _STAMP.exists() and _STAMP.read_text() == REQUIREMENT:
        return None
    PEERS.mkdir(parents=True, exist_ok=True)
    reason = step([sys.executable, "-m", "venv", "--clear", str(VENV)], 300) or step(
        [str(VENV / "bin" / "pip"), "install", "-q", REQUIREMENT], 900
    )
    if reason:
        return reason
    _STAMP.write_text(REQUIREMENT)
    return None


def ministack_version() -> dict[str, str]:
    return {"ministack": VERSION} if (VENV / "bin" / "ministack").exists() else {}
