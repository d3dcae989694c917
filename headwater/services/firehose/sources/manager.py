"""The sources of the service's delivery streams: what the core calls when a delivery stream is
created, runs, is deleted, and when the service stops. DirectPut streams have none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from headwater.engine.api import Log, MetaStore
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.firehose.sources.checkpoints import ShardCheckpoints
from headwater.services.firehose.sources.kinesis import KinesisSource, failure_description
from headwater.services.firehose.state import DeliveryStream
from headwater.services.ports import SourceReadError, StreamReader

KINESIS = "KinesisStreamAsSource"


class Sources:
    def __init__(
        self,
        reader: StreamReader | None,
        log: Log,
        meta: MetaStore,
        clock: SystemClock,
        metrics: Metrics,
        read_position: Callable[[DeliveryStream], int | None],
        wake: Callable[[DeliveryStream], None],
        save: Callable[[DeliveryStream], Awaitable[None]],
    ) -> None:
        self.reader = reader
        self.log = log
        self.meta = meta
        self.clock = clock
        self.metrics = metrics
        self.read_position = read_position
        self.wake = wake
        self.save = save
        self.running: dict[str, KinesisSource] = {}

    def _source(self, stream: DeliveryStream) -> KinesisSource | None:
        if stream.stream_type != KINESIS or self.reader is None:
            return None

        def unread() -> int:
            position = self.read_position(stream)
            if position is None:  # no worker (stopped, being replaced): nothing is read meanwhile
                return 1 << 62
            return self.log.next_offset(stream.partition) - position

        async def report(failure: dict[str, str] | None) -> None:
            stream.failure = failure
            await self.save(stream)

        return KinesisSource(
            stream,
            self.reader,
            self.log,
            self.meta,
            self.clock,
            self.metrics,
            unread,
            lambda: self.wake(stream),
            report,
        )

    async def prepare(self, stream: DeliveryStream) -> dict[str, str] | None:
        """At creation: fixes where reading starts; a failure description when it cannot."""
        if stream.stream_type != KINESIS:
            return None
        arn = str((stream.source or {}).get("KinesisStreamARN"))
        if self.reader is None:
            return failure_description(arn, SourceReadError("ServiceUnavailable", "Kinesis is not running."))
        source = self._source(stream)
        assert source is not None
        return await source.fix_start()

    def start(self, stream: DeliveryStream) -> None:
        if stream.key in self.running:
            return
        source = self._source(stream)
        if source is not None:
            self.running[stream.key] = source
            source.start()

    async def stop(self, stream: DeliveryStream) -> None:
        source = self.running.pop(stream.key, None)
        if source is not None:
            await source.stop()

    async def forget(self, stream: DeliveryStream) -> None:
        await self.stop(stream)
        await ShardCheckpoints(self.meta, stream.partition).forget()

    async def close(self) -> None:
        running, self.running = list(self.running.values()), {}
        for source in running:
            await source.stop()
