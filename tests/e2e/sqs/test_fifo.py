"""FIFO and fair queues end to end: ordering under concurrent consumers, group locking,
de-duplication, sequence numbers, receive-attempt retries, and fair scheduling of tenants."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server

NOT_FOR_FIFO = "The request include parameter that is not valid for this queue type."


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    """(query code, message) of the error a call raises."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    return error["Code"], error.get("Message", "")


def fifo_queue(sqs: Any, name: str, **attributes: str) -> str:
    return sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true", **attributes})["QueueUrl"]


def send(sqs: Any, url: str, body: str, group: str = "g", dedup: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"QueueUrl": url, "MessageBody": body, "MessageGroupId": group}
    params["MessageDeduplicationId"] = dedup or body
    return sqs.send_message(**params)


def bodies(sqs: Any, url: str, count: int = 10, **params: Any) -> list[str]:
    return [m["Body"] for m in receive(sqs, url, count, **params)]


def receive(sqs: Any, url: str, count: int = 10, **params: Any) -> list[dict[str, Any]]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count, **params).get("Messages", [])


# --- ordering --------------------------------------------------------------------------------------


def test_order_per_group_under_concurrent_consumers(sqs: Any, endpoint: str) -> None:
    """Four consumers, each with its own client, drain five interleaved groups: every group comes
    out in send order, every message exactly once, SequenceNumbers increasing per group."""
    url = fifo_queue(sqs, "orders.fifo")
    groups, per_group = [f"tenant{g}" for g in range(5)], 40
    sent = [(group, n) for n in range(per_group) for group in groups]
    for start in range(0, len(sent), 10):
        entries = [
            {"Id": f"m{i}", "MessageBody": f"{group}:{n}", "MessageGroupId": group,
             "MessageDeduplicationId": f"{group}-{n}"}
            for i, (group, n) in enumerate(sent[start : start + 10])
        ]  # fmt: skip
        result = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert len(result["Successful"]) == 10
    log: list[tuple[str, int, int]] = []
    lock = threading.Lock()
    done = threading.Event()
    failures: list[BaseException] = []

    def consume() -> None:
        client = client_for(endpoint, "sqs")
        deadline = time.monotonic() + 20
        try:
            while not done.is_set() and time.monotonic() < deadline:
                messages = receive(
                    client, url, 10, WaitTimeSeconds=1, MessageSystemAttributeNames=["SequenceNumber"]
                )
                if not messages:
                    continue
                with lock:  # logged before the delete unlocks the group for another consumer
                    for message in messages:
                        group, n = message["Body"].split(":")
                        log.append((group, int(n), int(message["Attributes"]["SequenceNumber"])))
                    if len(log) >= len(sent):
                        done.set()
                entries = [
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                ]
                deleted = client.delete_message_batch(QueueUrl=url, Entries=entries)["Successful"]
                assert len(deleted) == len(entries)
        except BaseException as error:  # surfaced in the main thread
            failures.append(error)
            done.set()

    threads = [threading.Thread(target=consume, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert len(log) == len(sent)
    assert len(set(log)) == len(sent)  # no duplicates
    for group in groups:
        received = [(n, seq) for g, n, seq in log if g == group]
        assert [n for n, _ in received] == list(range(per_group)), group
        numbers = [seq for _, seq in received]
        assert numbers == sorted(numbers) and len(set(numbers)) == per_group
    assert receive(sqs, url) == []


def test_group_is_locked_while_a_message_is_in_flight(sqs: Any, server: Server) -> None:
    url = fifo_queue(sqs, "locks.fifo")
    for body in ("a1", "a2", "a3"):
        send(sqs, url, body, "A")
    send(sqs, url, "b1", "B")
    (a1,) = receive(sqs, url, 1)
    assert a1["Body"] == "a1"
    assert bodies(sqs, url, 1) == ["b1"]  # A is locked, B is free
    assert bodies(sqs, url) == []  # both locked
    sqs.delete_message(QueueUrl=url, ReceiptHandle=a1["ReceiptHandle"])
    received = receive(sqs, url)
    assert [m["Body"] for m in received] == ["a2", "a3"]  # several of one group, in order
    a2, a3 = received
    # mid-group: a2 comes back while a3 stays in flight; only what precedes a3 may be returned
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=a2["ReceiptHandle"], VisibilityTimeout=0)
    (again,) = receive(sqs, url)
    assert again["Body"] == "a2"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert bodies(sqs, url) == []  # a3 and b1 still in flight
    server.advance(31)
    assert sorted(bodies(sqs, url)) == ["a3", "b1"]
    # a FIFO queue refuses a delete with an outdated handle
    code, message = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=a3["ReceiptHandle"])
    assert code == "InvalidParameterValue"
    assert message.endswith("Reason: The receipt handle has expired.")


