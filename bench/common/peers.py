"""The peers every benchmark measures against: installed on first use into bench/.peers/, never fatal.

npm packages go to bench/.peers/node_modules, moto[server] into bench/.peers/moto-venv and LocalStack into
bench/.peers/localstack-venv; a peer whose install fails is skipped with the reason. LocalStack runs in host
mode, its runtime's own entry point (`python -m localstack.runtime.main`, what its Docker image runs), with
only the measured service loaded, on a loopback port. Getting there takes four things learnt by trying:

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
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from bench.common.servers import HOST, PEERS, Server

NODE_MODULES = PEERS / "node_modules"
MOTO_VENV = PEERS / "moto-venv"
MOTO_REQUIREMENT = "moto[server]==5.2.5"
LOCALSTACK_VENV = PEERS / "localstack-venv"
LOCALSTACK_VERSION = "2026.3.0"
LOCALSTACK_REQUIREMENTS = [
    f"localstack-core[base-runtime]=={LOCALSTACK_VERSION}",
    "cbor2<6",
    "pyopenssl==24.2.1",
    "service_identity",
]
_STAMP = LOCALSTACK_VENV / "bench-requirements.txt"
LOG = PEERS / "install.log"

MOTO = Server(
    name="moto",
    family="moto",
    command=lambda port, data: [str(MOTO_VENV / "bin" / "moto_server"), "-H", HOST, "-p", str(port)],
)


def localstack(service: str) -> Server:
    """LocalStack with just `service` loaded (its state in memory: persistence is a paid feature)."""

    def env(port: int, data: Path) -> dict[str, str]:
        return {
            "OVERRIDE_IN_DOCKER": "0",
            "SERVICES": service,
            "EAGER_SERVICE_LOADING": "1",  # load the service before it says ready, not on the first request
            "GATEWAY_LISTEN": f"{HOST}:{port}",
            "FILESYSTEM_ROOT": str(data / "localstack"),
            "SKIP_SSL_CERT_DOWNLOAD": "1",  # no network here; it falls back to a self-signed certificate
            "DISABLE_EVENTS": "1",  # no analytics
            "DNS_ADDRESS": "0",  # no DNS server
            "LS_LOG": "warn",  # its default logs a line per request; the other servers log none
        }

    return Server(
        name="localstack",
        family="localstack",
        command=lambda port, data: [str(LOCALSTACK_VENV / "bin" / "python"), "-m", "localstack.runtime.main"],
        env=env,
    )


def step(cmd: list[str], timeout: float) -> str | None:
    """Run one install step, output to the install log; None on success, else the reason."""
    with LOG.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        try:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, cwd=PEERS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{cmd[0]}: {exc}"
    return None if done.returncode == 0 else f"`{' '.join(cmd[:5])}...` exited {done.returncode} (see {LOG})"


def _install_npm(packages: dict[str, str], failed: dict[str, str]) -> None:
    missing = [p for p in packages if not (NODE_MODULES / p / "package.json").exists()]
    if not missing:
        return
    specs = [f"{p}@{packages[p]}" for p in missing]
    reason = step(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(PEERS), *specs], 600)
    for p in missing:
        if not (NODE_MODULES / p / "package.json").exists():
            failed[p] = reason or "npm install did not produce the package"


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


def _install_localstack(services: Collection[str]) -> str | None:
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
        reason = step([base, "-m", "venv", str(LOCALSTACK_VENV)], 300) or step(
            [str(python), "-m", "pip", "install", "-q", *LOCALSTACK_REQUIREMENTS], 900
        )
        if reason:
            return reason
        _STAMP.write_text(wanted)
    # Import what the runtime loads at start: a broken install fails here with a readable reason.
    modules = ["localstack.aws.components"] + [f"localstack.services.{s}.provider" for s in services]
    if step([str(python), "-c", "import " + ", ".join(modules)], 120):
        return f"LocalStack's {'/'.join(services)} provider does not import (see {LOG})"
    return None


def install(
    wanted: set[str], npm: dict[str, str] | None = None, services: Collection[str] = ()
) -> dict[str, str]:
    """Install the peer families in `wanted` if missing; {family: reason} for those that could not be.
    `npm`: package -> version (each package is a family); `services`: what LocalStack must serve."""
    PEERS.mkdir(parents=True, exist_ok=True)
    failed: dict[str, str] = {}
    _install_npm({p: v for p, v in (npm or {}).items() if p in wanted}, failed)
    if "moto" in wanted and not (MOTO_VENV / "bin" / "moto_server").exists():
        reason = step([sys.executable, "-m", "venv", str(MOTO_VENV)], 300) or step(
            [str(MOTO_VENV / "bin" / "pip"), "install", "-q", MOTO_REQUIREMENT], 900
        )
        if reason:
            failed["moto"] = reason
    if "localstack" in wanted and (reason := _install_localstack(services)):
        failed["localstack"] = reason
    return failed


def versions(families: Collection[str], npm: dict[str, str] | None = None) -> dict[str, str]:
    """The installed peers' versions, for the results' header."""
    out = {p: v for p, v in (npm or {}).items() if p in families and (NODE_MODULES / p).exists()}
    if "moto" in families and (MOTO_VENV / "bin" / "moto_server").exists():
        out["moto"] = MOTO_REQUIREMENT.split("==")[1]
    python = LOCALSTACK_VENV / "bin" / "python"
    if "localstack" in families and python.exists():
        try:
            py = subprocess.run([str(python), "--version"], capture_output=True, text=True, timeout=10)
            out["localstack-core"] = f"{LOCALSTACK_VERSION} ({py.stdout.strip()}, host mode, no Docker)"
        except OSError:
            out["localstack-core"] = LOCALSTACK_VERSION
    return out


@dataclass(frozen=True)
class Lineup:
    """A benchmark's servers (Headwater first, then its peers), the in-memory server for its client
    ceiling, and what installing its peers takes: npm packages, the services LocalStack must serve."""

    servers: list[Server]
    trivial: Server
    npm: dict[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = ()

    def install(self, wanted: set[str]) -> dict[str, str]:
        return install(wanted, self.npm, self.services)

    def versions(self) -> dict[str, str]:
        return versions({s.family for s in self.servers}, self.npm)
