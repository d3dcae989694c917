"""SQS durability end to end (`--durability durable`): a clean restart and kill -9 keep every queue's
state, and a crash under load loses no acknowledged send and redelivers no acknowledged delete.

The test clock is wall time plus an offset that a restart resets to 0. Each test first advances the
clock an hour and, after the restart, advances it an hour again, so the restarted server resumes at
"before the stop + the real restart time". A server that re-based deadlines on its own start
(instead of keeping them) would be caught: at its start the clock stood an hour earlier.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server, running

HOUR = 3600.0


def path(url: str) -> str:
    """A queue URL's path: a restarted server listens on another port, old URLs still find queues."""
    return urlsplit(url).path


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


def receive(sqs, url: str, **params: Any) -> list[dict[str, Any]]:  # noqa: ANN001
    return sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], **params
    ).get("Messages", [])


def counts(sqs, url: str) -> tuple[int, int, int]:  # noqa: ANN001
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(got["ApproximateNumberOfMessages"]),
        int(got["ApproximateNumberOfMessagesNotVisible"]),
        int(got["ApproximateNumberOfMessagesDelayed"]),
    )


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_restart_keeps_queue_state(tmp_path: Path, stop: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        server.advance(HOUR)
        sqs = client_for(server.endpoint, "sqs")
        # -- a standard queue: in flight, deleted, visible and delayed messages
        std = sqs.create_queue(
            QueueName="std",
            Attributes={
                "VisibilityTimeout": "40",
                "MessageRetentionPeriod": "86400",
                "MaximumMessageSize": "2048",
            },
            tags={"env": "test", "team": "a"},
        )["QueueUrl"]
        sqs.add_permission(QueueUrl=std, Label="p", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
        sqs.tag_queue(QueueUrl=std, Tags={"team": "b"})
        for body in ("inflight-0", "inflight-1", "deleted"):
            sqs.send_message(QueueUrl=std, MessageBody=body)
        taken = {m["Body"]: m for m in receive(sqs, std, VisibilityTimeout=600)}
        assert taken.keys() == {"inflight-0", "inflight-1", "deleted"}
        sqs.delete_message(QueueUrl=std, ReceiptHandle=taken["deleted"]["ReceiptHandle"])
        sqs.change_message_visibility(
            QueueUrl=std, ReceiptHandle=taken["inflight-1"]["ReceiptHandle"], VisibilityTimeout=300
        )
        for i in range(3):
            sqs.send_message(QueueUrl=std, MessageBody=f"visible-{i}")
        sqs.send_message(QueueUrl=std, MessageBody="delayed", DelaySeconds=900)
        assert counts(sqs, std) == (3, 2, 1)
        # -- a FIFO queue: one message delivered and deleted, two groups waiting
        fifo = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"}, tags={"kind": "fifo"})[
            "QueueUrl"
        ]

        def send_fifo(body: str, group: str) -> dict[str, Any]:
            return sqs.send_message(
                QueueUrl=fifo, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body
            )

        first = send_fifo("a1", "A")
        (a1,) = receive(sqs, fifo)
        sqs.delete_message(QueueUrl=fifo, ReceiptHandle=a1["ReceiptHandle"])
        sent = {body: send_fifo(body, body[0].upper()) for body in ("a2", "b1", "a3", "b2", "a4", "b3")}
        before = {
            url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            for url in (std, fifo)
        }
        tags = {url: sqs.list_queue_tags(QueueUrl=url)["Tags"] for url in (std, fifo)}
        assert tags[std] == {"env": "test", "team": "b"}

        if stop == "sigkill":
            server.kill()
        else:
            assert server.stop() == 0
        server = durable_server(data_dir).start()
        server.advance(HOUR)
        sqs = client_for(server.endpoint, "sqs")

        # -- queues, attributes and tags
        assert sorted(map(path, sqs.list_queues()["QueueUrls"])) == [
            "/000000000000/f.fifo",
            "/000000000000/std",
        ]
        for url in (std, fifo):
            after = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            assert after == before[url]
            assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == tags[url]
        assert "SQS:SendMessage" in before[std]["Policy"]

        # -- FIFO (first, inside the 5-minute de-duplication window): order per group, no redelivery,
        #    duplicates accepted but not delivered, sequence numbers go on increasing
        again = send_fifo("a1", "A")
        assert again["MessageId"] == first["MessageId"]
        got = receive(sqs, fifo, VisibilityTimeout=900)
        by_group: dict[str, list[str]] = {}
        for message in got:
            by_group.setdefault(message["Attributes"]["MessageGroupId"], []).append(message["Body"])
        assert by_group == {"A": ["a2", "a3", "a4"], "B": ["b1", "b2", "b3"]}
        assert {m["Body"]: m["MessageId"] for m in got} == {b: s["MessageId"] for b, s in sent.items()}
        send_fifo("b2", "B")  # a duplicate of a message in flight
        later = send_fifo("a5", "A")
        assert int(later["SequenceNumber"]) > max(int(s["SequenceNumber"]) for s in sent.values())
        sqs.delete_message_batch(
            QueueUrl=fifo,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
        )
        assert bodies(receive(sqs, fifo)) == ["a5"]

        # -- standard: visible stay visible, in flight stay invisible until their deadline
        assert counts(sqs, std) == (3, 2, 1)
        visible = receive(sqs, std, VisibilityTimeout=5000)
        assert sorted(bodies(visible)) == ["visible-0", "visible-1", "visible-2"]
        assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in visible)
        # a receipt handle from before the restart still deletes its message
        sqs.delete_message(QueueUrl=std, ReceiptHandle=taken["inflight-0"]["ReceiptHandle"])
        server.advance(270)  # inflight-1's 300 s not yet over (if the restart took < 30 s)
        assert receive(sqs, std) == []
        server.advance(50)
        (back,) = receive(sqs, std, VisibilityTimeout=5000)
        assert back["Body"] == "inflight-1"
        assert back["Attributes"]["ApproximateReceiveCount"] == "2"
        assert counts(sqs, std) == (0, 4, 1)  # visible-0..2 and inflight-1
        # the delayed message keeps its 900 s delay
        server.advance(500)  # about 820 s after it was sent (+ the restart time)
        assert receive(sqs, std) == []
        server.advance(100)
        (delayed,) = receive(sqs, std, VisibilityTimeout=5000)
        assert delayed["Body"] == "delayed"
        assert delayed["Attributes"]["ApproximateReceiveCount"] == "1"
        # everything left comes back once all visibility timeouts are over; deleted ones never do
        server.advance(6000)
        assert sorted(bodies(receive(sqs, std))) == [
            "delayed",
            "inflight-1",
            "visible-0",
            "visible-1",
            "visible-2",
        ]
        # and after the de-duplication window, a1's id is free again
        assert bodies(receive(sqs, fifo)) == ["a5"]  # in flight since before: its timeout is over
        send_fifo("a1", "C")
        assert "a1" in bodies(receive(sqs, fifo))
    finally:
        server.stop()


