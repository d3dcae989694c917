"""Firehose server-side encryption: Start/StopDeliveryStreamEncryption go through ENABLING and
DISABLING as AWS reports them, PutRecord(Batch) answer Encrypted, and the records of an encrypted
stream are sealed in the raw log: the data directory holds none of them in clear, and after a
restart they are delivered in clear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.firehose.support import s3_stream, wait_objects
from tests.e2e.support.clients import client_for
from tests.e2e.support.disk import marker, on_disk
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import running

SLOW = ("--durability", "fast", "--limits", "off", "--test-mode", "on", "--transition-delay", "1")


def status(firehose: Any, name: str) -> dict[str, Any]:
    description = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    return dict(description["DeliveryStreamEncryptionConfiguration"])


def test_records_sealed_at_rest_and_status_transitions(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    clear, sealed, batch, after = (marker(x) for x in ("clear", "sealed", "batch", "after"))
    with running(data_dir, *SLOW, exits_cleanly=True) as server:
        firehose = client_for(server.endpoint, "firehose")
        # no bucket yet: the records stay in the stream's log, retried
        s3_stream(firehose, "sse", "bucket-sse", size_mb=1, interval_s=0)
        wait_for(
            lambda: (
                firehose.describe_delivery_stream(DeliveryStreamName="sse")["DeliveryStreamDescription"][
                    "DeliveryStreamStatus"
                ]
                == "ACTIVE"
            ),
            10,
            "the stream ACTIVE",
        )
        assert status(firehose, "sse") == {"Status": "DISABLED"}
        answer = firehose.put_record(DeliveryStreamName="sse", Record={"Data": clear})
        assert answer["Encrypted"] is False

        firehose.start_delivery_stream_encryption(
            DeliveryStreamName="sse", DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"}
        )
        assert status(firehose, "sse") == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLING"}
        assert firehose.put_record(DeliveryStreamName="sse", Record={"Data": sealed})["Encrypted"] is True
        wait_for(lambda: status(firehose, "sse")["Status"] == "ENABLED", 10, "ENABLED")
        assert status(firehose, "sse") == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
        answer = firehose.put_record_batch(DeliveryStreamName="sse", Records=[{"Data": batch}])
        assert answer["Encrypted"] is True

        firehose.stop_delivery_stream_encryption(DeliveryStreamName="sse")
        assert status(firehose, "sse")["Status"] == "DISABLING"
        wait_for(lambda: status(firehose, "sse")["Status"] == "DISABLED", 10, "DISABLED")
        assert firehose.put_record(DeliveryStreamName="sse", Record={"Data": after})["Encrypted"] is False
    stored = on_disk(data_dir)
    assert clear in stored and after in stored  # the search works...
    assert sealed not in stored and batch not in stored  # ...and finds no sealed record
    with running(data_dir, *SLOW, exits_cleanly=True) as server:
        s3 = client_for(server.endpoint, "s3")
        s3.create_bucket(Bucket="bucket-sse")
        server.advance(5)  # the next retry
        found = wait_objects(s3, "bucket-sse", 1)
        delivered = b"".join(body for _, body in found)
        for record in (clear, sealed, batch, after):
            assert record in delivered


def test_customer_managed_key(client: Any) -> None:
    firehose, kms = client("firehose"), client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3_stream(firehose, "sse-cmk", "bucket-sse-cmk", size_mb=1, interval_s=0)
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName="sse-cmk",
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key},
    )
    assert status(firehose, "sse-cmk") == {
        "KeyARN": key,
        "KeyType": "CUSTOMER_MANAGED_CMK",
        "Status": "ENABLED",
    }
    s3 = client("s3")
    s3.create_bucket(Bucket="bucket-sse-cmk")
    assert firehose.put_record(DeliveryStreamName="sse-cmk", Record={"Data": b"secret"})["Encrypted"] is True
    ((_, body),) = wait_objects(s3, "bucket-sse-cmk", 1)
    assert body == b"secret"
