"""Asynchronous invocation end to end: the durable event queue (kill -9 loses no accepted event),
retries on the server clock, event age, EventInvokeConfig, destinations and the dead-letter queue."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.functions.support import ROLE, ensure_role, python_function
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, durable_server

SOURCE = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail: " + str(event["n"]))
    return {"done": event.get("n")}
"""


def arn_of(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def drain(sqs: Any, url: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Polls until `count` messages arrived (deleting them), then checks no more follow at once."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        for message in answer.get("Messages", []):
            got.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(got) == count, got
    return got


def event(lam: Any, name: str, payload: dict[str, Any]) -> None:
    answer = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload).encode())
    assert answer["StatusCode"] == 202


def test_event_invoke_config_operations(lam: Any, role: str, sqs: Any) -> None:
    python_function(lam, "configured", SOURCE, role)
    queue = arn_of(sqs, sqs.create_queue(QueueName="outcomes")["QueueUrl"])
    with pytest.raises(ClientError) as missing:
        lam.get_function_event_invoke_config(FunctionName="configured")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "doesn't have an EventInvokeConfig" in missing.value.response["Error"]["Message"]
    assert (
        lam.list_function_event_invoke_configs(FunctionName="configured")["FunctionEventInvokeConfigs"] == []
    )
    with pytest.raises(ClientError) as update_missing:
        lam.update_function_event_invoke_config(FunctionName="configured", MaximumRetryAttempts=1)
    assert update_missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    put = lam.put_function_event_invoke_config(
        FunctionName="configured",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue}},
    )
    assert put["FunctionArn"].endswith(":function:configured:$LATEST")
    assert put["MaximumRetryAttempts"] == 1 and put["MaximumEventAgeInSeconds"] == 21600
    assert put["DestinationConfig"] == {"OnFailure": {"Destination": queue}}
    updated = lam.update_function_event_invoke_config(FunctionName="configured", MaximumEventAgeInSeconds=120)
    assert updated["MaximumRetryAttempts"] == 1 and updated["MaximumEventAgeInSeconds"] == 120
    assert updated["DestinationConfig"] == {"OnFailure": {"Destination": queue}}
    replaced = lam.put_function_event_invoke_config(FunctionName="configured", MaximumEventAgeInSeconds=60)
    assert replaced["MaximumRetryAttempts"] == 2 and replaced["DestinationConfig"] == {}
    listed = lam.list_function_event_invoke_configs(FunctionName="configured")["FunctionEventInvokeConfigs"]
    assert [c["MaximumEventAgeInSeconds"] for c in listed] == [60]
    table = "arn:aws:dynamodb:us-east-1:000000000000:table/t"
    with pytest.raises(ClientError) as bad:
        lam.put_function_event_invoke_config(
            FunctionName="configured", DestinationConfig={"OnSuccess": {"Destination": table}}
        )
    assert bad.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert bad.value.response["Error"]["Message"] == f"The destination ARN {table} is invalid."
    with pytest.raises(ClientError) as no_function:
        lam.get_function_event_invoke_config(FunctionName="nobody")
    assert no_function.value.response["Error"]["Code"] == "ResourceNotFoundException"
    lam.delete_function_event_invoke_config(FunctionName="configured")
    with pytest.raises(ClientError):
        lam.delete_function_event_invoke_config(FunctionName="configured")


