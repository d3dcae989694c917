"""S3 event notifications to SQS end to end: the configuration round trip and its validation, the
s3:TestEvent sent when a queue is configured, AWS's event JSON for ObjectCreated (Put, Copy,
CompleteMultipartUpload) and ObjectRemoved (Delete, DeleteMarkerCreated) with the URL-encoded key,
ETag and sequencer, and prefix/suffix filters."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.support.s3 import error_of, md5_hex, s3_client, wait_for

BUCKET = "watched"


def make_queue(sqs: Any, name: str, bucket: str) -> tuple[str, str]:
    """A queue whose policy lets S3 send for `bucket`, as AWS requires; returns (url, arn)."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "SQS:SendMessage",
                "Resource": arn,
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def take(sqs: Any, url: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Receives (and deletes) until `count` messages arrived; returns their parsed bodies."""
    got: list[dict[str, Any]] = []

    def more() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(got) >= count

    wait_for(more, timeout, f"{count} notification(s) on {url}")
    return got


def records(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for body in bodies for record in body.get("Records", [])]


def sequencer_value(sequencer: str) -> int:
    """AWS: compare sequencers as hex numbers (shorter ones left-padded with zeros)."""
    assert re.fullmatch(r"[0-9A-F]+", sequencer), sequencer
    return int(sequencer, 16)


@pytest.fixture
def watched(s3: Any, sqs: Any) -> tuple[str, str]:
    s3.create_bucket(Bucket=BUCKET)
    return make_queue(sqs, "s3-events", BUCKET)


def test_configuration_round_trip_and_test_event(s3: Any, sqs: Any, watched: tuple[str, str]) -> None:
    url, arn = watched
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=BUCKET)
    config = {
        "QueueConfigurations": [
            {"Id": "created", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"]},
            {
                "Id": "removed-logs",
                "QueueArn": arn,
                "Events": ["s3:ObjectRemoved:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "logs/"}]}},
            },
        ]
    }
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"]
    for rule in got[-1]["Filter"]["Key"]["FilterRules"]:
        rule["Name"] = rule["Name"].lower()  # S3 answers "Prefix" for "prefix"
    assert sorted(got, key=lambda c: c["Id"]) == config["QueueConfigurations"]

    (test_event,) = take(sqs, url, 1)
    assert test_event["Service"] == "Amazon S3"
    assert test_event["Event"] == "s3:TestEvent"
    assert test_event["Bucket"] == BUCKET
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", test_event["Time"])
    assert test_event["RequestId"] and "Records" not in test_event

    # a destination that does not exist is refused, and the old configuration stays
    bad = error_of(
        s3.put_bucket_notification_configuration,
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn.rsplit(":", 1)[0] + ":no-such-queue", "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    assert (bad.code, bad.status) == ("InvalidArgument", 400)
    assert bad.message == "Unable to validate the following destination configurations"
    # two configurations may not share an event type for overlapping keys
    overlap = error_of(
        s3.put_bucket_notification_configuration,
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]},
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:Put"]},
            ]
        },
    )
    assert (overlap.code, overlap.status) == ("InvalidArgument", 400)
    assert overlap.message.startswith("Configurations overlap.")
    assert len(s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"]) == 2
    # an empty configuration turns notifications off
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=BUCKET)


def test_event_records(s3: Any, sqs: Any, watched: tuple[str, str], endpoint: str) -> None:
    url, arn = watched
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"Id": "created", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"]},
                {"Id": "removed", "QueueArn": arn, "Events": ["s3:ObjectRemoved:*"]},
            ]
        },
    )
    take(sqs, url, 1)  # the s3:TestEvent

    key = "in/a b+é.txt"
    body = b"hello event"
    put = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    (record,) = records(take(sqs, url, 1))
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventVersion"].startswith("2.")
    assert record["awsRegion"] == "us-east-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert record["userIdentity"]["principalId"]
    assert record["requestParameters"]["sourceIPAddress"]
    assert record["responseElements"]["x-amz-request-id"] == put["ResponseMetadata"]["RequestId"]
    detail = record["s3"]
    assert detail["s3SchemaVersion"] == "1.0"
    assert detail["configurationId"] == "created"
    assert detail["bucket"]["name"] == BUCKET
    assert detail["bucket"]["arn"] == f"arn:aws:s3:::{BUCKET}"
    assert detail["bucket"]["ownerIdentity"]["principalId"]
    # the key is URL-encoded as a form value: space as '+', '+' as %2B, UTF-8 escaped, '/' kept
    assert detail["object"]["key"] == "in/a+b%2B%C3%A9.txt"
    assert detail["object"]["size"] == len(body)
    assert detail["object"]["eTag"] == md5_hex(body)  # unquoted
    first_sequencer = sequencer_value(detail["object"]["sequencer"])

    s3.put_object(Bucket=BUCKET, Key=key, Body=b"again")
    (again,) = records(take(sqs, url, 1))
    assert sequencer_value(again["s3"]["object"]["sequencer"]) > first_sequencer

    s3.copy_object(Bucket=BUCKET, Key="copied", CopySource={"Bucket": BUCKET, "Key": key})
    (copied,) = records(take(sqs, url, 1))
    assert copied["eventName"] == "ObjectCreated:Copy"
    assert copied["s3"]["object"]["key"] == "copied"

    plain = s3_client(endpoint, request_checksum_calculation="when_required")
    upload_id = plain.create_multipart_upload(Bucket=BUCKET, Key="mpu")["UploadId"]
    part = plain.upload_part(Bucket=BUCKET, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"part")
    plain.complete_multipart_upload(
        Bucket=BUCKET,
        Key="mpu",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    (completed,) = records(take(sqs, url, 1))
    assert completed["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    assert completed["s3"]["object"]["eTag"].endswith("-1")

    s3.delete_object(Bucket=BUCKET, Key="copied")
    (removed,) = records(take(sqs, url, 1))
    assert removed["eventName"] == "ObjectRemoved:Delete"
    assert removed["s3"]["configurationId"] == "removed"
    assert removed["s3"]["object"]["key"] == "copied"
    assert sequencer_value(removed["s3"]["object"]["sequencer"]) >= 0

    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    versioned = s3.put_object(Bucket=BUCKET, Key="v", Body=b"v1")
    (created,) = records(take(sqs, url, 1))
    assert created["s3"]["object"]["versionId"] == versioned["VersionId"]
    marker = s3.delete_object(Bucket=BUCKET, Key="v")
    (marked,) = records(take(sqs, url, 1))
    assert marked["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert marked["s3"]["object"]["versionId"] == marker["VersionId"]


def test_prefix_and_suffix_filters(s3: Any, sqs: Any) -> None:
    s3.create_bucket(Bucket="photos")
    url, arn = make_queue(sqs, "jpegs", "photos")
    s3.put_bucket_notification_configuration(
        Bucket="photos",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:Put"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": "images/"},
                                {"Name": "suffix", "Value": ".jpg"},
                            ]
                        }
                    },
                }
            ]
        },
    )
    take(sqs, url, 1)  # the s3:TestEvent
    for key in ("images/a.jpg", "images/a.png", "docs/a.jpg", "images.jpg", "images/sub/b.jpg"):
        s3.put_object(Bucket="photos", Key=key, Body=b"x")
    s3.copy_object(
        Bucket="photos", Key="images/copy.jpg", CopySource="photos/images/a.jpg"
    )  # Copy: not subscribed
    s3.delete_object(Bucket="photos", Key="images/a.jpg")  # ObjectRemoved: not subscribed
    s3.put_object(Bucket="photos", Key="images/z-last.jpg", Body=b"x")
    got = records(take(sqs, url, 3))
    assert sorted(r["s3"]["object"]["key"] for r in got) == [
        "images/a.jpg",
        "images/sub/b.jpg",
        "images/z-last.jpg",
    ]
    assert {r["eventName"] for r in got} == {"ObjectCreated:Put"}
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