def test_kill_9_under_load_loses_no_acknowledged_send_and_redelivers_no_delete(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    endpoint = server.endpoint
    url = client_for(endpoint, "sqs").create_queue(
        QueueName="crash", Attributes={"VisibilityTimeout": "600"}
    )["QueueUrl"]
    lock = threading.Lock()
    attempted: set[str] = set()
    acknowledged: set[str] = set()
    deleting: set[str] = set()  # bodies whose delete was attempted (it may have happened unacknowledged)
    deleted: set[str] = set()  # bodies whose delete was acknowledged
    stop = threading.Event()
    config = {"connect_timeout": 2, "read_timeout": 10}

    def produce(worker: int) -> None:
        sqs = client_for(endpoint, "sqs", **config)
        batch = 0
        while not stop.is_set():
            entries = [{"Id": str(i), "MessageBody": f"w{worker}-b{batch}-m{i}"} for i in range(10)]
            with lock:
                attempted.update(e["MessageBody"] for e in entries)
            try:
                result = sqs.send_message_batch(QueueUrl=url, Entries=entries)
            except Exception:  # the server died mid-request: nothing acknowledged
                return
            with lock:
                acknowledged.update(
                    entries[int(ok["Id"])]["MessageBody"] for ok in result.get("Successful", [])
                )
            batch += 1

    def consume() -> None:
        sqs = client_for(endpoint, "sqs", **config)
        while not stop.is_set():
            try:
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                    "Messages", []
                )
                if not messages:
                    continue
                with lock:
                    deleting.update(bodies(messages))
                result = sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                    ],
                )
            except Exception:
                return
            with lock:
                deleted.update(messages[int(ok["Id"])]["Body"] for ok in result.get("Successful", []))

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(2)]
    threads += [threading.Thread(target=consume) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 3000 and len(deleted) >= 1000:
                break
        time.sleep(0.02)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(30)
    print(f"acknowledged {len(acknowledged)} sends, {len(deleted)} deletes before the kill")
    assert len(acknowledged) >= 500
    assert len(deleted) >= 100

    server = durable_server(data_dir).start()
    try:
        server.advance(601)  # received but not deleted before the kill: visible again
        sqs = client_for(server.endpoint, "sqs")
        drained: list[str] = []
        empty = 0
        while empty < 2:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3600).get(
                "Messages", []
            )
            if not messages:
                empty += 1
                continue
            empty = 0
            drained += bodies(messages)
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        assert len(drained) == len(set(drained)), "a message was delivered twice in the drain"
        assert set(drained) <= attempted, "a message nobody sent"
        redelivered = set(drained) & deleted
        assert not redelivered, f"{len(redelivered)} acknowledged deletes redelivered"
        lost = acknowledged - deleting - set(drained)
        assert not lost, f"{len(lost)} acknowledged sends lost"
        assert counts(sqs, url) == (0, 0, 0)
    finally:
        server.stop()


def test_deleted_queue_stays_deleted_after_kill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with running(data_dir) as server:
        sqs = client_for(server.endpoint, "sqs")
        url = sqs.create_queue(QueueName="doomed")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        kept = sqs.create_queue(QueueName="kept", Attributes={"DelaySeconds": "3"})["QueueUrl"]
        sqs.delete_queue(QueueUrl=url)
        server.kill()
    with running(data_dir) as server:
        sqs = client_for(server.endpoint, "sqs")
        assert [path(u) for u in sqs.list_queues()["QueueUrls"]] == [path(kept)]
        with pytest.raises(ClientError):
            sqs.get_queue_url(QueueName="doomed")
        server.advance(61)
        url = sqs.create_queue(QueueName="doomed")["QueueUrl"]
        assert receive(sqs, url) == []
        assert sqs.get_queue_attributes(QueueUrl=kept, AttributeNames=["DelaySeconds"])["Attributes"] == {
            "DelaySeconds": "3"
        }