def test_retries_destinations_and_dead_letter_queue(lam: Any, role: str, sqs: Any, server: Server) -> None:
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("ok", "failed", "dlq")}
    arns = {name: arn_of(sqs, url) for name, url in urls.items()}
    python_function(lam, "flaky", SOURCE, role, DeadLetterConfig={"TargetArn": arns["dlq"]})
    assert lam.get_function_configuration(FunctionName="flaky")["DeadLetterConfig"] == {
        "TargetArn": arns["dlq"]
    }
    lam.put_function_event_invoke_config(
        FunctionName="flaky",
        MaximumRetryAttempts=1,
        DestinationConfig={
            "OnSuccess": {"Destination": arns["ok"]},
            "OnFailure": {"Destination": arns["failed"]},
        },
    )
    event(lam, "flaky", {"n": 1})
    (success,) = drain(sqs, urls["ok"], 1)
    record = json.loads(success["Body"])
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    context = record["requestContext"]
    assert context["condition"] == "Success" and context["approximateInvokeCount"] == 1
    assert context["functionArn"].endswith(":function:flaky:$LATEST") and context["requestId"]
    assert record["requestPayload"] == {"n": 1} and record["responsePayload"] == {"done": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}

    event(lam, "flaky", {"n": 2, "fail": True})
    time.sleep(1.0)  # the first attempt runs now; the retry waits a minute on the server clock
    assert sqs.receive_message(QueueUrl=urls["failed"], WaitTimeSeconds=1).get("Messages") is None
    server.advance(61)
    (failure,) = drain(sqs, urls["failed"], 1)
    record = json.loads(failure["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "asked to fail: 2"
    (dead,) = drain(sqs, urls["dlq"], 1)
    assert json.loads(dead["Body"]) == {"n": 2, "fail": True}
    attributes = dead["MessageAttributes"]
    assert attributes["RequestID"]["StringValue"] == record["requestContext"]["requestId"]
    assert attributes["ErrorCode"]["DataType"] == "Number"
    assert attributes["ErrorMessage"]["StringValue"] == "asked to fail: 2"


def test_throttled_events_expire_to_the_failure_destination(
    lam: Any, role: str, sqs: Any, server: Server
) -> None:
    url = sqs.create_queue(QueueName="expired")["QueueUrl"]
    python_function(lam, "blocked", SOURCE, role)
    lam.put_function_concurrency(FunctionName="blocked", ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(
        FunctionName="blocked",
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": arn_of(sqs, url)}},
    )
    event(lam, "blocked", {"n": 3})
    server.advance(30)
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages") is None
    server.advance(400)  # past the event's age and the throttle backoff
    (expired,) = drain(sqs, url, 1)
    record = json.loads(expired["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0 and record["requestPayload"] == {"n": 3}


def test_async_payload_limit(lam: Any, role: str) -> None:
    python_function(lam, "limited", SOURCE, role)
    with pytest.raises(ClientError) as too_big:
        lam.invoke(FunctionName="limited", InvocationType="Event", Payload=b'"' + b"x" * 1048576 + b'"')
    assert too_big.value.response["Error"]["Code"] == "RequestTooLargeException"


def test_kill_9_loses_no_accepted_event(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    server = durable_server(data).start()
    try:
        lam, sqs = client_for(server.endpoint, "lambda"), client_for(server.endpoint, "sqs")
        ensure_role(lambda service: client_for(server.endpoint, service))
        url = sqs.create_queue(QueueName="ran")["QueueUrl"]
        python_function(lam, "durable", SOURCE, ROLE)
        lam.put_function_event_invoke_config(
            FunctionName="durable", DestinationConfig={"OnSuccess": {"Destination": arn_of(sqs, url)}}
        )
        lam.put_function_concurrency(FunctionName="durable", ReservedConcurrentExecutions=0)  # hold them
        for n in range(5):
            event(lam, "durable", {"n": n})
    finally:
        server.kill()
    server = durable_server(data).start()
    try:
        lam, sqs = client_for(server.endpoint, "lambda"), client_for(server.endpoint, "sqs")
        lam.delete_function_concurrency(FunctionName="durable")
        server.advance(400)  # past any throttle backoff
        ran = drain(sqs, url, 5)
        assert sorted(json.loads(m["Body"])["responsePayload"]["done"] for m in ran) == [0, 1, 2, 3, 4]
        # code packages live in the blob store, as S3's sweep left them
        assert lam.invoke(FunctionName="durable")["StatusCode"] == 200
    finally:
        server.stop()
