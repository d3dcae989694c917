"""Delivery to S3 end to end: limits of PutRecord(Batch), buffering by size, by interval (the test
clock) and zero buffering, object keys and bytes exactly as AWS forms them, compression, S3
backup, metrics, and a missing bucket retried until it exists (errors logged to CloudWatch Logs)."""

from __future__ import annotations

import gzip
import json
import time
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.firehose.support import KEY, ROLE, objects, s3_stream, wait_objects
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import Server

KIB = 1024


@pytest.fixture
def firehose(client: Any) -> Any:
    return client("firehose")


@pytest.fixture
def s3(client: Any) -> Any:
    return client("s3")


def batch(prefix: str, count: int, size: int = KIB) -> list[bytes]:
    """`count` distinct records of exactly `size` bytes, newline-terminated."""
    return [f"{prefix}-{i:06d}".encode().ljust(size - 1, b".") + b"\n" for i in range(count)]


def test_put_limits(firehose: Any) -> None:
    s3_stream(firehose, "lim", "bucket-lim")
    big = b"x" * 1_024_000
    assert firehose.put_record(DeliveryStreamName="lim", Record={"Data": big})["RecordId"]
    with pytest.raises(ClientError) as caught:
        firehose.put_record(DeliveryStreamName="lim", Record={"Data": big + b"x"})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert (
        "Member must have length less than or equal to 1024000" in caught.value.response["Error"]["Message"]
    )
    with pytest.raises(ClientError) as caught:
        firehose.put_record_batch(DeliveryStreamName="lim", Records=[{"Data": b"x"}] * 501)
    assert "Member must have length less than or equal to 500" in caught.value.response["Error"]["Message"]
    # 4 MiB per call: five records of 1,000 KiB are over, four are under
    with pytest.raises(ClientError) as caught:
        firehose.put_record_batch(DeliveryStreamName="lim", Records=[{"Data": big}] * 5)
    assert caught.value.response["Error"]["Code"] == "InvalidArgumentException"
    answer = firehose.put_record_batch(DeliveryStreamName="lim", Records=[{"Data": big}] * 4)
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == 4
    ids = [r["RecordId"] for r in answer["RequestResponses"]]
    assert len(set(ids)) == 4


def test_buffering_by_size_then_interval(firehose: Any, s3: Any, server: Server) -> None:
    s3.create_bucket(Bucket="bucket-size")
    s3_stream(firehose, "sized", "bucket-size", size_mb=1, interval_s=900)
    sent: list[bytes] = []
    for n in range(3):  # 1.5 MiB: one object once a MiB is buffered, the rest waits for the interval
        records = batch(f"b{n}", 500)
        firehose.put_record_batch(DeliveryStreamName="sized", Records=[{"Data": r} for r in records])
        sent += records
    (first,) = wait_objects(s3, "bucket-size", 1)
    assert len(first[1]) >= 1024 * KIB
    time.sleep(0.3)
    assert len(objects(s3, "bucket-size")) == 1  # the rest is below the size hint
    server.advance(900)
    found = wait_objects(s3, "bucket-size", 2)
    assert len(found) == 2
    assert b"".join(body for _, body in sorted(found, key=lambda kb: kb[1] != first[1])) == b"".join(sent)


def test_interval_on_the_test_clock(firehose: Any, s3: Any, server: Server) -> None:
    s3.create_bucket(Bucket="bucket-interval")
    s3_stream(firehose, "timed", "bucket-interval", size_mb=128, interval_s=60)
    firehose.put_record(DeliveryStreamName="timed", Record={"Data": b"one,"})
    firehose.put_record_batch(DeliveryStreamName="timed", Records=[{"Data": b"two,"}, {"Data": b"three"}])
    time.sleep(0.3)
    assert objects(s3, "bucket-interval") == []
    server.advance(59)
    time.sleep(0.3)
    assert objects(s3, "bucket-interval") == []
    server.advance(1)
    ((key, body),) = wait_objects(s3, "bucket-interval", 1)
    assert body == b"one,two,three"  # concatenated, no delimiter
    match = KEY.fullmatch(key)
    assert (
        match is not None and match["prefix"] == "" and match["stream"] == "timed" and match["version"] == "1"
    )


