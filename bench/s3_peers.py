"""The servers of the S3 benchmark: Headwater (durable, fast), moto and LocalStack's S3 without Docker.

Headwater and moto start as in the other benchmarks (bench/peers.py; moto from the same `moto[server]` venv,
which serves S3 in the same process as every other service). LocalStack is the SQS benchmark's install
(bench/sqs_peers.py: localstack-core in its own venv on Python >= 3.12, host mode, no Docker) started with
`SERVICES=s3`; its S3 keeps object bodies in spooled temporary files under its FILESYSTEM_ROOT (the run's
data directory) and everything else in memory.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from bench import sqs_peers
from bench.peers import MOTO, PEERS, REPO, Server, _headwater

LOCALSTACK = dataclasses.replace(
    sqs_peers.LOCALSTACK,
    env=lambda port, data: {**sqs_peers._localstack_env(port, data), "SERVICES": "s3"},
)

TRIVIAL = Server(
    name="trivial-s3",
    family="trivial",
    command=lambda port, data: [sys.executable, "-m", "bench.s3_trivial", "--port", str(port)],
    cwd=REPO,
)

ALL_SERVERS = [_headwater("durable"), _headwater("fast"), MOTO, LOCALSTACK]


def install(wanted: set[str]) -> dict[str, str]:
    """Install the peers in `wanted` (families) if missing; {family: reason} for those that could not be."""
    failed = sqs_peers.install(wanted)
    if "localstack" in wanted and "localstack" not in failed:
        python = sqs_peers.LOCALSTACK_VENV / "bin" / "python"
        log = PEERS / "install.log"
        with log.open("a") as out:  # its S3 provider imports more than its SQS one
            check = subprocess.run(
                [str(python), "-c", "import localstack.services.s3.provider"],
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=120,
            )
        if check.returncode:
            failed["localstack"] = f"its S3 provider does not import (see {log})"
    return failed


def versions() -> dict[str, str]:
    return sqs_peers.versions()


def data_filesystem(path: Path) -> str:
    """Which filesystem holds `path` (device and mount point), for the disk speed line."""
    try:
        out = subprocess.run(
            ["df", "--output=source,target,fstype", str(path)], capture_output=True, text=True, timeout=10
        )
        rows = out.stdout.strip().splitlines()
        return " ".join(rows[-1].split()) if len(rows) > 1 else "unknown"
    except OSError:
        return "unknown"
