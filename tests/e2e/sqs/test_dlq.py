"""Dead-letter queues end to end: redrive on maxReceiveCount, the policies that govern it, and
message move tasks (Start/List/Cancel), for standard and FIFO queues. Visibility timeouts run out
on the server's test clock."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.server import Server

ACCOUNT = "000000000000"
ATTRIBUTES = {
    "kind": {"DataType": "String", "StringValue": "order ✓"},
    "amount": {"DataType": "Number.float", "StringValue": "9.75"},
    "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
}


def arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """AWS's digest of message attributes, computed independently of the server."""
    data = bytearray()
    for name in sorted(attributes):
        value = attributes[name]
        string = value.get("StringValue")
        raw = string.encode() if string is not None else bytes(value["BinaryValue"])
        for part in (name.encode(), value["DataType"].encode()):
            data += len(part).to_bytes(4, "big") + part
        data += (b"\x01" if string is not None else b"\x02") + len(raw).to_bytes(4, "big") + raw
    return hashlib.md5(bytes(data), usedforsecurity=False).hexdigest()


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    """(query code, message, HTTP status) of the error a call raises."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def redrive(target: str, count: int | str) -> str:
    return json.dumps({"deadLetterTargetArn": arn(target), "maxReceiveCount": count})


def make_queue(sqs: Any, name: str, **attributes: str) -> str:
    if name.endswith(".fifo"):
        attributes = {"FifoQueue": "true", **attributes}
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def receive(sqs: Any, url: str, count: int = 10, **params: Any) -> list[dict[str, Any]]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count, **params).get("Messages", [])


def visible(sqs: Any, url: str) -> int:
    names = ["ApproximateNumberOfMessages"]
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"][names[0]])


def dead_letter_all(sqs: Any, server: Server, url: str) -> None:
    """Receives everything once and lets it time out: with maxReceiveCount=1 the next receive
    moves it all to the dead-letter queue (and returns nothing)."""
    while receive(sqs, url):
        pass
    server.advance(31)
    assert receive(sqs, url) == []


def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Polls until `condition()` is truthy (a background move task's progress) and returns it."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def latest_task(sqs: Any, source: str) -> dict[str, Any]:
    return sqs.list_message_move_tasks(SourceArn=arn(source))["Results"][0]


def finished(sqs: Any, source: str) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        task = latest_task(sqs, source)
        return task if task["Status"] != "RUNNING" else None

    return check


# --- redrive on receive ----------------------------------------------------------------------------


def test_message_moves_after_max_receive_count(sqs: Any, server: Server) -> None:
    dlq = make_queue(sqs, "dlq")
    source = make_queue(sqs, "work", RedrivePolicy=redrive("dlq", "2"), VisibilityTimeout="30")
    stored = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(stored["RedrivePolicy"]) == {"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 2}
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison", MessageAttributes=ATTRIBUTES)
    sqs.send_message(QueueUrl=source, MessageBody="fine")
    messages = receive(sqs, source, AttributeNames=["SentTimestamp"])
    sent_at = next(m for m in messages if m["Body"] == "poison")["Attributes"]["SentTimestamp"]
    fine = next(m for m in messages if m["Body"] == "fine")
    sqs.delete_message(QueueUrl=source, ReceiptHandle=fine["ReceiptHandle"])
    server.advance(31)
    (second,) = receive(sqs, source, AttributeNames=["ApproximateReceiveCount"])
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"  # maxReceiveCount: not yet moved
    server.advance(31)
    assert receive(sqs, source) == []  # a third receive would exceed it: moved instead
    assert visible(sqs, source) == 0
    (dead,) = receive(sqs, dlq, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    assert dead["MessageId"] == sent["MessageId"]
    assert dead["Body"] == "poison"
    assert dead["MessageAttributes"] == ATTRIBUTES
    assert dead["MD5OfMessageAttributes"] == md5_of_attributes(ATTRIBUTES)
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == arn("work")
    assert dead["Attributes"]["SentTimestamp"] == sent_at  # a standard DLQ keeps the first send time


def test_list_dead_letter_source_queues(sqs: Any) -> None:
    dlq = make_queue(sqs, "dlq")
    first = make_queue(sqs, "source-a", RedrivePolicy=redrive("dlq", 3))
    second = make_queue(sqs, "source-b", RedrivePolicy=redrive("dlq", 3))
    make_queue(sqs, "unrelated")
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [first, second]
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1)
    assert page["queueUrls"] == [first]
    rest = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1, NextToken=page["NextToken"])
    assert rest["queueUrls"] == [second]
    assert "NextToken" not in rest
    sqs.set_queue_attributes(QueueUrl=first, Attributes={"RedrivePolicy": ""})
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [second]


def test_redrive_policy_rules(sqs: Any) -> None:
    make_queue(sqs, "standard-dlq")
    make_queue(sqs, "fifo-dlq.fifo")
    cases = [
        ("std-to-fifo", redrive("fifo-dlq.fifo", 3), "Dead-letter queue must be same type of queue as the source."),
        ("fifo-to-std.fifo", redrive("standard-dlq", 3), "Dead-letter queue must be same type of queue as the source."),
        ("missing", redrive("no-such-queue", 3), "Dead letter target does not exist."),
        ("zero", redrive("standard-dlq", 0), "valid values are from 1 to 1000 both inclusive."),
        ("too-many", redrive("standard-dlq", 1001), "valid values are from 1 to 1000 both inclusive."),
    ]  # fmt: skip
    for name, policy, text in cases:
        code, message, status = error_of(
            sqs.create_queue, QueueName=name,
            Attributes={"RedrivePolicy": policy, **({"FifoQueue": "true"} if name.endswith(".fifo") else {})},
        )  # fmt: skip
        assert (code, status) == ("InvalidParameterValue", 400), name
        assert text in message, (name, message)
    assert sqs.list_queues()["QueueUrls"] == [
        f"{sqs.meta.endpoint_url}/{ACCOUNT}/fifo-dlq.fifo",
        f"{sqs.meta.endpoint_url}/{ACCOUNT}/standard-dlq",
    ]
    make_queue(sqs, "fifo-source.fifo", RedrivePolicy=redrive("fifo-dlq.fifo", 1000))  # same type: fine


def test_redrive_allow_policy_is_enforced(sqs: Any) -> None:
    closed = make_queue(sqs, "closed-dlq", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    make_queue(
        sqs,
        "picky-dlq",
        RedriveAllowPolicy=json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn("chosen")]}),
    )
    code, message, _ = error_of(
        sqs.create_queue, QueueName="refused", Attributes={"RedrivePolicy": redrive("closed-dlq", 2)}
    )
    assert code == "InvalidParameterValue"
    assert f"is not allowed to use {arn('closed-dlq')} as its dead-letter queue" in message
    make_queue(sqs, "chosen", RedrivePolicy=redrive("picky-dlq", 2))  # listed by the byQueue policy
    other = make_queue(sqs, "other")
    code, _, _ = error_of(
        sqs.set_queue_attributes, QueueUrl=other, Attributes={"RedrivePolicy": redrive("picky-dlq", 2)}
    )
    assert code == "InvalidParameterValue"
    code, _, _ = error_of(
        sqs.set_queue_attributes, QueueUrl=other, Attributes={"RedrivePolicy": redrive("closed-dlq", 2)}
    )
    assert code == "InvalidParameterValue"
    sqs.set_queue_attributes(
        QueueUrl=closed, Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "allowAll"})}
    )
    sqs.set_queue_attributes(QueueUrl=other, Attributes={"RedrivePolicy": redrive("closed-dlq", 2)})
    for bad in ({"redrivePermission": "byQueue"},
                {"redrivePermission": "allowAll", "sourceQueueArns": [arn("other")]},
                {"redrivePermission": "sometimes"}):  # fmt: skip
        code, _, _ = error_of(
            sqs.set_queue_attributes, QueueUrl=closed, Attributes={"RedriveAllowPolicy": json.dumps(bad)}
        )
        assert code == "InvalidParameterValue", bad


# --- message move tasks ----------------------------------------------------------------------------


def test_move_task_returns_messages_to_their_sources(sqs: Any, server: Server) -> None:
    dlq = make_queue(sqs, "dlq")
    first = make_queue(sqs, "first", RedrivePolicy=redrive("dlq", 1))
    second = make_queue(sqs, "second", RedrivePolicy=redrive("dlq", 1))
    original_ids = set()
    for url, bodies in ((first, ["a1", "a2"]), (second, ["b1"])):
        for body in bodies:
            original_ids.add(
                sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=ATTRIBUTES)["MessageId"]
            )
        dead_letter_all(sqs, server, url)
    assert visible(sqs, dlq) == 3
    handle = sqs.start_message_move_task(SourceArn=arn("dlq"))["TaskHandle"]
    assert handle
    task = wait_for(finished(sqs, "dlq"))
    assert task["Status"] == "COMPLETED"
    assert task["SourceArn"] == arn("dlq")
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert task["ApproximateNumberOfMessagesToMove"] == 3
    assert isinstance(task["StartedTimestamp"], int)
    assert "TaskHandle" not in task and "DestinationArn" not in task  # a handle only while RUNNING
    assert visible(sqs, dlq) == 0
    back: dict[str, list[dict[str, Any]]] = {}
    for name, url in (("first", first), ("second", second)):
        back[name] = receive(sqs, url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    assert sorted(m["Body"] for m in back["first"]) == ["a1", "a2"]
    assert [m["Body"] for m in back["second"]] == ["b1"]
    for message in back["first"] + back["second"]:
        assert message["MessageId"] not in original_ids  # redriven messages are new messages
        assert message["MessageAttributes"] == ATTRIBUTES
        assert message["Attributes"]["ApproximateReceiveCount"] == "1"
        assert "DeadLetterQueueSourceArn" not in message["Attributes"]


def test_move_task_to_an_explicit_destination(sqs: Any, server: Server) -> None:
    dlq = make_queue(sqs, "dlq")
    source = make_queue(sqs, "source", RedrivePolicy=redrive("dlq", 1))
    target = make_queue(sqs, "target")
    sqs.send_message_batch(
        QueueUrl=source, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(4)]
    )
    dead_letter_all(sqs, server, source)
    sqs.start_message_move_task(SourceArn=arn("dlq"), DestinationArn=arn("target"))
    task = wait_for(finished(sqs, "dlq"))
    assert (task["Status"], task["DestinationArn"], task["ApproximateNumberOfMessagesMoved"]) == (
        "COMPLETED",
        arn("target"),
        4,
    )
    assert sorted(m["Body"] for m in receive(sqs, target)) == [f"b{i}" for i in range(4)]
    assert visible(sqs, source) == 0 and visible(sqs, dlq) == 0


def test_move_task_rate_cancel_and_one_running_task(sqs: Any, server: Server) -> None:
    dlq = make_queue(sqs, "dlq")
    source = make_queue(sqs, "source", RedrivePolicy=redrive("dlq", 1))
    sqs.send_message_batch(
        QueueUrl=source, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(8)]
    )
    dead_letter_all(sqs, server, source)
    handle = sqs.start_message_move_task(SourceArn=arn("dlq"), MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    task = wait_for(lambda: (t := latest_task(sqs, "dlq"))["ApproximateNumberOfMessagesMoved"] >= 1 and t)
    assert task["Status"] == "RUNNING"
    assert task["TaskHandle"] == handle
    assert task["MaxNumberOfMessagesPerSecond"] == 1
    assert task["ApproximateNumberOfMessagesToMove"] == 8
    assert task["ApproximateNumberOfMessagesMoved"] <= 3  # about one a second, not all 8 at once
    code, message, _ = error_of(sqs.start_message_move_task, SourceArn=arn("dlq"))
    assert code == "InvalidParameterValue"
    assert message == (
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    )
    server.advance(2)  # the rate follows the server's clock
    wait_for(lambda: latest_task(sqs, "dlq")["ApproximateNumberOfMessagesMoved"] >= 3)
    cancelled = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 3 <= cancelled < 8
    task = latest_task(sqs, "dlq")
    assert task["Status"] == "CANCELLED"
    assert "TaskHandle" not in task
    server.advance(10)  # a cancelled task moves nothing more
    moved = latest_task(sqs, "dlq")["ApproximateNumberOfMessagesMoved"]
    assert moved in (cancelled, cancelled + 1)  # at most the message in hand when it was cancelled
    assert (visible(sqs, source), visible(sqs, dlq)) == (moved, 8 - moved)
    with pytest.raises(ClientError):
        sqs.cancel_message_move_task(TaskHandle=handle)  # only a running task can be cancelled
    # a new task may start now and moves the rest
    sqs.start_message_move_task(SourceArn=arn("dlq"))
    assert wait_for(finished(sqs, "dlq"))["ApproximateNumberOfMessagesMoved"] == 8 - moved
    tasks = sqs.list_message_move_tasks(SourceArn=arn("dlq"), MaxResults=10)["Results"]
    assert [t["Status"] for t in tasks] == ["COMPLETED", "CANCELLED"]  # newest first
    assert visible(sqs, source) == 8


def test_move_task_errors(sqs: Any) -> None:
    make_queue(sqs, "plain")
    make_queue(sqs, "dlq")
    make_queue(sqs, "source", RedrivePolicy=redrive("dlq", 1))
    code, message, status = error_of(sqs.start_message_move_task, SourceArn=arn("plain"))
    assert (code, message, status) == (
        "InvalidParameterValue",
        "Source queue must be configured as a Dead Letter Queue.",
        400,
    )
    code, message, status = error_of(sqs.start_message_move_task, SourceArn=arn("nowhere"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == "The resource that you specified for the SourceArn parameter doesn't exist."
    code, _, status = error_of(
        sqs.start_message_move_task, SourceArn=arn("dlq"), DestinationArn=arn("nowhere")
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, _ = error_of(sqs.start_message_move_task, SourceArn=arn("dlq"), MaxNumberOfMessagesPerSecond=501)
    assert code == "InvalidParameterValue"
    code, message, status = error_of(sqs.cancel_message_move_task, TaskHandle="bm8gc3VjaCB0YXNr")
    assert (code, message, status) == ("ResourceNotFoundException", "Task does not exist.", 404)
    code, _, status = error_of(sqs.list_message_move_tasks, SourceArn=arn("nowhere"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert sqs.list_message_move_tasks(SourceArn=arn("dlq"))["Results"] == []


# --- FIFO dead-letter queues -----------------------------------------------------------------------


def test_fifo_dead_letter_queue(sqs: Any, server: Server) -> None:
    dlq = make_queue(sqs, "dlq.fifo")
    source = make_queue(sqs, "work.fifo", RedrivePolicy=redrive("dlq.fifo", 1))
    ids = {}
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("a3", "A")):
        ids[body] = sqs.send_message(
            QueueUrl=source, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=f"dedup-{body}"
        )["MessageId"]
    first = receive(sqs, source, AttributeNames=["SentTimestamp"])
    sent_at = {m["Body"]: int(m["Attributes"]["SentTimestamp"]) for m in first}
    server.advance(31)
    assert receive(sqs, source) == []  # all moved
    dead = receive(sqs, dlq, MessageSystemAttributeNames=["All"])
    by_group: dict[str, list[str]] = {}
    for message in dead:
        attributes = message["Attributes"]
        by_group.setdefault(attributes["MessageGroupId"], []).append(message["Body"])
        assert message["MessageId"] == ids[message["Body"]]
        # a FIFO DLQ replaces the de-duplication id with the MessageId and resets the send time
        assert attributes["MessageDeduplicationId"] == ids[message["Body"]]
        assert int(attributes["SentTimestamp"]) >= sent_at[message["Body"]] + 31_000
        assert attributes["DeadLetterQueueSourceArn"] == arn("work.fifo")
        assert attributes["SequenceNumber"].isdigit()
    assert by_group == {"A": ["a1", "a2", "a3"], "B": ["b1"]}  # group order kept
    server.advance(31)
    sqs.start_message_move_task(SourceArn=arn("dlq.fifo"))
    assert wait_for(finished(sqs, "dlq.fifo"))["ApproximateNumberOfMessagesMoved"] == 4
    back = receive(sqs, source, MessageSystemAttributeNames=["MessageGroupId"])
    regrouped: dict[str, list[str]] = {}
    for message in back:
        regrouped.setdefault(message["Attributes"]["MessageGroupId"], []).append(message["Body"])
    assert regrouped == {"A": ["a1", "a2", "a3"], "B": ["b1"]}
