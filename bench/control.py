"""Control-plane calls through boto3 (stream setup, iterators, consumers): off the measured paths."""

from __future__ import annotations

import time
from typing import Any

import boto3
from botocore.config import Config

from bench.wire import ACCESS_KEY, REGION, SECRET_KEY


def client(port: int, read_timeout: float = 60.0, service: str = "kinesis", **config: Any) -> Any:
    """A boto3 client for the server on `port`, no retries; `config`: more botocore Config options."""
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            retries={"total_max_attempts": 1}, read_timeout=read_timeout, connect_timeout=5, **config
        ),
    )


def probe(port: int) -> bool:
    """Ready when ListStreams answers."""
    try:
        client(port, read_timeout=3).list_streams()
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready yet
        return False


def create_stream(kinesis: Any, name: str, shards: int, timeout: float = 60.0) -> str:
    """Create and wait until ACTIVE; returns the stream ARN."""
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    deadline = time.monotonic() + timeout
    while True:
        summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return summary["StreamARN"]
        if time.monotonic() > deadline:
            raise TimeoutError(f"stream {name} not ACTIVE after {timeout:.0f} s")
        time.sleep(0.05)


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
    deadline = time.monotonic() + timeout
    while True:
        status = kinesis.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]["ConsumerStatus"]
        if status == "ACTIVE":
            return arn
        if time.monotonic() > deadline:
            raise TimeoutError(f"consumer {name} not ACTIVE after {timeout:.0f} s")
        time.sleep(0.05)


def subscribe(kinesis: Any, consumer_arn: str, shard: str) -> Any:
    """boto3 SubscribeToShard from TRIM_HORIZON; returns the event stream."""
    answer = kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId=shard, StartingPosition={"Type": "TRIM_HORIZON"}
    )
    return answer["EventStream"]
