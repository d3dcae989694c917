"""What a running server says about itself: the health document (`GET /_headwater/health`,
`headwater status`) and the start-up banner drawn from it.

Resource counts come from each service's `resources()` (its in-memory registries). The bytes the
data dir holds take a walk of the directory (one file per large blob), so they are measured at most
every few seconds however often health is polled.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from headwater import __version__
from headwater.config import Config

USAGE_TTL_S = 10.0


class DiskUsage:
    """The bytes under a directory, measured again when the last figure is older than the TTL."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._bytes = 0
        self._at = -USAGE_TTL_S

    def bytes(self) -> int:
        now = time.monotonic()
        if now - self._at >= USAGE_TTL_S:
            self._bytes, self._at = _walk(self.root), now
        return self._bytes


def _walk(root: Path) -> int:
    total = 0
    stack = [str(root)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue  # removed while we looked
    return total


def counts(resources: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, int]]:
    return {
        service: {kind: len(names) for kind, names in kinds.items()} for service, kinds in resources.items()
    }


def storage(config: Config, usage: DiskUsage | None) -> dict[str, Any]:
    described: dict[str, Any] = {"durability": config.durability}
    if config.durability != "memory":
        described["data_dir"] = str(config.data_dir.resolve())
        if usage is not None:
            described["used_bytes"] = usage.bytes()
    return described


def banner(health: dict[str, Any], endpoints: list[str], config: Config) -> list[str]:
    """The start-up banner's lines."""
    store = health["storage"]
    where = f" ({store['data_dir']})" if "data_dir" in store else " (nothing on disk)"
    tls = health["tls"]
    lines = [
        f"Headwater {__version__} ready",
        f"  endpoint    {', '.join(endpoints)}",
        f"  services    {', '.join(health['services'])}",
        f"  resources   {describe_counts(health['resources']) or 'none yet'}",
        f"  storage     {store['durability']}{where}",
        f"  limits      {health['limits']}    auth {health['auth']}",
        f"  tls         {'on' if tls['enabled'] else 'off'}",
        f"  account     {config.account_id}    region {config.region}",
        f"  log         {config.log_level} ({config.log_format}); requests on logger headwater.requests",
    ]
    if tls["enabled"] and tls.get("certificate"):
        certificate = tls["certificate"]
        lines[6] = f"  tls         on, certificate {certificate}"
        lines.insert(
            7, f"              trust it with AWS_CA_BUNDLE={certificate} (or aws --ca-bundle {certificate})"
        )
    return lines


def describe_counts(counts: dict[str, dict[str, int]]) -> str:
    """`kinesis 2 streams, sqs 1 queues` (kinds with nothing in them left out)."""
    parts = [
        f"{service} {count} {kind}"
        for service, kinds in counts.items()
        for kind, count in kinds.items()
        if count
    ]
    return ", ".join(parts)
