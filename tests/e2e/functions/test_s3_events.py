"""S3 event notifications delivered to functions: the function receives S3's event message (the same
record S3 sends to SQS) as an asynchronous invocation; PutBucketNotificationConfiguration validates
the destination function; with strict auth the function's resource policy must let
s3.amazonaws.com invoke it for the bucket (SourceArn, SourceAccount)."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.functions.support import ensure_role, python_function
from tests.e2e.support.clients import client_for
from tests.e2e.support.s3 import error_of, md5_hex, wait_for
from tests.e2e.support.server import Server, server_fixture

# writes the event it received to the queue its environment names
FORWARD = """
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps(event))
"""

strict = server_fixture(
    "strict-s3-events",
    "--durability memory --limits off --transition-delay 0 --auth strict --credentials test:test",
)


def take(sqs: Any, url: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []

    def more() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(got) >= count

    wait_for(more, timeout, f"{count} message(s) on {url}")
    return got


def forwarding_function(lam: Any, sqs: Any, role: str, name: str) -> tuple[str, str]:
    """(function ARN, URL of the queue it writes its events to)."""
    url = sqs.create_queue(QueueName=f"{name}-got")["QueueUrl"]
    arn = python_function(lam, name, FORWARD, role, Environment={"Variables": {"QUEUE": url}})["FunctionArn"]
    return arn, url


def queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_object_events_reach_the_function(client: Any, s3: Any, sqs: Any, lam: Any, role: str) -> None:
    function, got = forwarding_function(lam, sqs, role, "on-upload")
    s3.create_bucket(Bucket="uploads")
    direct = sqs.create_queue(QueueName="direct")["QueueUrl"]  # S3's record for SQS, to compare with
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"Id": "to-function", "LambdaFunctionArn": function, "Events": ["s3:ObjectCreated:*"]},
                {
                    "Id": "removals",
                    "LambdaFunctionArn": function,
                    "Events": ["s3:ObjectRemoved:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}},
                },
            ],
            "QueueConfigurations": [
                {"Id": "to-queue", "QueueArn": queue_arn(sqs, direct), "Events": ["s3:ObjectTagging:*"]}
            ],
        },
    )
    stored = s3.get_bucket_notification_configuration(Bucket="uploads")["LambdaFunctionConfigurations"]
    assert sorted(c["Id"] for c in stored) == ["removals", "to-function"]
    take(sqs, direct, 1)  # the s3:TestEvent goes to queues only
    s3.put_object(Bucket="uploads", Key="in/a b.csv", Body=b"x,y\n")
    s3.put_object_tagging(
        Bucket="uploads", Key="in/a b.csv", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}
    )
    s3.delete_object(Bucket="uploads", Key="in/a b.csv")
    s3.put_object(Bucket="uploads", Key="skip.txt", Body=b"-")
    s3.delete_object(Bucket="uploads", Key="skip.txt")  # not .csv: no removal event
    events = take(sqs, got, 3)
    records = sorted((e["Records"][0] for e in events), key=lambda r: r["s3"]["object"]["sequencer"])
    put, removed, second = records
    assert [r["eventName"] for r in records] == [
        "ObjectCreated:Put",
        "ObjectRemoved:Delete",
        "ObjectCreated:Put",
    ]
    assert all(len(e["Records"]) == 1 for e in events)
    assert put["eventSource"] == "aws:s3" and put["eventVersion"] == "2.1" and put["awsRegion"] == "us-east-1"
    assert put["userIdentity"] == {"principalId": "000000000000"}
    assert put["s3"]["configurationId"] == "to-function" and removed["s3"]["configurationId"] == "removals"
    assert put["s3"]["bucket"] == {
        "name": "uploads",
        "ownerIdentity": {"principalId": "000000000000"},
        "arn": "arn:aws:s3:::uploads",
    }
    assert put["s3"]["object"]["key"] == "in/a+b.csv" and put["s3"]["object"]["size"] == 4
    assert put["s3"]["object"]["eTag"] == md5_hex(b"x,y\n")
    assert second["s3"]["object"]["key"] == "skip.txt"
    (tagged,) = take(sqs, direct, 1)
    # the same record shape S3 sends to a queue
    assert set(tagged["Records"][0]) == set(put) and set(tagged["Records"][0]["s3"]) == set(put["s3"])


def test_destination_validation(s3: Any, lam: Any, sqs: Any, role: str) -> None:
    function, _ = forwarding_function(lam, sqs, role, "checked")
    s3.create_bucket(Bucket="validated")
    missing = function.replace("checked", "nobody")
    bad = error_of(
        s3.put_bucket_notification_configuration,
        Bucket="validated",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": missing, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    assert (bad.code, bad.status, bad.message) == (
        "InvalidArgument",
        400,
        "Unable to validate the following destination configurations",
    )
    assert bad.error["ArgumentName1"] == f"{missing}, null"
    assert bad.error["ArgumentValue1"] == f"Not authorized to invoke function [{missing}]"
    # skipping validation stores it anyway; a function deleted later just drops the events
    s3.put_bucket_notification_configuration(
        Bucket="validated",
        SkipDestinationValidation=True,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": missing, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(Bucket="validated", Key="k", Body=b"1")
    assert s3.head_object(Bucket="validated", Key="k")["ContentLength"] == 1


def test_strict_auth_checks_the_function_policy(strict: Server) -> None:
    strict.reset()
    clients = lambda service: client_for(strict.endpoint, service)  # noqa: E731
    s3, sqs, lam = clients("s3"), clients("sqs"), clients("lambda")
    role = ensure_role(clients)
    function, got = forwarding_function(lam, sqs, role, "guarded")
    s3.create_bucket(Bucket="private")
    marks = sqs.create_queue(QueueName="marks")["QueueUrl"]  # tagging events: delivered in order after
    config = {
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": function, "Events": ["s3:ObjectCreated:*"]}],
        "QueueConfigurations": [{"QueueArn": queue_arn(sqs, marks), "Events": ["s3:ObjectTagging:*"]}],
    }

    def put_config() -> Any:
        return error_of(
            s3.put_bucket_notification_configuration, Bucket="private", NotificationConfiguration=config
        )

    assert put_config().error["ArgumentValue1"] == f"Not authorized to invoke function [{function}]"
    grant = {"FunctionName": "guarded", "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com"}
    lam.add_permission(StatementId="other-bucket", SourceArn="arn:aws:s3:::someone-else", **grant)
    assert put_config().code == "InvalidArgument"  # a statement for another bucket does not do
    lam.add_permission(
        StatementId="s3", SourceArn="arn:aws:s3:::private", SourceAccount="000000000000", **grant
    )
    s3.put_bucket_notification_configuration(Bucket="private", NotificationConfiguration=config)
    take(sqs, marks, 1)  # the s3:TestEvent
    s3.put_object(Bucket="private", Key="first", Body=b"1")
    (event,) = take(sqs, got, 1)
    assert event["Records"][0]["s3"]["object"]["key"] == "first"
    # the permission taken away: S3 drops the events (the next object's event never arrives)
    lam.remove_permission(FunctionName="guarded", StatementId="s3")
    s3.put_object(Bucket="private", Key="second", Body=b"2")
    # the outbox delivers in order: once this tagging event is in, the refused one was dropped
    s3.put_object_tagging(Bucket="private", Key="second", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    take(sqs, marks, 1)
    lam.add_permission(StatementId="s3-again", SourceArn="arn:aws:s3:::priv*", **grant)
    s3.put_object(Bucket="private", Key="third", Body=b"3")
    (event,) = take(sqs, got, 1)
    assert event["Records"][0]["s3"]["object"]["key"] == "third"
