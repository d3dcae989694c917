"""SubscribeToShard: records pushed to an enhanced fan-out consumer as soon as they are committed.

Theory of operation. A subscription is an async generator of SubscribeToShardEvent payloads. It reads
from the shard's log like GetRecords does, and when it has caught up it parks on the shard's wake-up
event (set by every committed put), racing the clock so an idle subscription still sends an event
every 5 s (AWS's heartbeat) and ends after 5 minutes. ContinuationSequenceNumber always names the
position reached, so a client re-subscribing AFTER_SEQUENCE_NUMBER it misses nothing even when no
record was delivered. At the end of a closed shard the last event carries ChildShards and the stream
ends. A second subscription for the same consumer and shard within 5 s of the first is refused with
ResourceInUseException (unless `aws_timing` is off); later, it takes over and the older one ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import EventStream, RequestContext
from headwater.services.kinesis import errors
from headwater.services.kinesis.consumers import find_consumer
from headwater.services.kinesis.monitoring import count_outgoing
from headwater.services.kinesis.records import (
    child_shards,
    millis_behind,
    read_records,
    render_records,
    start_offset,
)
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Shard, Stream

LIFETIME_S = 300.0
HEARTBEAT_S = 5.0
TAKEOVER_S = 5.0
EVENT_MAX_RECORDS = 10_000
CONSUMER_RATE = 2 * 1024 * 1024  # bytes/s per consumer per shard


@dataclass(slots=True, eq=False)
class Subscription:
    started: float
    ended: asyncio.Event = field(default_factory=asyncio.Event)


async def subscribe_to_shard(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> EventStream:
    stream, consumer = find_consumer(core, {"ConsumerARN": params["ConsumerARN"]}, ctx)
    if consumer.status != "ACTIVE":
        raise AwsError(
            "ResourceInUseException",
            f"Consumer {params['ConsumerARN']} under account {stream.account} is not ACTIVE.",
        )
    shard = stream.shard(params["ShardId"])
    if shard is None:
        raise errors.shard_not_found(params["ShardId"], stream.name, stream.account)
    position = params["StartingPosition"]
    kind = position["Type"]
    number = (
        position.get("SequenceNumber") if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER") else None
    )
    offset = start_offset(core, stream, shard, kind, number, position.get("Timestamp"))
    key = (params["ConsumerARN"], shard.shard_id)
    now = core.clock.now()
    labels = (("StreamName", stream.name), ("ConsumerName", consumer.name))
    # One call per second per consumer per shard (the takeover rule below is a separate one).
    if core.config.limits and not core.control_limits.allow("SubscribeToShard", key, now):
        core.metrics.add("Kinesis", "SubscribeToShard.RateExceeded", labels)
        raise errors.limit_exceeded(
            f"Rate exceeded for consumer {params['ConsumerARN']} and shard {shard.shard_id} "
            f"under account {stream.account}."
        )
    previous = core.subscriptions.get(key)
    takeover = TAKEOVER_S if core.config.aws_timing else 0.0  # `aws_timing` off: take over at once
    if previous is not None and now - previous.started < takeover:
        raise AwsError(
            "ResourceInUseException",
            f"Another active subscription exists for consumer {params['ConsumerARN']} and shard {shard.shard_id}.",
        )
    if params.get("DryRun"):
        raise AwsError("DryRunOperationException", "Request would have succeeded, but DryRun flag is set.")
    if previous is not None:
        previous.ended.set()
    subscription = Subscription(now)
    core.subscriptions[key] = subscription
    core.metrics.add("Kinesis", "SubscribeToShard.Success", labels)
    return EventStream(
        _events(core, stream, shard, offset, subscription, key),
        # Ended even if its events never started; it stays registered, since AWS refuses a new
        # subscription within 5 s of the last successful one even after a disconnect.
        on_close=subscription.ended.set,
    )


async def _events(
    core: KinesisCore,
    stream: Stream,
    shard: Shard,
    offset: int,
    subscription: Subscription,
    key: tuple[str, str],
) -> AsyncIterator[tuple[str, Mapping[str, Any]]]:
    clock = core.clock
    deadline = subscription.started + LIFETIME_S
    sent_bytes = 0
    labels = (("StreamName", stream.name), ("ConsumerName", key[0].rsplit("/", 1)[-1].rsplit(":", 1)[0]))
    try:
        last_event = float("-inf")
        while not subscription.ended.is_set() and clock.now() < deadline:
            if (
                core.streams.get((stream.account, stream.region, stream.name)) is not stream
                or stream.shard(shard.shard_id) is None
            ):
                raise errors.stream_not_found(stream.name, stream.account)
            wake = core.wakeup(shard.partition)  # taken before reading, so no commit slips between
            entries, offset = await read_records(core, stream, shard, offset, EVENT_MAX_RECORDS)
            finished = shard.end_offset is not None and offset >= shard.end_offset
            if entries or finished or clock.now() - last_event >= HEARTBEAT_S:
                records = render_records(core, stream, shard, entries)
                event: dict[str, Any] = {
                    "Records": records,
                    "ContinuationSequenceNumber": shard.continuation(offset, clock.now_ms()),
                    "MillisBehindLatest": millis_behind(core, shard, offset, entries),
                }
                if finished:
                    event["ChildShards"] = child_shards(stream, shard)
                size = sum(len(r["Data"]) for r in records)
                core.metrics.add("Kinesis", "SubscribeToShardEvent.Records", labels, len(records))
                core.metrics.add("Kinesis", "SubscribeToShardEvent.Bytes", labels, size)
                count_outgoing(core, stream, shard, len(records), size)
                yield "SubscribeToShardEvent", event
                last_event = clock.now()
                if finished:
                    return
                if core.config.limits and size:
                    sent_bytes += size
                    # Stay within 2 MiB/s per consumer per shard: pause until the budget allows.
                    ahead = sent_bytes / CONSUMER_RATE - (clock.now() - subscription.started)
                    if ahead > 0:
                        await clock.sleep(ahead)
                if entries:
                    continue
            await _park(core, wake, subscription, min(last_event + HEARTBEAT_S, deadline))
    finally:
        subscription.ended.set()


async def _park(core: KinesisCore, wake: asyncio.Event, subscription: Subscription, until: float) -> None:
    """Waits for new records, a takeover, or the clock reaching `until`, whichever is first."""
    waiters = [
        asyncio.ensure_future(wake.wait()),
        asyncio.ensure_future(subscription.ended.wait()),
        asyncio.ensure_future(core.clock.sleep_until(until)),
    ]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