def test_sequence_numbers_increase(sqs: Any) -> None:
    url = fifo_queue(sqs, "seq.fifo")
    numbers: dict[str, str] = {}
    for i in range(6):
        result = send(sqs, url, f"m{i}", group=f"g{i % 2}")
        numbers[f"m{i}"] = result["SequenceNumber"]
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": f"b{i}", "MessageBody": f"b{i}", "MessageGroupId": "g0",
                  "MessageDeduplicationId": f"b{i}"} for i in range(3)],
    )  # fmt: skip
    numbers.update({entry["Id"]: entry["SequenceNumber"] for entry in batch["Successful"]})
    assert all(n.isdigit() and int(n) < 2**128 for n in numbers.values())
    in_send_order = [int(numbers[key]) for key in [f"m{i}" for i in range(6)] + ["b0", "b1", "b2"]]
    assert in_send_order == sorted(in_send_order) and len(set(in_send_order)) == 9
    messages = receive(sqs, url, MessageSystemAttributeNames=["All"])
    for message in messages:
        attributes = message["Attributes"]
        assert attributes["SequenceNumber"] == numbers[message["Body"]]
        assert attributes["MessageDeduplicationId"] == message["Body"]
        assert attributes["MessageGroupId"] in ("g0", "g1")


# --- de-duplication ------------------------------------------------------------------------------


def test_deduplication_by_explicit_id(sqs: Any, server: Server) -> None:
    url = fifo_queue(sqs, "dedup.fifo")
    first = send(sqs, url, "one", dedup="d1")
    duplicate = send(sqs, url, "two", dedup="d1")  # accepted, answered as the original
    assert (duplicate["MessageId"], duplicate["SequenceNumber"]) == (
        first["MessageId"],
        first["SequenceNumber"],
    )
    other_group = send(sqs, url, "three", group="other", dedup="d1")  # the queue is the scope
    assert other_group["MessageId"] == first["MessageId"]
    (message,) = receive(sqs, url)
    assert message["Body"] == "one"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # still remembered after the delete: accepted, not delivered again
    assert send(sqs, url, "one", dedup="d1")["MessageId"] == first["MessageId"]
    assert bodies(sqs, url) == []
    server.advance(301)  # the 5-minute window closes
    fresh = send(sqs, url, "one again", dedup="d1")
    assert fresh["MessageId"] != first["MessageId"]
    assert bodies(sqs, url) == ["one again"]


def test_content_based_deduplication(sqs: Any) -> None:
    url = fifo_queue(sqs, "content.fifo", ContentBasedDeduplication="true")

    def put(body: str, **extra: Any) -> str:
        return sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g", **extra)["MessageId"]

    same = put("same body")
    assert put("same body") == same
    attributes = {"a": {"DataType": "String", "StringValue": "x"}}
    assert put("same body", MessageAttributes=attributes) == same  # the body alone is hashed
    other = put("other body")
    explicit = put("same body", MessageDeduplicationId="explicit")  # an explicit id wins
    assert len({same, other, explicit}) == 3
    assert bodies(sqs, url) == ["same body", "other body", "same body"]


def test_deduplication_id_required(sqs: Any) -> None:
    url = fifo_queue(sqs, "nodedup.fifo")
    code, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="b", MessageGroupId="g")
    assert code == "InvalidParameterValue"
    assert message == (
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    )


def test_high_throughput_deduplicates_per_group(sqs: Any) -> None:
    url = fifo_queue(
        sqs, "fast.fifo", DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId"
    )
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["DeduplicationScope"] == "messageGroup"
    assert attributes["FifoThroughputLimit"] == "perMessageGroupId"
    in_a = send(sqs, url, "a", group="A", dedup="same")
    in_b = send(sqs, url, "b", group="B", dedup="same")
    assert in_a["MessageId"] != in_b["MessageId"]  # per-group scope: not duplicates
    assert send(sqs, url, "a again", group="A", dedup="same")["MessageId"] == in_a["MessageId"]
    assert sorted(bodies(sqs, url)) == ["a", "b"]
    code, _ = error_of(
        sqs.create_queue,
        QueueName="bad.fifo",
        Attributes={"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"},
    )
    assert code == "InvalidAttributeValue"


def test_purge_clears_the_deduplication_cache(sqs: Any) -> None:
    url = fifo_queue(sqs, "purge.fifo")
    first = send(sqs, url, "b", dedup="d")
    sqs.purge_queue(QueueUrl=url)
    assert bodies(sqs, url) == []
    assert send(sqs, url, "b", dedup="d")["MessageId"] != first["MessageId"]
    assert bodies(sqs, url) == ["b"]


# --- receive request attempts ----------------------------------------------------------------------


