"""GET /_headwater/metrics end to end for SQS: CloudWatch's `AWS/SQS` metrics per queue, rendered as
Prometheus text (`NumberOfMessagesSent` -> `aws_sqs_number_of_messages_sent{QueueName="q"}`).

Counters count what the API did (sent, received, deleted, empty receives); gauges are the queue's
state when scraped (visible, in flight, delayed, age of the oldest message).
"""

from __future__ import annotations

import urllib.request

from tests.e2e.support.metrics import scrape
from tests.e2e.support.server import Server
from tests.e2e.support.sqs import ok, query

COUNTERS = (
    "aws_sqs_number_of_messages_sent",
    "aws_sqs_number_of_messages_received",
    "aws_sqs_number_of_messages_deleted",
    "aws_sqs_number_of_empty_receives",
)
GAUGES = (
    "aws_sqs_approximate_number_of_messages_visible",
    "aws_sqs_approximate_number_of_messages_not_visible",
    "aws_sqs_approximate_number_of_messages_delayed",
    "aws_sqs_approximate_age_of_oldest_message",
)


def queue(name: str) -> frozenset[tuple[str, str]]:
    return frozenset({("QueueName", name)})


def per_queue(server: Server, name: str, metrics: tuple[str, ...]) -> dict[str, float | None]:
    samples = scrape(server)
    return {metric: samples.get((metric, queue(name))) for metric in metrics}


def exposition(server: Server) -> str:
    with urllib.request.urlopen(f"{server.endpoint}/_headwater/metrics", timeout=10) as response:
        return response.read().decode()


def test_sent_received_deleted_counters_per_queue(sqs, server: Server, endpoint: str) -> None:  # noqa: ANN001
    a = sqs.create_queue(QueueName="a")["QueueUrl"]
    b = sqs.create_queue(QueueName="b")["QueueUrl"]
    sqs.send_message(QueueUrl=a, MessageBody="one")
    sqs.send_message_batch(
        QueueUrl=a, Entries=[{"Id": "2", "MessageBody": "two"}, {"Id": "3", "MessageBody": "3"}]
    )
    # a batch entry that fails is not sent
    sqs.send_message_batch(
        QueueUrl=a,
        Entries=[{"Id": "ok", "MessageBody": "four"}, {"Id": "bad", "MessageBody": "x", "DelaySeconds": 901}],
    )
    ok(query(endpoint, "SendMessage", {"QueueUrl": a, "MessageBody": "five, over Query"}), "SendMessage")
    messages = sqs.receive_message(QueueUrl=a, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 5
    sqs.delete_message(QueueUrl=a, ReceiptHandle=messages[0]["ReceiptHandle"])
    sqs.delete_message_batch(
        QueueUrl=a,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[1:3])],
    )
    sqs.send_message(QueueUrl=b, MessageBody="b1")
    for _ in range(2):
        assert "Messages" not in sqs.receive_message(QueueUrl=a)  # two in flight, nothing visible
    assert per_queue(server, "a", COUNTERS) == {
        "aws_sqs_number_of_messages_sent": 5,
        "aws_sqs_number_of_messages_received": 5,
        "aws_sqs_number_of_messages_deleted": 3,
        "aws_sqs_number_of_empty_receives": 2,
    }
    assert per_queue(server, "b", COUNTERS)["aws_sqs_number_of_messages_sent"] == 1
    assert per_queue(server, "b", COUNTERS)["aws_sqs_number_of_messages_received"] in (None, 0)
    text = exposition(server)
    for metric in COUNTERS:
        assert f"# TYPE {metric} counter" in text
    assert "# HELP aws_sqs_number_of_messages_sent AWS/SQS NumberOfMessagesSent" in text


def test_queue_state_gauges(sqs, server: Server) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="g")["QueueUrl"]
    idle = sqs.create_queue(QueueName="idle")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="oldest")
    (oldest,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1000)["Messages"]
    server.advance(100)
    sqs.send_message(QueueUrl=url, MessageBody="b")
    sqs.send_message(QueueUrl=url, MessageBody="c")
    sqs.send_message(QueueUrl=url, MessageBody="d", DelaySeconds=300)
    gauges = per_queue(server, "g", GAUGES)
    age = gauges.pop("aws_sqs_approximate_age_of_oldest_message")
    assert gauges == {
        "aws_sqs_approximate_number_of_messages_visible": 2,
        "aws_sqs_approximate_number_of_messages_not_visible": 1,
        "aws_sqs_approximate_number_of_messages_delayed": 1,
    }
    assert age is not None and 100 <= age <= 110  # seconds; the in-flight message counts (not deleted)
    assert per_queue(server, "idle", GAUGES) == dict.fromkeys(GAUGES, 0)
    text = exposition(server)
    for metric in GAUGES:
        assert f"# TYPE {metric} gauge" in text
    # deleting the oldest message makes the next one the oldest; the gauges follow the queue
    sqs.delete_message(QueueUrl=url, ReceiptHandle=oldest["ReceiptHandle"])
    server.advance(301)  # the delayed one is visible now
    gauges = per_queue(server, "g", GAUGES)
    age = gauges.pop("aws_sqs_approximate_age_of_oldest_message")
    assert gauges == {
        "aws_sqs_approximate_number_of_messages_visible": 3,
        "aws_sqs_approximate_number_of_messages_not_visible": 0,
        "aws_sqs_approximate_number_of_messages_delayed": 0,
    }
    assert age is not None and 301 <= age <= 311
    # a deleted queue leaves no series behind
    sqs.delete_queue(QueueUrl=idle)
    assert per_queue(server, "idle", GAUGES) == dict.fromkeys(GAUGES)
