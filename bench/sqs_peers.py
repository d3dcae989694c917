"""The servers of the SQS benchmark: Headwater (durable, fast), moto and LocalStack's SQS without Docker.

Headwater and moto start as in the Kinesis benchmark (bench/peers.py; moto from the same venv). LocalStack
runs from `localstack-core` installed by this module into bench/.peers/localstack-venv and started in host
mode, its runtime's own entry point (`python -m localstack.runtime.main`, what its Docker image runs), with
only SQS loaded, on a loopback port. Getting there takes four things learnt by trying:

- Python >= 3.12: localstack-core 2026.3.0 says `Requires-Python >=3.10` but its code uses PEP 695 generics
  (`class RegionBundle[BaseStoreType](dict)` in localstack/services/stores.py), a SyntaxError on 3.11.
- `cbor2<6`: its protocol parser imports `cbor2._decoder`, which cbor2 6 no longer has.
- `pyopenssl==24.2.1` (and so cryptography < 44): it generates its self-signed certificate with
  `X509.add_extensions`, gone from newer pyOpenSSL; plus `service_identity`, which its default gateway
  server (Twisted, with TLS) imports.
- `OVERRIDE_IN_DOCKER=0`: its container detection says yes in this sandbox, and it would then write under
  /var/lib/localstack; in host mode everything goes under FILESYSTEM_ROOT (the run's data directory).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from bench.peers import MOTO, MOTO_REQUIREMENT, PEERS, Server, _headwater, install_peers

LOCALSTACK_VENV = PEERS / "localstack-venv"
LOCALSTACK_VERSION = "2026.3.0"
LOCALSTACK_REQUIREMENTS = [
    f"localstack-core[base-runtime]=={LOCALSTACK_VERSION}",
    "cbor2<6",
    "pyopenssl==24.2.1",
    "service_identity",
]
_STAMP = LOCALSTACK_VENV / "bench-requirements.txt"


def _localstack_env(port: int, data: Path) -> dict[str, str]:
    return {
        "OVERRIDE_IN_DOCKER": "0",
        "SERVICES": "sqs",
        "EAGER_SERVICE_LOADING": "1",  # load SQS before it says ready, not on the first request
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "FILESYSTEM_ROOT": str(data / "localstack"),
        "SKIP_SSL_CERT_DOWNLOAD": "1",  # no network here; it falls back to a self-signed certificate
        "DISABLE_EVENTS": "1",  # no analytics
        "DNS_ADDRESS": "0",  # no DNS server
        "LS_LOG": "warn",  # its default logs a line per request; the other servers log none
    }


LOCALSTACK = Server(
    name="localstack",
    family="localstack",
    command=lambda port, data: [str(LOCALSTACK_VENV / "bin" / "python"), "-m", "localstack.runtime.main"],
    env=_localstack_env,
)

ALL_SERVERS = [_headwater("durable"), _headwater("fast"), MOTO, LOCALSTACK]


def python_for_localstack() -> str | None:
    """A working CPython >= 3.12: on PATH, or under pyenv's versions (its shims may be on PATH but inactive)."""
    candidates = [found for name in ("python3.13", "python3.12") if (found := shutil.which(name))]
    for root in filter(None, [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]):
        for minor in ("3.13", "3.12"):
            candidates += sorted(glob.glob(f"{root}/versions/{minor}.*/bin/python3"), reverse=True)
    for candidate in candidates:
        try:
            check = subprocess.run(
                [candidate, "-c", "import sys, venv; assert sys.version_info >= (3, 12)"],
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if check.returncode == 0:
            return candidate
    return None


def _run(cmd: list[str], log: Path, timeout: float) -> str | None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        try:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, cwd=PEERS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{cmd[0]}: {exc}"
    return None if done.returncode == 0 else f"`{' '.join(cmd[:5])}...` exited {done.returncode} (see {log})"


def install_localstack(log: Path) -> str | None:
    """Create the LocalStack venv if missing or stale; None when usable, else why not."""
    wanted = "\n".join(LOCALSTACK_REQUIREMENTS)
    python = LOCALSTACK_VENV / "bin" / "python"
    if not (python.exists() and _STAMP.exists() and _STAMP.read_text() == wanted):
        base = python_for_localstack()
        if base is None:
            return (
                "needs Python >= 3.12 (localstack-core uses PEP 695 syntax) and none was found "
                "(python3.13/python3.12 on PATH or under ~/.pyenv/versions)"
            )
        shutil.rmtree(LOCALSTACK_VENV, ignore_errors=True)
        reason = _run([base, "-m", "venv", str(LOCALSTACK_VENV)], log, 300) or _run(
            [str(python), "-m", "pip", "install", "-q", *LOCALSTACK_REQUIREMENTS], log, 900
        )
        if reason:
            return reason
        _STAMP.write_text(wanted)
    # Import what the runtime loads at start: a broken install fails here with a readable reason.
    return _run(
        [str(python), "-c", "import localstack.aws.components, localstack.services.sqs.provider"], log, 120
    )


def install(wanted: set[str]) -> dict[str, str]:
    """Install the peers in `wanted` (families) if missing; {family: reason} for those that could not be."""
    PEERS.mkdir(parents=True, exist_ok=True)
    failed = install_peers(wanted & {"moto"})
    if "localstack" in wanted and (reason := install_localstack(PEERS / "install.log")):
        failed["localstack"] = reason
    return failed


def versions() -> dict[str, str]:
    out: dict[str, str] = {}
    moto = PEERS / "moto-venv" / "bin" / "moto_server"
    if moto.exists():
        out["moto"] = MOTO_REQUIREMENT.split("==")[1]
    python = LOCALSTACK_VENV / "bin" / "python"
    if python.exists():
        try:
            py = subprocess.run([str(python), "--version"], capture_output=True, text=True, timeout=10)
            out["localstack-core"] = f"{LOCALSTACK_VERSION} ({py.stdout.strip()}, host mode, no Docker)"
        except OSError:
            out["localstack-core"] = LOCALSTACK_VERSION
    return out