def test_zero_buffering_and_key_format(firehose: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="bucket-zero")
    s3_stream(firehose, "zero", "bucket-zero", size_mb=1, interval_s=0, Prefix="logs/")
    before = time.gmtime(time.time() - 1)
    firehose.put_record(DeliveryStreamName="zero", Record={"Data": b"now"})
    ((key, body),) = wait_objects(s3, "bucket-zero", 1, prefix="logs/")
    after = time.gmtime(time.time() + 1)
    assert body == b"now"
    match = KEY.fullmatch(key)
    assert match is not None and match["prefix"] == "logs/" and match["ext"] == ""
    hour = (int(match["y"]), int(match["m"]), int(match["d"]), int(match["h"]))
    assert tuple(before[:4]) <= hour <= tuple(after[:4])  # the arrival hour, in UTC


def test_update_destination_version_in_names(firehose: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="bucket-ver")
    s3_stream(firehose, "ver", "bucket-ver", size_mb=1, interval_s=0)
    firehose.put_record(DeliveryStreamName="ver", Record={"Data": b"v1"})
    wait_objects(s3, "bucket-ver", 1)
    firehose.update_destination(
        DeliveryStreamName="ver",
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"Prefix": "second/"},
    )
    firehose.put_record(DeliveryStreamName="ver", Record={"Data": b"v2"})
    ((key, body),) = wait_objects(s3, "bucket-ver", 1, prefix="second/")
    match = KEY.fullmatch(key)
    assert body == b"v2" and match is not None and match["version"] == "2"


def test_gzip_and_backup(firehose: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="bucket-gz")
    s3.create_bucket(Bucket="bucket-backup")
    s3_stream(
        firehose,
        "gz",
        "bucket-gz",
        size_mb=1,
        interval_s=0,
        CompressionFormat="GZIP",
        S3BackupMode="Enabled",
        S3BackupConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::bucket-backup",
            "Prefix": "source/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
        },
    )
    records = batch("gz", 100, 100)
    firehose.put_record_batch(DeliveryStreamName="gz", Records=[{"Data": r} for r in records])
    ((key, body),) = wait_objects(s3, "bucket-gz", 1)
    assert key.endswith(".gz") and gzip.decompress(body) == b"".join(records)
    ((backup_key, backup),) = wait_objects(s3, "bucket-backup", 1, prefix="source/")
    assert backup == b"".join(records) and KEY.fullmatch(backup_key) is not None


def test_missing_bucket_is_retried_until_created(firehose: Any, s3: Any, client: Any, server: Server) -> None:
    logs = client("logs")
    s3_stream(
        firehose,
        "later",
        "bucket-later",
        size_mb=1,
        interval_s=0,
        CloudWatchLoggingOptions={
            "Enabled": True,
            "LogGroupName": "/aws/firehose/later",
            "LogStreamName": "S3Delivery",
        },
    )
    firehose.put_record_batch(DeliveryStreamName="later", Records=[{"Data": b"kept-"}, {"Data": b"safe"}])

    def logged() -> list[dict[str, Any]]:
        try:
            events = logs.get_log_events(logGroupName="/aws/firehose/later", logStreamName="S3Delivery")[
                "events"
            ]
        except ClientError:
            return []
        return [json.loads(e["message"]) for e in events]

    (event, *_) = wait_for(logged, 10, "an error logged")
    assert event["errorCode"] == "S3.NoSuchBucket"
    assert event["deliveryStreamARN"] == "arn:aws:firehose:us-east-1:000000000000:deliverystream/later"
    assert event["destination"] == "arn:aws:s3:::bucket-later"
    s3.create_bucket(Bucket="bucket-later")
    server.advance(5)  # AWS retries every 5 seconds
    ((_, body),) = wait_objects(s3, "bucket-later", 1)
    assert body == b"kept-safe"


def test_metrics(firehose: Any, s3: Any, server: Server) -> None:
    s3.create_bucket(Bucket="bucket-metrics")
    s3_stream(firehose, "measured", "bucket-metrics", size_mb=1, interval_s=0)
    firehose.put_record_batch(DeliveryStreamName="measured", Records=[{"Data": b"abc"}] * 3)
    wait_objects(s3, "bucket-metrics", 1)

    def metric_lines() -> list[str]:
        with urllib.request.urlopen(f"{server.endpoint}/_headwater/metrics") as answer:
            text = answer.read().decode()
        return [line for line in text.splitlines() if 'DeliveryStreamName="measured"' in line]

    lines = wait_for(
        lambda: (found := metric_lines()) and any("delivery_to_s3_records" in x for x in found) and found,
        10,
        "delivery metrics",
    )
    assert any(line.startswith("aws_firehose_incoming_records{") and line.endswith(" 3") for line in lines)
    assert any(
        line.startswith("aws_firehose_delivery_to_s3_bytes{") and line.endswith(" 9") for line in lines
    )