def test_receive_request_attempt_id_retry(sqs: Any, server: Server) -> None:
    url = fifo_queue(sqs, "attempt.fifo")
    for body in ("a1", "a2", "a3"):
        send(sqs, url, body, "A")
    send(sqs, url, "b1", "B")
    first = receive(sqs, url, ReceiveRequestAttemptId="try-1")
    assert [m["Body"] for m in first] == ["a1", "a2", "a3", "b1"]
    server.advance(20)
    retry = receive(sqs, url, ReceiveRequestAttemptId="try-1")  # e.g. the answer was lost
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in retry] == [
        (m["MessageId"], m["ReceiptHandle"]) for m in first
    ]
    assert receive(sqs, url, ReceiveRequestAttemptId="try-2") == []  # groups locked
    server.advance(20)  # 40 s after the first receive: the retry restarted the 30 s visibility
    assert receive(sqs, url, ReceiveRequestAttemptId="try-3") == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=retry[-1]["ReceiptHandle"])
    after_delete = receive(sqs, url, ReceiveRequestAttemptId="try-1")
    assert "b1" not in [m["Body"] for m in after_delete]
    code, message = error_of(sqs.receive_message, QueueUrl=url, ReceiveRequestAttemptId="has space")
    assert code == "InvalidParameterValue"
    assert "ReceiveRequestAttemptId" in message


# --- FIFO send rules -------------------------------------------------------------------------------


def test_per_message_delay_is_rejected(sqs: Any, server: Server) -> None:
    url = fifo_queue(sqs, "delay.fifo", DelaySeconds="10")
    code, message = error_of(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="b",
        MessageGroupId="g",
        MessageDeduplicationId="d",
        DelaySeconds=5,
    )
    assert code == "InvalidParameterValue"
    assert message == f"Value 5 for parameter DelaySeconds is invalid. Reason: {NOT_FOR_FIFO}"
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "delayed", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "x",
             "DelaySeconds": 5},
            {"Id": "plain", "MessageBody": "y", "MessageGroupId": "g", "MessageDeduplicationId": "y"},
        ],
    )  # fmt: skip
    assert [entry["Id"] for entry in result["Successful"]] == ["plain"]
    assert [(entry["Id"], entry["Code"]) for entry in result["Failed"]] == [
        ("delayed", "InvalidParameterValue")
    ]
    # the queue's own delay applies to FIFO messages
    assert bodies(sqs, url) == []
    server.advance(10.5)
    assert bodies(sqs, url) == ["y"]


def test_fifo_queue_delay_change_is_retroactive(sqs: Any) -> None:
    url = fifo_queue(sqs, "retro.fifo", DelaySeconds="600")
    send(sqs, url, "b")
    assert bodies(sqs, url) == []
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0"})
    assert bodies(sqs, url) == ["b"]


def test_message_group_id_required(sqs: Any) -> None:
    url = fifo_queue(sqs, "groups.fifo", ContentBasedDeduplication="true")
    code, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="b")
    assert (code, message) == ("MissingParameter", "The request must contain the parameter MessageGroupId.")
    # in a batch the whole request fails (tests/e2e/sqs/test_parity.py has the details)
    code, message = error_of(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "b"}])
    assert (code, message) == (
        "InvalidParameterValue",
        "The request must contain the parameter MessageGroupId.",
    )
    for bad in ("has space", "é", "x" * 129):
        code, _ = error_of(sqs.send_message, QueueUrl=url, MessageBody="b", MessageGroupId=bad)
        assert code == "InvalidParameterValue", bad
    assert bodies(sqs, url) == []


# --- fair queues -----------------------------------------------------------------------------------


def test_fair_queue_serves_a_quiet_tenant_before_a_noisy_backlog(sqs: Any) -> None:
    """A standard queue whose messages carry MessageGroupId: a tenant holding >10% of the in-flight
    messages and at least 30 of them is noisy, and quiet tenants' messages go first."""
    url = sqs.create_queue(QueueName="fair")["QueueUrl"]
    for start in range(0, 100, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": f"n{i}", "MessageBody": f"noisy-{i}", "MessageGroupId": "noisy"}
                     for i in range(start, start + 10)],
        )  # fmt: skip
    held = [m for _ in range(4) for m in receive(sqs, url)]  # 40 of noisy's messages in flight
    assert [m["Body"] for m in held] == [f"noisy-{i}" for i in range(40)]  # one tenant: send order
    for tenant, count in (("quiet", 3), ("calm", 2)):
        for i in range(count):
            sqs.send_message(QueueUrl=url, MessageBody=f"{tenant}-{i}", MessageGroupId=tenant)
    messages = receive(sqs, url, MessageSystemAttributeNames=["MessageGroupId"])
    received = [m["Body"] for m in messages]
    # plain send order would give ten more of noisy's 60 older messages
    assert sorted(received[:5]) == ["calm-0", "calm-1", "quiet-0", "quiet-1", "quiet-2"]
    assert received[5:] == [f"noisy-{i}" for i in range(40, 45)]  # noisy waits, is not dropped
    assert {m["Body"].split("-")[0]: m["Attributes"]["MessageGroupId"] for m in messages} == {
        "quiet": "quiet",
        "calm": "calm",
        "noisy": "noisy",
    }
