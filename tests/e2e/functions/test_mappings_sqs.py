"""SQS event-source mappings end to end: the API, the event, batching, failures, filters, FIFO."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.functions.support import drain, recorder, wait_state
from tests.e2e.support.server import Server


def queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def bodies(seen: list[dict[str, Any]], ok: bool | None = True) -> list[str]:
    return [r["body"] for s in seen if ok is None or s["ok"] == ok for r in s["event"]["Records"]]


def counts(sqs: Any, url: str) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


def until(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_api_validation_and_defaults(lam: Any, sqs: Any, role: str) -> None:
    _, arn = queue(sqs, "api-q")
    recorder(lam, sqs, "fn-sqs-api", role)
    with pytest.raises(ClientError) as window:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn-sqs-api", BatchSize=20)
    assert window.value.response["Error"]["Message"] == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    )
    for extra in ({"StartingPosition": "LATEST"}, {"BisectBatchOnFunctionError": True}):
        with pytest.raises(ClientError) as refused:
            lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn-sqs-api", **extra)
        name = next(iter(extra))
        assert refused.value.response["Error"]["Message"] == (
            f"Unsupported {name} parameter for given event source mapping type."
        )
    with pytest.raises(ClientError) as missing:
        lam.create_event_source_mapping(EventSourceArn=arn + "-nope", FunctionName="fn-sqs-api")
    assert missing.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as no_function:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="nope")
    assert no_function.value.response["Error"]["Code"] == "ResourceNotFoundException"
    created = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="fn-sqs-api", Enabled=False, ScalingConfig={"MaximumConcurrency": 2}
    )
    assert created["BatchSize"] == 10 and created["MaximumBatchingWindowInSeconds"] == 0
    assert created["ScalingConfig"] == {"MaximumConcurrency": 2} and "StartingPosition" not in created
    assert "ParallelizationFactor" not in created and "DestinationConfig" not in created
    assert wait_state(lam, created["UUID"], "Disabled")["StateTransitionReason"] == "USER_INITIATED"
    with pytest.raises(ClientError) as gone:
        lam.get_event_source_mapping(UUID="00000000-0000-0000-0000-000000000000")
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_event_shape_and_success_deletes(lam: Any, sqs: Any, role: str) -> None:
    url, arn = queue(sqs, "shape-q")
    seen_url = recorder(lam, sqs, "fn-shape", role)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={
            "colour": {"DataType": "String", "StringValue": "green"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn-shape")
    seen = drain(sqs, seen_url, lambda s: len(s) >= 1)
    record = seen[0]["event"]["Records"][0]
    assert list(record) == [
        "messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfMessageAttributes",
        "md5OfBody", "eventSource", "eventSourceARN", "awsRegion",
    ]  # fmt: skip
    assert (
        record["body"] == "hello" and record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    )
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592" and record["awsRegion"] == "us-east-1"
    assert list(record["attributes"]) == [
        "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
    ]  # fmt: skip
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "colour": {
            "stringValue": "green",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
    }
    until(lambda: counts(sqs, url) == (0, 0))


def test_batch_size_and_window_on_the_admin_clock(lam: Any, sqs: Any, role: str, server: Server) -> None:
    url, arn = queue(sqs, "window-q", VisibilityTimeout="300")  # longer than the window, as AWS advises
    seen_url = recorder(lam, sqs, "fn-window", role)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="fn-window", BatchSize=50, MaximumBatchingWindowInSeconds=60
    )["UUID"]
    wait_state(lam, uuid, "Enabled")
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
        )
    assert drain(sqs, seen_url, lambda s: len(s) >= 1, timeout=1.5) == []  # the window holds them
    server.advance(61)
    seen = drain(sqs, seen_url, lambda s: len(bodies(s)) >= 30)
    assert len(seen) == 1 and sorted(bodies(seen)) == sorted(f"m{i}" for i in range(30))


def test_partial_failures_and_redrive(lam: Any, sqs: Any, role: str, server: Server) -> None:
    dlq_url, dlq_arn = queue(sqs, "partial-dlq")
    url, arn = queue(
        sqs,
        "partial-q",
        VisibilityTimeout="30",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
    )
    seen_url = recorder(lam, sqs, "fn-sqs-partial", role, mode="report")
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(["a", "bad", "c"])]
    )
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="fn-sqs-partial", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    seen = drain(sqs, seen_url, lambda s: len(s) >= 1)
    assert sorted(bodies(seen)) == ["a", "bad", "c"]
    until(lambda: counts(sqs, url) == (0, 1))  # the others were deleted, the failed one is in flight
    server.advance(31)  # its visibility timeout runs out: it is delivered again
    assert bodies(drain(sqs, seen_url, lambda s: len(s) >= 1)) == ["bad"]
    until(lambda: counts(sqs, url) == (0, 1))
    server.advance(31)  # received twice: the redrive policy moves it to the dead-letter queue
    until(lambda: counts(sqs, dlq_url)[0] == 1)
    assert sqs.receive_message(QueueUrl=dlq_url)["Messages"][0]["Body"] == "bad"


def test_function_error_leaves_the_batch_and_filters_delete(lam: Any, sqs: Any, role: str) -> None:
    url, arn = queue(sqs, "raise-q", VisibilityTimeout="1")
    seen_url = recorder(lam, sqs, "fn-raise", role, mode="raise")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="fn-raise",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"keep": [True]}})}]},
    )["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"keep": True, "v": "bad"}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"keep": False}))
    sqs.send_message(QueueUrl=url, MessageBody="plain")
    seen = drain(sqs, seen_url, lambda s: len(s) >= 2)
    assert all(not s["ok"] for s in seen) and {json.loads(b)["v"] for b in bodies(seen, None)} == {"bad"}
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    wait_state(lam, uuid, "Disabled")
    until(
        lambda: counts(sqs, url) == (1, 0), timeout=5
    )  # the filtered ones were deleted, the failed one stays


def test_fifo_order_per_group(lam: Any, sqs: Any, role: str) -> None:
    url, arn = queue(sqs, "order.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    seen_url = recorder(lam, sqs, "fn-fifo", role)
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"g{i % 2}-{i}", MessageGroupId=f"g{i % 2}")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn-fifo", BatchSize=3)
    seen = drain(sqs, seen_url, lambda s: len(bodies(s)) >= 12)
    got = bodies(seen)
    for group in ("g0", "g1"):
        mine = [b for b in got if b.startswith(group)]
        assert mine == sorted(mine, key=lambda b: int(b.split("-")[1])) and len(mine) == 6
    record = seen[0]["event"]["Records"][0]
    assert {"MessageGroupId", "SequenceNumber", "MessageDeduplicationId"} <= set(record["attributes"])
