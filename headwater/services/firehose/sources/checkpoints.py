"""Where a Kinesis source stands in each shard, durable in the metadata store (keyed by the
delivery stream's raw log partition, an id never reused, so a re-created delivery stream of the same
name starts afresh).

A shard's checkpoint is one of: ``{"position": <reader position>}`` (LATEST, fixed when the
delivery stream was created, so a restart does not move it), ``{"after": <sequence number>}`` (the
last Kinesis record whose user records are durably in the raw log), or ``{"end": true}`` (closed
and read to its end: its children may start). A shard without one (a child made by resharding
after the creation) starts at TRIM_HORIZON.
"""

from __future__ import annotations

import json
from typing import Any

from headwater.engine.api import MetaStore

NAMESPACE = "firehose.source-checkpoints"


class ShardCheckpoints:
    def __init__(self, meta: MetaStore, partition: str) -> None:
        self.meta = meta
        self.prefix = f"{partition}/"

    def get(self, shard_id: str) -> dict[str, Any]:
        raw = self.meta.get(NAMESPACE, self.prefix + shard_id)
        return {} if raw is None else dict(json.loads(raw))

    def ended(self, shard_id: str) -> bool:
        return bool(self.get(shard_id).get("end"))

    async def put(self, shard_id: str, value: dict[str, Any]) -> None:
        await self.meta.put(NAMESPACE, self.prefix + shard_id, json.dumps(value).encode())

    async def forget(self) -> None:
        for key, _ in list(self.meta.scan(NAMESPACE)):
            if key.startswith(self.prefix):
                await self.meta.delete(NAMESPACE, key)
