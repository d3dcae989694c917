"""Kinesis queues with boto3: lifecycle, receive/acknowledge, visibility, receive counts,
dead-lettering, starting positions, retention, and kill -9."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, durable_server


def on_demand(kinesis: Any, name: str = "s") -> str:
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def make_queue(kinesis: Any, stream_arn: str, name: str = "q", **options: Any) -> str:
    start = options.pop("start", {"Type": "LATEST"})
    answer = kinesis.create_queue(
        QueueName=name,
        StreamConfigurationList=[{"StreamARN": stream_arn, "StartingPosition": start}],
        **options,
    )
    return answer["QueueDescription"]["QueueARN"]


def put(kinesis: Any, *payloads: bytes, stream: str = "s") -> None:
    for payload in payloads:
        kinesis.put_record(StreamName=stream, Data=payload, PartitionKey="k")


def receive(kinesis: Any, arn: str, **options: Any) -> list[dict[str, Any]]:
    options.setdefault("WaitTimeSeconds", 1)
    return kinesis.receive_queue_records(QueueARN=arn, **options)["QueueRecords"]


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**params)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_lifecycle(kinesis) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    created = kinesis.create_queue(
        QueueName="orders",
        StreamConfigurationList=[{"StreamARN": stream_arn}],
        QueueAttributes={"VisibilityTimeoutSeconds": 45},
    )["QueueDescription"]
    assert created["QueueStatus"] == "CREATING"
    assert created["QueueARN"].startswith("arn:aws:kinesis:us-east-1:000000000000:queue/")
    assert "orders" not in created["QueueARN"]  # the ARN's id is generated, not the name
    assert created["StreamConfigurationList"][0]["StartingPosition"] == {"Type": "LATEST"}
    arn = created["QueueARN"]
    described = kinesis.describe_queue(QueueARN=arn)["QueueDescription"]
    assert described["QueueStatus"] == "ACTIVE"
    assert "Timestamp" in described["StreamConfigurationList"][0]["StartingPosition"]
    assert described["QueueAttributes"] == {
        "VisibilityTimeoutSeconds": 45,
        "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 6},
    }
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert summary["QueueCount"] == 1 and summary["ConsumerCount"] == 0

    other = on_demand(kinesis, "other")
    make_queue(kinesis, other, "second")
    listed = kinesis.list_queues()["QueueSummaries"]
    assert [q["QueueName"] for q in listed] == ["orders", "second"]
    only = kinesis.list_queues(StreamFilter=[{"StreamARN": other}])["QueueSummaries"]
    assert [q["QueueName"] for q in only] == ["second"]
    assert only[0]["Streams"][0]["StreamARN"] == other
    born = only[0]["Streams"][0]["StreamCreationTimestamp"]
    same = [{"StreamARN": other, "StreamCreationTimestamp": born}]
    assert [q["QueueName"] for q in kinesis.list_queues(StreamFilter=same)["QueueSummaries"]] == ["second"]
    earlier = [{"StreamARN": other, "StreamCreationTimestamp": born.timestamp() - 3600}]
    assert kinesis.list_queues(StreamFilter=earlier)["QueueSummaries"] == []
    first = kinesis.list_queues(MaxResults=1)
    assert len(first["QueueSummaries"]) == 1
    rest = kinesis.list_queues(MaxResults=1, NextToken=first["NextToken"])
    assert [q["QueueName"] for q in rest["QueueSummaries"]] == ["second"] and "NextToken" not in rest

    updated = kinesis.update_queue(
        QueueARN=arn, QueueAttributes={"DeadLetterConfiguration": {"TargetType": "NONE"}}
    )["QueueDescription"]
    assert updated["QueueAttributes"] == {
        "VisibilityTimeoutSeconds": 45,
        "DeadLetterConfiguration": {"TargetType": "NONE"},
    }
    assert error_of(kinesis.delete_stream, StreamName="s")[0] == "ResourceInUseException"
    mode = {"StreamMode": "PROVISIONED"}
    assert error_of(kinesis.update_stream_mode, StreamARN=stream_arn, StreamModeDetails=mode)[0] == (
        "ResourceInUseException"
    )
    kinesis.delete_queue(QueueARN=arn)
    assert error_of(kinesis.describe_queue, QueueARN=arn)[0] == "ResourceNotFoundException"
    kinesis.delete_stream(StreamName="s")


def test_create_is_refused_where_the_model_says(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="p", ShardCount=1)
    provisioned = kinesis.describe_stream_summary(StreamName="p")["StreamDescriptionSummary"]["StreamARN"]
    assert (
        error_of(kinesis.create_queue, QueueName="q", StreamConfigurationList=[{"StreamARN": provisioned}])[0]
        == "InvalidArgumentException"
    )
    stream_arn = on_demand(kinesis)
    code, message = error_of(
        kinesis.create_queue,
        QueueName="q",
        StreamConfigurationList=[
            {"StreamARN": stream_arn, "StartingPosition": {"Type": "LATEST", "Timestamp": 1}}
        ],
    )
    assert code == "ValidationException" and "Timestamp" in message
    code, _ = error_of(
        kinesis.create_queue,
        QueueName="q",
        StreamConfigurationList=[{"StreamARN": stream_arn}],
        QueueAttributes={"DeadLetterConfiguration": {"TargetType": "BUILT_IN"}},
    )
    assert code == "ValidationException"
    make_queue(kinesis, stream_arn)
    assert (
        error_of(kinesis.create_queue, QueueName="q", StreamConfigurationList=[{"StreamARN": stream_arn}])[0]
        == "ResourceInUseException"
    )
    missing = "arn:aws:kinesis:us-east-1:000000000000:queue/abcdefghij0123456789"
    assert error_of(kinesis.describe_queue, QueueARN=missing)[0] == "ResourceNotFoundException"


def test_receive_acknowledge_and_redelivery(kinesis, server: Server) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    put(kinesis, b"before")  # LATEST: not delivered
    arn = make_queue(kinesis, stream_arn, QueueAttributes={"VisibilityTimeoutSeconds": 30})
    put(kinesis, b"a", b"b", b"c")
    got = receive(kinesis, arn, Limit=10)
    assert sorted(r["Data"] for r in got) == [b"a", b"b", b"c"]
    first = got[0]
    assert first["ReceiveCount"] == 1 and first["PartitionKey"] == "k"
    assert first["RecordId"].isdigit()
    assert first["FirstReceiveTimestamp"] >= first["ApproximateArrivalTimestamp"]
    assert receive(kinesis, arn) == []  # all in flight
    by_data = {r["Data"]: r for r in got}
    acked = kinesis.acknowledge_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": by_data[b"a"]["ReceiptHandle"]}, {"ReceiptHandle": "bogus"}]
    )
    assert acked["Successful"] == [{"ReceiptHandle": by_data[b"a"]["ReceiptHandle"]}]
    assert [f["ErrorCode"] for f in acked["Failed"]] == ["InvalidArgumentException"]

    server.advance(31)  # the visibility timeout passes: b and c come back, a does not
    again = receive(kinesis, arn)
    assert sorted(r["Data"] for r in again) == [b"b", b"c"]
    assert {r["ReceiveCount"] for r in again} == {2}
    record_b = next(r for r in again if r["Data"] == b"b")
    assert record_b["RecordId"] == by_data[b"b"]["RecordId"]
    assert record_b["ReceiptHandle"] != by_data[b"b"]["ReceiptHandle"]
    assert record_b["FirstReceiveTimestamp"] == by_data[b"b"]["FirstReceiveTimestamp"]
    # an earlier receive's handle no longer changes visibility; the current one does
    stale = kinesis.update_queue_records_visibility(
        QueueARN=arn,
        Entries=[{"ReceiptHandle": by_data[b"b"]["ReceiptHandle"], "VisibilityTimeoutSeconds": 0}],
    )
    assert [f["ErrorCode"] for f in stale["Failed"]] == ["InvalidArgumentException"]
    now = kinesis.update_queue_records_visibility(
        QueueARN=arn, Entries=[{"ReceiptHandle": record_b["ReceiptHandle"], "VisibilityTimeoutSeconds": 0}]
    )
    assert now["Failed"] == []
    assert [r["Data"] for r in receive(kinesis, arn)] == [b"b"]  # visible at once
    kinesis.acknowledge_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": r["ReceiptHandle"]} for r in again]
    )  # any handle of an unacknowledged record acknowledges it
    server.advance(31)
    assert receive(kinesis, arn) == []


def test_receive_waits_for_a_record(kinesis, endpoint: str) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    arn = make_queue(kinesis, stream_arn)
    other = client_for(endpoint)
    began = time.monotonic()
    writer = threading.Timer(0.5, lambda: put(other, b"late"))
    writer.start()
    got = receive(kinesis, arn, WaitTimeSeconds=10)
    writer.join()
    assert [r["Data"] for r in got] == [b"late"]
    assert time.monotonic() - began < 5


def test_dead_letters_after_max_receive_count(kinesis) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    arn = make_queue(
        kinesis,
        stream_arn,
        QueueAttributes={"DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 2}},
    )
    put(kinesis, b"poison")
    counts = [receive(kinesis, arn, VisibilityTimeoutSeconds=0)[0]["ReceiveCount"] for _ in range(2)]
    assert counts == [1, 2]
    assert receive(kinesis, arn, VisibilityTimeoutSeconds=0) == []  # dead-lettered now
    dead = kinesis.receive_dead_letter_queue_records(QueueARN=arn, WaitTimeSeconds=1)["QueueRecords"]
    assert [r["Data"] for r in dead] == [b"poison"]
    handle = dead[0]["ReceiptHandle"]
    # a dead-letter handle is not one of the normal path's
    assert kinesis.acknowledge_queue_records(QueueARN=arn, Entries=[{"ReceiptHandle": handle}])["Failed"]
    assert kinesis.receive_dead_letter_queue_records(QueueARN=arn, WaitTimeSeconds=1)["QueueRecords"] == []
    shown = kinesis.update_dead_letter_queue_records_visibility(
        QueueARN=arn, Entries=[{"ReceiptHandle": handle, "VisibilityTimeoutSeconds": 0}]
    )
    assert shown["Successful"] == [{"ReceiptHandle": handle}]
    dead = kinesis.receive_dead_letter_queue_records(QueueARN=arn, WaitTimeSeconds=1)["QueueRecords"]
    restored = kinesis.restore_dead_letter_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"]}]
    )
    assert restored["Failed"] == []
    back = receive(kinesis, arn)
    assert [(r["Data"], r["ReceiveCount"]) for r in back] == [(b"poison", 1)]  # count reset
    kinesis.acknowledge_queue_records(QueueARN=arn, Entries=[{"ReceiptHandle": back[0]["ReceiptHandle"]}])


def test_dead_letter_acknowledge_discards(kinesis) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    arn = make_queue(
        kinesis,
        stream_arn,
        QueueAttributes={"DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 1}},
    )
    put(kinesis, b"x")
    receive(kinesis, arn, VisibilityTimeoutSeconds=0)
    assert receive(kinesis, arn, VisibilityTimeoutSeconds=0) == []
    dead = kinesis.receive_dead_letter_queue_records(
        QueueARN=arn, VisibilityTimeoutSeconds=0, WaitTimeSeconds=1
    )
    handle = dead["QueueRecords"][0]["ReceiptHandle"]
    done = kinesis.acknowledge_dead_letter_queue_records(QueueARN=arn, Entries=[{"ReceiptHandle": handle}])
    assert done["Successful"] == [{"ReceiptHandle": handle}]
    assert kinesis.receive_dead_letter_queue_records(QueueARN=arn, WaitTimeSeconds=1)["QueueRecords"] == []


def test_without_dead_lettering_records_come_back_forever(kinesis) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    arn = make_queue(kinesis, stream_arn, QueueAttributes={"DeadLetterConfiguration": {"TargetType": "NONE"}})
    put(kinesis, b"x")
    counts = [receive(kinesis, arn, VisibilityTimeoutSeconds=0)[0]["ReceiveCount"] for _ in range(8)]
    assert counts == list(range(1, 9))


def test_starting_positions(kinesis, server: Server) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    put(kinesis, b"old")
    horizon = make_queue(kinesis, stream_arn, "h", start={"Type": "TRIM_HORIZON"})
    latest = make_queue(kinesis, stream_arn, "l")
    put(kinesis, b"new")
    assert sorted(r["Data"] for r in receive(kinesis, horizon)) == [b"new", b"old"]
    assert [r["Data"] for r in receive(kinesis, latest)] == [b"new"]
    # both queues deliver the same record with the same RecordId
    server.advance(60)
    ids = {r["Data"]: r["RecordId"] for r in receive(kinesis, horizon)}
    assert ids[b"new"] == receive(kinesis, latest)[0]["RecordId"]


def test_retention_ends_delivery(kinesis, server: Server) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    arn = make_queue(kinesis, stream_arn, QueueAttributes={"VisibilityTimeoutSeconds": 60})
    put(kinesis, b"short-lived")
    assert len(receive(kinesis, arn)) == 1
    server.advance(25 * 3600)  # past the stream's 24 h: the stream trims it, the queue drops it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if receive(kinesis, arn) == []:
            break
    assert receive(kinesis, arn) == []


def test_queue_state_survives_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    server = durable_server(data).start()
    try:
        kinesis = client_for(server.endpoint)
        stream_arn = on_demand(kinesis)
        arn = make_queue(kinesis, stream_arn, QueueAttributes={"VisibilityTimeoutSeconds": 30})
        put(kinesis, *(b"r%d" % i for i in range(6)))
        got = receive(kinesis, arn, Limit=4)
        assert len(got) == 4
        kinesis.acknowledge_queue_records(QueueARN=arn, Entries=[{"ReceiptHandle": got[0]["ReceiptHandle"]}])
        server.kill()
        server = durable_server(data).start()
        kinesis = client_for(server.endpoint)
        # the two never received come now; the three in flight stay in flight
        rest = receive(kinesis, arn, Limit=10)
        assert len(rest) == 2
        assert {r["ReceiveCount"] for r in rest} == {1}
        assert not {r["Data"] for r in rest} & {r["Data"] for r in got}
        server.advance(31)
        back = receive(kinesis, arn, Limit=10)
        assert sorted(r["Data"] for r in back) == sorted(r["Data"] for r in got[1:] + rest)
        assert got[0]["Data"] not in {r["Data"] for r in back}
    finally:
        server.stop()


def test_queue_tags(kinesis) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    arn = make_queue(kinesis, stream_arn, Tags={"team": "a"})
    kinesis.tag_resource(ResourceARN=arn, Tags={"env": "test"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    assert kinesis.list_tags_for_resource(ResourceARN=stream_arn)["Tags"] == []  # the stream's own


def test_at_timestamp_starting_position(kinesis, server: Server) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    put(kinesis, b"early")
    server.advance(10)
    put(kinesis, b"late")
    records = kinesis.get_records(
        ShardIterator=kinesis.get_shard_iterator(
            StreamName="s",
            ShardId=kinesis.put_record(StreamName="s", Data=b"probe", PartitionKey="k")["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
    )["Records"]
    late_at = next(r["ApproximateArrivalTimestamp"] for r in records if r["Data"] == b"late")
    arn = make_queue(kinesis, stream_arn, start={"Type": "AT_TIMESTAMP", "Timestamp": late_at})
    described = kinesis.describe_queue(QueueARN=arn)["QueueDescription"]
    position = described["StreamConfigurationList"][0]["StartingPosition"]
    assert position["Type"] == "AT_TIMESTAMP" and position["Timestamp"] == late_at
    assert sorted(r["Data"] for r in receive(kinesis, arn)) == [b"late", b"probe"]


def test_concurrent_consumers_share_the_records(kinesis, endpoint: str) -> None:  # noqa: ANN001
    stream_arn = on_demand(kinesis)
    arn = make_queue(kinesis, stream_arn)
    kinesis.put_records(
        StreamName="s", Records=[{"Data": b"%d" % i, "PartitionKey": f"k{i}"} for i in range(100)]
    )
    seen: list[bytes] = []
    lock = threading.Lock()

    def consume() -> None:
        own = client_for(endpoint)
        while True:
            got = receive(own, arn, Limit=10)
            if not got:
                return
            with lock:
                seen.extend(r["Data"] for r in got)

    workers = [threading.Thread(target=consume) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(seen) == sorted(b"%d" % i for i in range(100))  # each once: none twice
