"""Kinesis metrics under CloudWatch's names: stream-level ones once per call, shard-level ones once
per shard batch and only for the metrics enhanced monitoring enabled (as on AWS)."""

from __future__ import annotations

from headwater.runtime.metrics import Labels
from headwater.services.kinesis.service import NS as NS
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Shard, Stream
from headwater.services.kinesis.throttle import ShardLimits


def shard_limits(core: KinesisCore, stream: Stream, shard: Shard) -> ShardLimits:
    """The shard's buckets, created for the stream's current record size (UpdateMaxRecordSize resizes)."""
    return core.limits_for(shard.partition, stream.max_record_kib * 1024)


def stream_labels(stream: Stream) -> Labels:
    return (("StreamName", stream.name),)


def shard_labels(stream: Stream, shard: Shard) -> Labels:
    return (("StreamName", stream.name), ("ShardId", shard.shard_id))


def count_shard(core: KinesisCore, stream: Stream, shard: Shard, metric: str, amount: float) -> None:
    """A shard-level metric, recorded only while enhanced monitoring is enabled for it (as on AWS)."""
    if metric in stream.monitoring:
        core.metrics.add(NS, metric, shard_labels(stream, shard), amount)


def count_outgoing(core: KinesisCore, stream: Stream, shard: Shard, records: int, size: int) -> None:
    """What left a shard, by GetRecords or SubscribeToShard (shard-level metrics only)."""
    if stream.monitoring:
        count_shard(core, stream, shard, "OutgoingRecords", records)
        count_shard(core, stream, shard, "OutgoingBytes", size)


def count_incoming(core: KinesisCore, stream: Stream, shard: Shard, records: int, size: int) -> None:
    if stream.monitoring:
        count_shard(core, stream, shard, "IncomingRecords", records)
        count_shard(core, stream, shard, "IncomingBytes", size)
