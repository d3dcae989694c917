"""Where each Kinesis shard of a mapping stands, durable in the metadata store.

A checkpoint is one of: ``{"after": <sequence number>}`` (the last record finished: delivered,
filtered out, or sent to the OnFailure destination), ``{"position": <reader position>}`` (where
a mapping that has finished nothing yet starts: LATEST or AT_TIMESTAMP fixed when it was
created, so a restart does not move it), or ``{"end": true}`` (the shard is closed and read to its
end: its children may start). A shard without one starts at TRIM_HORIZON (children always do).
"""

from __future__ import annotations

import json
from typing import Any

from headwater.engine.api import MetaStore

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
