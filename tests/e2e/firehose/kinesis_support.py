"""Helpers for the Kinesis-source e2e tests: a Kinesis stream, a delivery stream reading it into a
bucket, and the records the bucket holds."""

from __future__ import annotations

from typing import Any

from tests.e2e.firehose.support import ROLE, objects
from tests.e2e.support.s3 import wait_for


def kinesis_stream(kinesis: Any, name: str, shards: int = 1) -> str:
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return str(kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])


def sourced_stream(
    firehose: Any, name: str, stream_arn: str, bucket: str, *, interval_s: int = 0, **extra: Any
) -> str:
    config = {
        "RoleARN": ROLE,
        "BucketARN": f"arn:aws:s3:::{bucket}",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": interval_s},
        **extra,
    }
    answer = firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": stream_arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration=config,
    )
    return str(answer["DeliveryStreamARN"])


def lines(s3: Any, bucket: str, prefix: str = "") -> list[bytes]:
    """Every delivered line, objects in key order (time, then id), lines in object order."""
    return b"".join(body for _, body in objects(s3, bucket, prefix)).splitlines(keepends=True)


def wait_lines(s3: Any, bucket: str, expected: set[bytes], timeout: float = 30.0) -> list[bytes]:
    return list(
        wait_for(
            lambda: (found := lines(s3, bucket)) and expected <= set(found) and found,
            timeout,
            f"{len(expected)} records in {bucket}",
        )
    )


def put_lines(kinesis: Any, stream: str, texts: list[str], key: str | None = None) -> list[bytes]:
    """Puts each text + a new line (PutRecords, 500 a call); returns the bytes put."""
    datas = [f"{t}\n".encode() for t in texts]
    for start in range(0, len(datas), 500):
        chunk = datas[start : start + 500]
        answer = kinesis.put_records(
            StreamName=stream,
            Records=[{"Data": d, "PartitionKey": key or d.decode().split("-")[0]} for d in chunk],
        )
        assert answer["FailedRecordCount"] == 0, answer
    return datas
