"""Kinesis channels: definitions in memory and in the metadata store, their status transitions, and
their deliveries through the `ChannelDelivery` port.

Theory of operation
-------------------
The kinesis service serves the channel API and owns the definitions; the delivery itself runs in
the firehose service (registered after kinesis), found through `ChannelDelivery` when it is needed
(`deliveries()`), never held. A channel is written in CREATING before its delivery starts and is
removed only after its delivery stopped (DELETING in between), so a kill -9 at any point leaves
either a definition whose delivery is (re)started at the next start, or nothing; the delivery
resumes on its own from its durable checkpoints (at-least-once).

Transitions: CREATING -> ACTIVE (or FAILED when the delivery cannot start), ACTIVE -> UPDATING -> ACTIVE (UpdateChannel), any ->
DELETING -> gone. They take `transition_delay` seconds, as streams' do. An ACTIVE channel whose
delivery reports a problem (its stream cannot be read) is described as FAILED with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from headwater.runtime.tasks import BackgroundTasks
from headwater.services.kinesis.channels.model import DEFAULT_ERROR_PREFIX, DEFAULT_TEMPLATE, Channel
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Stream
from headwater.services.ports import ChannelDelivery, ChannelTable, ChannelTarget

log = logging.getLogger("headwater.kinesis.channels")

CHANNELS = "kinesis.channels"  # "<account>/<region>/<name>" -> the channel's JSON
NO_DELIVERY = "Channel delivery is not available: the firehose service is not running."


class ChannelCore:
    def __init__(self, kinesis: KinesisCore, deliveries: Callable[[], ChannelDelivery | None]) -> None:
        self.kinesis = kinesis
        self.meta = kinesis.meta
        self.clock = kinesis.clock
        self.deliveries = deliveries  # registered after kinesis: found when used
        self.channels: dict[str, Channel] = {}
        self.background = BackgroundTasks(log)
        kinesis.channel_count = self.count_on

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        for _, raw in self.meta.scan(CHANNELS):
            channel = Channel.loads(raw)
            self.channels[channel.key] = channel
            if channel.status in ("CREATING", "UPDATING"):
                self.background.spawn(self.activate(channel, delay=False))
            elif channel.status == "DELETING":
                self.background.spawn(self.finish_delete(channel, delay=False))

    async def close(self) -> None:
        await self.background.cancel_all()

    async def reset(self) -> None:
        await self.close()
        self.channels.clear()

    # -- lookups ---------------------------------------------------------------------------------
    def count_on(self, stream: Stream) -> int:
        return sum(1 for c in self.channels.values() if c.stream_arn == stream.arn)

    def of(self, account: str, region: str) -> list[Channel]:
        chosen = (c for c in self.channels.values() if c.account == account and c.region == region)
        return sorted(chosen, key=lambda c: c.name)

    def problem(self, channel: Channel) -> str | None:
        if channel.status != "ACTIVE":
            return None
        port = self.deliveries()
        return port.problem(channel.channel_id) if port is not None else None

    # -- changes ---------------------------------------------------------------------------------
    async def save(self, channel: Channel) -> None:
        await self.meta.put(CHANNELS, channel.key, channel.dumps())

    async def create(self, channel: Channel) -> None:
        self.channels[channel.key] = channel
        await self.save(channel)
        self._later(self.activate(channel))

    async def update(self, channel: Channel) -> None:
        channel.status = "UPDATING"
        await self.save(channel)
        self._later(self.activate(channel))

    async def delete(self, channel: Channel) -> None:
        channel.status = "DELETING"
        await self.save(channel)
        self._later(self.finish_delete(channel))

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        """Transitions run after the answer (which shows CREATING, UPDATING or DELETING)."""
        self.background.spawn(work)

    async def activate(self, channel: Channel, *, delay: bool = True) -> None:
        if delay:
            await self.clock.sleep(self.kinesis.config.transition_delay)
        if self.channels.get(channel.key) is not channel or channel.status not in ("CREATING", "UPDATING"):
            return
        reason = await self._deliver(channel)
        channel.status, channel.reason = ("FAILED", reason) if reason else ("ACTIVE", None)
        await self.save(channel)

    async def _deliver(self, channel: Channel) -> str | None:
        """Starts (or updates) the delivery; why it cannot run, or None."""
        port = self.deliveries()
        if port is None:
            return NO_DELIVERY
        try:
            target = _target(channel)
        except (KeyError, IndexError, TypeError) as exc:  # a definition stored by an older version
            return f"The channel's destination cannot be delivered to: {exc}"
        try:
            await port.start(target)
        except Exception as exc:  # a delivery that cannot start fails the channel, not the server
            log.exception("channel %s could not start its delivery", channel.arn)
            return f"The channel's delivery could not start: {exc}"
        return None

    async def finish_delete(self, channel: Channel, *, delay: bool = True) -> None:
        if delay:
            await self.clock.sleep(self.kinesis.config.transition_delay)
        port = self.deliveries()
        if port is not None:
            await port.stop(channel.channel_id)
        if self.channels.get(channel.key) is channel:
            del self.channels[channel.key]
            await self.meta.delete(CHANNELS, channel.key)


def _target(channel: Channel) -> ChannelTarget:
    """What the delivery needs of a channel: its bucket and key template, or its S3 Tables table
    (then the bucket is the dead-letter bucket)."""
    destination = channel.destination
    logs = channel.logging["CloudWatchLogs"]
    table: ChannelTable | None = None
    error_prefix: str | None = None
    if channel.destination_type == "S3":
        storage = destination["StorageConfiguration"]
        bucket_arn, template, compression = (
            storage["BucketARN"],
            storage.get("OutputKeyTemplate") or DEFAULT_TEMPLATE,
            storage["CompressionType"],
        )
    else:
        given = destination["S3TablesConfigurationList"][0]
        dead_letter = destination["DeadLetterQueueS3Configuration"]
        bucket_arn, template, compression = dead_letter["BucketARN"], DEFAULT_TEMPLATE, "NONE"
        error_prefix = dead_letter.get("ErrorOutputPrefix") or DEFAULT_ERROR_PREFIX
        table = ChannelTable(
            given["TableBucketARN"], given["Namespace"], given["TableName"], given["CompressionType"]
        )
    return ChannelTarget(
        channel_id=channel.channel_id,
        channel_name=channel.name,
        channel_arn=channel.arn,
        account=channel.account,
        region=channel.region,
        stream_arn=channel.stream_arn,
        bucket=bucket_arn.rsplit(":", 1)[-1],
        key_template=template,
        compression=compression,
        freshness_s=int(destination["DataFreshnessInSeconds"]),
        log_group=logs.get("LogGroupName") if logs.get("Enabled") else None,
        log_stream=logs.get("LogStreamName") if logs.get("Enabled") else None,
        table=table,
        error_prefix=error_prefix,
    )
