"""The Firehose service core: delivery streams in memory and in the metadata store, each with its raw
log partition and, while it is ACTIVE, its delivery worker.

Definitions are few and small, so they are resident; records never are (they live in the log from
the acknowledgement until their delivery moves the checkpoint past them). At start the definitions
are read back, log partitions no stream names are dropped, and a worker starts per ACTIVE stream
from its durable checkpoint (records buffered when the process died are read and delivered again:
at-least-once, as AWS documents).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from headwater.config import Config
from headwater.engine.api import Engine
from headwater.runtime.clock import SystemClock
from headwater.runtime.ids import new_uuid
from headwater.runtime.metrics import Metrics
from headwater.runtime.tasks import BackgroundTasks
from headwater.services.base import Ports
from headwater.services.context import RequestContext
from headwater.services.firehose import errors
from headwater.services.firehose.delivery import DeliveryEnv, DeliveryWorker
from headwater.services.firehose.metrics import NS
from headwater.services.firehose.sources.manager import Sources
from headwater.services.firehose.state import CHECKPOINTS, STREAMS, DeliveryStream
from headwater.services.ports import (
    FunctionCaller,
    KeyRing,
    LogSink,
    ObjectSink,
    ObjectSource,
    StreamReader,
    TableCatalog,
)

PARTITION_PREFIX = "firehose-"
log = logging.getLogger("headwater.firehose")


class FirehoseCore:
    def __init__(
        self, config: Config, engine: Engine, clock: SystemClock, metrics: Metrics, ports: Ports
    ) -> None:
        self.config = config
        self.log = engine.log
        self.meta = engine.meta
        self.clock = clock
        self.metrics = metrics
        self.ports = ports
        self.streams: dict[str, DeliveryStream] = {}
        self.workers: dict[str, DeliveryWorker] = {}
        self.tasks = BackgroundTasks(log)
        # sources other than DirectPut (a Kinesis stream), read into the raw log ahead of the worker
        self.sources = Sources(
            ports.find(StreamReader),
            self.log,
            self.meta,
            clock,
            metrics,
            lambda s: w.offset if (w := self.workers.get(s.key)) is not None else None,
            self.wake,
            self.save,
        )
        self.keys = ports.find(KeyRing)

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        self.streams = {key: DeliveryStream.loads(raw) for key, raw in self.meta.scan(STREAMS)}
        named = {s.partition for s in self.streams.values()}
        existing = {p for p in self.log.partitions() if p.startswith(PARTITION_PREFIX)}
        for orphan in existing - named:
            await self.log.drop_partition(orphan)
        for missing in named - existing:
            await self.log.create_partition(missing)
        for stream in list(self.streams.values()):
            if stream.status == "DELETING":
                await self.finish_delete(stream)
            elif stream.status == "CREATING":
                await self.activate(stream)
            elif stream.status == "ACTIVE":
                self.start_worker(stream)

    async def close(self) -> None:
        await self.tasks.cancel_all()
        await self.sources.close()
        workers, self.workers = list(self.workers.values()), {}
        await asyncio.gather(*(worker.stop() for worker in workers))

    async def reset(self) -> None:
        self.streams.clear()  # the engine's reset emptied the store and the log

    # -- lookups ------------------------------------------------------------------------------------

    def find(self, name: str, ctx: RequestContext) -> DeliveryStream:
        stream = self.streams.get(f"{ctx.account}/{ctx.region}/{name}")
        if stream is None:
            raise errors.not_found(name, ctx.account)
        return stream

    def by_arn(self, arn: str) -> DeliveryStream:
        for stream in self.streams.values():
            if stream.arn == arn:
                return stream
        raise errors.arn_not_found(arn)

    def of(self, account: str, region: str) -> list[DeliveryStream]:
        return sorted(
            (s for s in self.streams.values() if s.account == account and s.region == region),
            key=lambda s: s.name,
        )

    # -- changes ------------------------------------------------------------------------------------

    async def save(self, stream: DeliveryStream) -> None:
        if self.streams.get(stream.key) is not stream:
            return  # a Kinesis channel's internal delivery (channels.py) keeps its own record
        await self.meta.put(STREAMS, stream.key, stream.dumps())

    async def create(self, stream: DeliveryStream) -> None:
        await self.log.create_partition(stream.partition)
        self.streams[stream.key] = stream
        stream.failure = await self.sources.prepare(stream)  # a Kinesis source: LATEST, fixed now
        if stream.failure is not None:
            stream.status = "CREATING_FAILED"
            await self.save(stream)
            return
        await self.save(stream)
        if self.config.transition_delay <= 0:
            await self.activate(stream)
        else:
            self.tasks.spawn(self._activate_later(stream))

    async def _activate_later(self, stream: DeliveryStream) -> None:
        await self.clock.sleep(self.config.transition_delay)
        if self.streams.get(stream.key) is stream and stream.status == "CREATING":
            await self.activate(stream)

    async def activate(self, stream: DeliveryStream) -> None:
        stream.status = "ACTIVE"
        await self.save(stream)
        self.start_worker(stream)

    async def delete(self, stream: DeliveryStream) -> None:
        stream.status = "DELETING"
        await self.save(stream)
        if self.config.transition_delay <= 0:
            await self.finish_delete(stream)
        else:
            self.tasks.spawn(self._delete_later(stream))

    async def _delete_later(self, stream: DeliveryStream) -> None:
        await self.clock.sleep(self.config.transition_delay)
        if self.streams.get(stream.key) is stream:
            await self.finish_delete(stream)

    async def finish_delete(self, stream: DeliveryStream) -> None:
        """Buffered records are discarded, as on AWS."""
        worker = self.workers.pop(stream.key, None)
        if worker is not None:
            await worker.stop()
        await self.sources.forget(stream)
        self.streams.pop(stream.key, None)
        await self.meta.delete(STREAMS, stream.key)
        await self.meta.delete(CHECKPOINTS, stream.partition)
        if stream.partition in self.log.partitions():
            await self.log.drop_partition(stream.partition)
        self.metrics.forget(NS, (("DeliveryStreamName", stream.name),))

    async def change_encryption(self, stream: DeliveryStream, wanted: dict[str, Any]) -> None:
        """Start/StopDeliveryStreamEncryption: ENABLING (or DISABLING) first, as AWS reports it,
        then the final status after the transition delay. Entries appended while ENABLING are
        already sealed; while DISABLING they are stored in clear."""
        final = wanted["Status"]
        stream.encryption = {**wanted, "Status": "ENABLING" if final == "ENABLED" else "DISABLING"}
        if self.config.transition_delay <= 0:
            stream.encryption = wanted
        await self.save(stream)
        if stream.encryption is not wanted:
            self.tasks.spawn(self._finish_encryption(stream, wanted))

    async def _finish_encryption(self, stream: DeliveryStream, wanted: dict[str, Any]) -> None:
        await self.clock.sleep(self.config.transition_delay)
        current = stream.encryption or {}
        if self.streams.get(stream.key) is stream and current.get("Status") in ("ENABLING", "DISABLING"):
            stream.encryption = wanted
            await self.save(stream)

    def restart_worker(self, stream: DeliveryStream) -> None:
        """After UpdateDestination: the running worker stops (what it buffered is still in the log
        behind the checkpoint) and a new one carries on from the checkpoint under the new settings."""
        worker = self.workers.pop(stream.key, None)
        if worker is not None:
            self.tasks.spawn(self._replace(worker, stream))
        else:
            self.start_worker(stream)

    async def _replace(self, worker: DeliveryWorker, stream: DeliveryStream) -> None:
        await worker.stop()
        if self.streams.get(stream.key) is stream and stream.key not in self.workers:
            self.start_worker(stream)

    def start_worker(self, stream: DeliveryStream) -> None:
        env = DeliveryEnv(
            log=self.log,
            meta=self.meta,
            clock=self.clock,
            metrics=self.metrics,
            objects=self.ports.find(ObjectSink),
            log_sink=self.ports.find(LogSink),
            caller=self.ports.find(FunctionCaller),
            sources=self.ports.find(ObjectSource),
            catalog=self.ports.find(TableCatalog),
            keys=self.keys,
        )
        worker = DeliveryWorker(env, stream)
        self.workers[stream.key] = worker
        worker.start()
        self.sources.start(stream)

    def wake(self, stream: DeliveryStream) -> None:
        worker = self.workers.get(stream.key)
        if worker is not None:
            worker.wake()

    @staticmethod
    def new_partition() -> str:
        return PARTITION_PREFIX + new_uuid().replace("-", "")
