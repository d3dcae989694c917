"""A Kinesis mapping: one `ShardPoller` per shard, children after their parents.

On its first start a mapping fixes where every shard of the stream starts (LATEST and
AT_TIMESTAMP become positions, stored as checkpoints), so a restart does not move them. Then it
looks at the stream's shards every DISCOVERY_S: a shard runs once each of its parents has ended
(or is gone from the stream, trimmed), which is how resharding is followed in order. A mapping
whose source is an enhanced fan-out consumer reads the consumer's stream while the consumer is
registered, and starts no shard while it is not (Lambda's pollers read through the consumer's
SubscribeToShard pipe; here every reader sees the same shard log, so the consumer is a gate).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from headwater.services.functions.mappings.env import PollerEnv
from headwater.services.functions.mappings.kinesis_poller import ShardPoller
from headwater.services.functions.mappings.record import MappingRecord
from headwater.services.ports import SourceReadError, StreamReader

log = logging.getLogger("headwater.services.functions.mappings")
DISCOVERY_S = 0.5
RESTART_S = 1.0


class KinesisMapping:
    def __init__(self, env: PollerEnv, record: MappingRecord, reader: StreamReader) -> None:
        self.env = env
        self.record = record
        self.reader = reader
        self.running: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        try:
            while True:
                try:
                    consumer = self.record.consumer_arn
                    if consumer is not None and not self.reader.consumer_active(consumer):
                        for task in self.running.values():
                            task.cancel()  # deregistered: the pipe is gone (stopping finishes the batch)
                        raise SourceReadError("ResourceNotFoundException", f"Consumer {consumer} not found.")
                    await self._initialize()
                    self._discover()
                except SourceReadError as error:
                    log.warning(
                        "mapping %s cannot read %s: %s", self.record.uuid, self.record.source_arn, error
                    )
                await asyncio.sleep(DISCOVERY_S)
        finally:
            for task in self.running.values():
                task.cancel()
            for task in self.running.values():
                with contextlib.suppress(BaseException):
                    await task

    async def _initialize(self) -> None:
        m, checkpoints = self.record, self.env.checkpoints
        if checkpoints.initialized(m.uuid):
            return
        position = m.starting_position or "TRIM_HORIZON"
        if position != "TRIM_HORIZON":
            for shard in self.reader.shards(m.stream_arn):
                at = self.reader.position(m.stream_arn, shard.shard_id, position, at=m.starting_timestamp)
                await checkpoints.put(m.uuid, shard.shard_id, {"position": at})
        await checkpoints.mark_initialized(m.uuid)

    def _discover(self) -> None:
        m = self.record
        shards = self.reader.shards(m.stream_arn)
        known = {shard.shard_id for shard in shards}
        for shard_id, task in list(self.running.items()):
            if task.done():
                del self.running[shard_id]
                if not task.cancelled() and task.exception() is not None:
                    log.warning("mapping %s shard %s stopped: %r", m.uuid, shard_id, task.exception())
        for shard in shards:
            if shard.shard_id in self.running or self.env.checkpoints.ended(m.uuid, shard.shard_id):
                continue
            if all(p not in known or self.env.checkpoints.ended(m.uuid, p) for p in shard.parents):
                poller = ShardPoller(self.env, m, shard.shard_id, self.reader)
                self.running[shard.shard_id] = asyncio.create_task(self._run_shard(poller))

    async def _run_shard(self, poller: ShardPoller) -> None:
        while True:
            try:
                await poller.run()
                return
            except SourceReadError as error:
                log.warning("mapping %s shard %s: %s", self.record.uuid, poller.shard_id, error)
            await asyncio.sleep(RESTART_S)
