"""Kinesis control plane through boto3 (stream setup, iterators, consumers): off the measured paths."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.common import control


def client(port: int, read_timeout: float = 60.0) -> Any:
    return control.client("kinesis", port, read_timeout)


probe = control.prober(client, "list_streams")


def _until_active(status: Callable[[], str], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while status() != "ACTIVE":
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ACTIVE after {timeout:.0f} s")
        time.sleep(0.05)


def create_stream(kinesis: Any, name: str, shards: int, timeout: float = 60.0) -> str:
    """Create and wait until ACTIVE; returns the stream ARN."""
    kinesis.create_stream(StreamName=name, ShardCount=shards)

    def status() -> str:
        return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]

    _until_active(status, f"stream {name}", timeout)
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def shard_ids(kinesis: Any, stream: str) -> list[str]:
    return [s["ShardId"] for s in kinesis.list_shards(StreamName=stream)["Shards"]]


def trim_horizon_iterators(kinesis: Any, stream: str) -> list[str]:
    return [
        kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        for shard in shard_ids(kinesis, stream)
    ]


def register_consumer(kinesis: Any, stream_arn: str, name: str, timeout: float = 60.0) -> str:
    """Register and wait until ACTIVE; returns the consumer ARN."""
    arn = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName=name)["Consumer"]["ConsumerARN"]

    def status() -> str:
        return kinesis.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]["ConsumerStatus"]

    _until_active(status, f"consumer {name}", timeout)
    return arn


def subscribe(kinesis: Any, consumer_arn: str, shard: str) -> Any:
    """boto3 SubscribeToShard from TRIM_HORIZON; returns the event stream."""
    answer = kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId=shard, StartingPosition={"Type": "TRIM_HORIZON"}
    )
    return answer["EventStream"]
