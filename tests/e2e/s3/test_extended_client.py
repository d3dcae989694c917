"""The Amazon SQS Extended Client Library for Python (`amazon-sqs-extended-client`, a test
dependency) against the server's SQS and S3: a 5 MiB message goes to S3, the queue carries the
pointer, the receiver gets the body back, and deleting the message deletes the payload."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import boto3.session
from botocore.config import Config

from tests.e2e.support.s3 import MIB, keys_of, payload

POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"


def extended_session(**credentials: str) -> Any:
    """An SQSExtendedClientSession. Importing the library replaces boto3.Session (and the default
    session) process-wide, which would turn every SQS client of this test worker into an extended
    one; the originals are put back at once, and only sessions made here are extended."""
    saved = boto3.session.Session, boto3.Session, boto3.DEFAULT_SESSION
    try:
        from sqs_extended_client import SQSExtendedClientSession
    finally:
        boto3.session.Session, boto3.Session, boto3.DEFAULT_SESSION = saved
    return SQSExtendedClientSession(**credentials)


def extended_sqs(endpoint: str, s3: Any, bucket: str) -> Any:
    session = extended_session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    client = session.client("sqs", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))
    # the library builds its S3 client without an endpoint; point it at the server
    client.s3_client = s3
    client.large_payload_support = bucket
    client.delete_payload_from_s3 = True
    return client


def test_five_mib_message_through_sqs_and_s3(endpoint: str, s3: Any, sqs: Any) -> None:
    s3.create_bucket(Bucket="large-payloads")
    url = sqs.create_queue(QueueName="big-messages")["QueueUrl"]
    extended = extended_sqs(endpoint, s3, "large-payloads")
    body = base64.b64encode(payload(5 * MIB * 3 // 4, seed=41)).decode()
    assert len(body) == 5 * MIB

    extended.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "report"}},
    )
    (stored,) = s3.list_objects_v2(Bucket="large-payloads")["Contents"]
    assert stored["Size"] == len(body)

    # on the queue itself: the pointer and the payload's size, not the body
    (raw,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=30)[
        "Messages"
    ]
    pointer = json.loads(raw["Body"])
    assert pointer == [POINTER_CLASS, {"s3BucketName": "large-payloads", "s3Key": stored["Key"]}]
    assert raw["MessageAttributes"]["ExtendedPayloadSize"] == {
        "DataType": "Number",
        "StringValue": str(len(body)),
    }
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=raw["ReceiptHandle"], VisibilityTimeout=0)

    (message,) = extended.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == body
    assert message["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "report"}}
    extended.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert keys_of(s3.list_objects_v2(Bucket="large-payloads")) == []
    counts = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_small_messages_stay_on_the_queue(endpoint: str, s3: Any, sqs: Any) -> None:
    s3.create_bucket(Bucket="large-payloads")
    url = sqs.create_queue(QueueName="small-messages")["QueueUrl"]
    extended = extended_sqs(endpoint, s3, "large-payloads")
    extended.send_message(QueueUrl=url, MessageBody="just a few bytes")
    assert s3.list_objects_v2(Bucket="large-payloads")["KeyCount"] == 0
    (message,) = extended.receive_message(QueueUrl=url)["Messages"]
    assert message["Body"] == "just a few bytes"
    extended.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
