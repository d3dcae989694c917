"""Metrics.forget: a deleted resource's series go, everyone else's stay."""

from __future__ import annotations

from headwater.runtime.metrics import Metrics


def test_forget_drops_matching_series_only() -> None:
    metrics = Metrics()
    metrics.add("Kinesis", "IncomingRecords", (("StreamName", "a"),))
    metrics.add("Kinesis", "IncomingRecords", (("StreamName", "b"),))
    metrics.add("Kinesis", "IncomingBytes", (("StreamName", "a"), ("ShardId", "s0")))
    metrics.set("Kinesis", "IteratorAgeMilliseconds", (("StreamName", "a"), ("ShardId", "s0")), 5)
    metrics.add("SQS", "NumberOfMessagesSent", (("StreamName", "a"),))  # another namespace
    metrics.forget("Kinesis", (("StreamName", "a"),))
    assert metrics.value("Kinesis", "IncomingRecords", (("StreamName", "a"),)) is None
    assert metrics.value("Kinesis", "IncomingRecords", (("StreamName", "b"),)) == 1
    assert ("Kinesis", "IncomingBytes") not in metrics.counters  # empty tables go too
    assert ("Kinesis", "IteratorAgeMilliseconds") not in metrics.gauges
    assert metrics.value("SQS", "NumberOfMessagesSent", (("StreamName", "a"),)) == 1
