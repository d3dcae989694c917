"""The Kinesis service core: the stream registry, its persistence, and background work.

Operation logic lives in the sibling modules (records, shards, consumers, settings); they all work on
one `KinesisCore`, which owns the streams of every (account, region), the engine handles, the clock,
per-shard throttles, metrics and the wake-ups that push records to subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Coroutine
from typing import Any

from headwater.config import Config
from headwater.engine.api import Engine
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.runtime.tasks import BackgroundTasks
from headwater.services.context import RequestContext
from headwater.services.kinesis import errors
from headwater.services.kinesis.hashing import HashRouter
from headwater.services.kinesis.state import Stream, stream_key
from headwater.services.kinesis.throttle import CONTROL_PLANE_TPS, RateLimiter, ShardLimits
from headwater.services.ports import KeyRing

log = logging.getLogger("headwater.kinesis")

STREAMS = "kinesis.streams"
SECRETS = "kinesis.secrets"
STREAM_ARN = re.compile(r"arn:aws[^:]*:kinesis:([^:]*):(\d{12}):stream/(.+)")
TRIM_INTERVAL_S = 30.0
NS = "Kinesis"  # the metrics namespace


class KinesisCore:
    def __init__(
        self, config: Config, engine: Engine, clock: SystemClock, metrics: Metrics, keys: KeyRing
    ) -> None:
        self.config = config
        self.engine = engine
        self.log = engine.log
        self.meta = engine.meta
        self.clock = clock
        self.metrics = metrics
        self.streams: dict[tuple[str, str, str], Stream] = {}
        self.routers: dict[tuple[str, str, str], HashRouter] = {}
        self.shard_limits: dict[str, ShardLimits] = {}
        self.control_limits = RateLimiter.for_kinesis()
        self.keystore = keys
        self.iterator_key = b""
        # shard partition -> event set when new records become readable (wakes SubscribeToShard)
        self.wakeups: dict[str, asyncio.Event] = {}
        self.background = BackgroundTasks(log)
        # (consumer ARN, shard id) -> the live SubscribeToShard subscription
        self.subscriptions: dict[tuple[str, str], Any] = {}
        # how many queues read a stream (the queues package installs its count; streams with
        # queues can be neither deleted nor switched to provisioned mode)
        self.queue_count: Callable[[Stream], int] = lambda stream: 0
        # how many channels read a stream (the channels package installs its count; AWS refuses to
        # delete a stream that has channels)
        self.channel_count: Callable[[Stream], int] = lambda stream: 0

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        key = self.meta.get(SECRETS, "iterator-key")
        if key is None:
            key = os.urandom(32)
            await self.meta.put(SECRETS, "iterator-key", key)
        self.iterator_key = key
        for _, raw in self.meta.scan(STREAMS):
            stream = Stream.from_json(raw)
            self.streams[(stream.account, stream.region, stream.name)] = stream
            self._settle(stream)
        self.spawn(self._trim_forever())

    async def close(self) -> None:
        await self.background.cancel_all()

    async def reset(self) -> None:
        await self.close()
        self.streams.clear()
        self.routers.clear()
        self.shard_limits.clear()
        self.control_limits = RateLimiter.for_kinesis()
        self.wakeups.clear()
        for subscription in self.subscriptions.values():
            subscription.ended.set()
        self.subscriptions.clear()
        await self.start()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return self.background.spawn(coro)

    def _settle(self, stream: Stream) -> None:
        """After a restart, finish any transition that was under way."""
        if stream.status in ("CREATING", "UPDATING"):
            self.spawn(self.transition(stream, "ACTIVE"))
        elif stream.status == "DELETING":
            self.spawn(self.finish_delete(stream))
        for consumer in stream.consumers.values():
            if consumer.status == "CREATING":
                self.spawn(self.consumer_transition(stream, consumer.name, "ACTIVE"))
            elif consumer.status == "DELETING":
                self.spawn(self.consumer_transition(stream, consumer.name, None))

    # -- persistence -----------------------------------------------------------------------------
    async def save(self, stream: Stream) -> None:
        key = (stream.account, stream.region, stream.name)
        self.routers.pop(key, None)
        await self.meta.put(STREAMS, stream_key(*key), stream.to_json())

    async def transition(self, stream: Stream, status: str) -> None:
        await self.clock.sleep(self.config.transition_delay)
        if self.streams.get((stream.account, stream.region, stream.name)) is stream:
            stream.status = status
            await self.save(stream)

    async def finish_delete(self, stream: Stream) -> None:
        await self.clock.sleep(self.config.transition_delay)
        key = (stream.account, stream.region, stream.name)
        if self.streams.get(key) is stream:
            del self.streams[key]
            self.routers.pop(key, None)
            if not any(other.name == stream.name for other in self.streams.values()):  # series are per name
                self.metrics.forget(NS, (("StreamName", stream.name),))
            await self.meta.delete(STREAMS, stream_key(*key))
        for shard in stream.shards:
            self.shard_limits.pop(shard.partition, None)
            self.wakeups.pop(shard.partition, None)
            await self.log.drop_partition(shard.partition)

    async def consumer_transition(self, stream: Stream, name: str, status: str | None) -> None:
        await self.clock.sleep(self.config.transition_delay)
        consumer = stream.consumers.get(name)
        if consumer is None:
            return
        if status is None:
            del stream.consumers[name]
            self.forget_consumer(stream, name)
        else:
            consumer.status = status
        if self.streams.get((stream.account, stream.region, stream.name)) is stream:
            await self.save(stream)

    def forget_consumer(self, stream: Stream, name: str) -> None:
        """A deregistered consumer's metric series go with it."""
        self.metrics.forget(NS, (("StreamName", stream.name), ("ConsumerName", name)))

    # -- lookups ---------------------------------------------------------------------------------
    def find(self, params: dict[str, Any], ctx: RequestContext, *, arn_key: str = "StreamARN") -> Stream:
        """The stream named by StreamName and/or StreamARN (ARN wins for account and region)."""
        name = params.get("StreamName")
        arn = params.get(arn_key)
        account, region = ctx.account, ctx.region
        if arn:
            match = STREAM_ARN.fullmatch(arn)
            if match is None or "/" in match.group(3):
                raise errors.invalid_argument(f"Invalid StreamARN: {arn}")
            region, account, arn_name = match.groups()
            if name and name != arn_name:
                raise errors.invalid_argument("StreamARN and StreamName do not refer to the same stream.")
            name = arn_name
        if not name:
            raise errors.validation("Either StreamName or StreamARN must be provided.")
        stream = self.streams.get((account, region, name))
        if stream is None:
            raise errors.stream_not_found(name, account)
        return stream

    def find_arn(self, arn: str, ctx: RequestContext) -> Stream:
        return self.find({"StreamARN": arn}, ctx)

    def router(self, stream: Stream) -> HashRouter:
        key = (stream.account, stream.region, stream.name)
        router = self.routers.get(key)
        if router is None:
            router = HashRouter([(s.start_hash, s.end_hash, s) for s in stream.open_shards])
            self.routers[key] = router
        return router

    def limits_for(self, partition: str, max_record_bytes: int = 1024 * 1024) -> ShardLimits:
        limits = self.shard_limits.get(partition)
        if limits is None:
            limits = self.shard_limits[partition] = ShardLimits(max_record_bytes)
        return limits

    def wakeup(self, partition: str) -> asyncio.Event:
        event = self.wakeups.get(partition)
        if event is None:
            event = self.wakeups[partition] = asyncio.Event()
        return event

    def notify(self, partition: str) -> None:
        event = self.wakeups.pop(partition, None)
        if event is not None:
            event.set()

    def end_subscriptions(self, consumer_arn: str) -> None:
        for (arn, _), subscription in list(self.subscriptions.items()):
            if arn == consumer_arn:
                subscription.ended.set()

    def control_rate(self, operation: str, account: str, stream: str | None = None) -> None:
        """Control-plane TPS limits from the model's documentation (LimitExceededException), per
        account or per stream as the documentation says for each operation."""
        if not self.config.limits:
            return
        per_stream = CONTROL_PLANE_TPS.get(operation, (0, "account"))[1] == "stream"
        scope = (account, stream) if per_stream else account
        if not self.control_limits.allow(operation, scope, self.clock.now()):
            raise errors.rate_exceeded(account, stream)

    # -- retention -------------------------------------------------------------------------------
    async def _trim_forever(self) -> None:
        while True:
            await self.clock.sleep(TRIM_INTERVAL_S)
            await self.trim_expired()

    async def trim_expired(self) -> None:
        """Deletes records past retention and drops closed shards whose records have all expired."""
        now_ms = self.clock.now_ms()
        for stream in list(self.streams.values()):
            horizon = now_ms - stream.retention_hours * 3_600_000
            dropped = []
            for shard in stream.shards:
                if shard.closed_ms is not None and shard.closed_ms < horizon:
                    dropped.append(shard)
                    continue
                await self.log.trim(shard.partition, horizon)
            if dropped:
                for shard in dropped:
                    stream.shards.remove(shard)
                    self.shard_limits.pop(shard.partition, None)
                    await self.log.drop_partition(shard.partition)
                await self.save(stream)
