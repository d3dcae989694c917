"""Where each Kinesis shard of a mapping stands, durable in the metadata store.

A checkpoint is one of: ``{"after": <sequence number>}`` (the last record finished: delivered,
filtered out, or sent to the OnFailure destination), ``{"position": <reader position>}`` (where
a mapping that has finished nothing yet starts: LATEST or AT_TIMESTAMP fixed when it was
created, so a restart does not move it), or ``{"end": true}`` (the shard is closed and read to its
end: its children may start). A shard without one starts at TRIM_HORIZON (children always do).
A tumbling window's start and state ride along with "after" while the window is open.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from headwater.engine.api import MetaStore

log = logging.getLogger("headwater.services.functions.mappings")
CHECKPOINTS = "functions.mapping-checkpoints"
INITIALIZED = "-initialized"


class Checkpoints:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta

    def get(self, uuid: str, shard_id: str) -> dict[str, Any]:
        raw = self.meta.get(CHECKPOINTS, f"{uuid}/{shard_id}")
        return {} if raw is None else dict(json.loads(raw))

    def ended(self, uuid: str, shard_id: str) -> bool:
        return bool(self.get(uuid, shard_id).get("end"))

    async def put(self, uuid: str, shard_id: str, value: dict[str, Any]) -> None:
        await self.meta.put(CHECKPOINTS, f"{uuid}/{shard_id}", json.dumps(value).encode())

    def initialized(self, uuid: str) -> bool:
        return self.meta.get(CHECKPOINTS, f"{uuid}/{INITIALIZED}") is not None

    async def mark_initialized(self, uuid: str) -> None:
        await self.meta.put(CHECKPOINTS, f"{uuid}/{INITIALIZED}", b"1")

    async def forget(self, uuid: str) -> None:
        prefix = f"{uuid}/"
        for key, _ in list(self.meta.scan(CHECKPOINTS)):
            if key.startswith(prefix):
                await self.meta.delete(CHECKPOINTS, key)


class Behind:
    """One shard's checkpoint, written behind its poller: `set` never waits, one write is in flight
    at a time and the newest value waiting replaces an older one. A checkpoint only ever names
    records that are finished, so a crash that loses the last writes delivers those records again
    and skips none; not waiting for each write halves a mapping's time per batch on a durable
    engine (measured: 7 ms a write against 8 ms an invoke)."""

    def __init__(self, checkpoints: Checkpoints, uuid: str, shard_id: str) -> None:
        self._checkpoints = checkpoints
        self._key = (uuid, shard_id)
        self._waiting: dict[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None

    def set(self, value: dict[str, Any]) -> None:
        self._waiting = value
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while self._waiting is not None:
            value, self._waiting = self._waiting, None
            try:
                await self._checkpoints.put(*self._key, value)
            except Exception:  # a write the engine refused: the next one carries the place
                log.exception("mapping %s shard %s: a checkpoint was not written", *self._key)

    async def flush(self) -> None:
        """Until every value set is written (a stop waits for it)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
