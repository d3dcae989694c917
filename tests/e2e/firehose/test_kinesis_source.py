"""KinesisStreamAsSource end to end: records put into a Headwater Kinesis stream land in S3 (bytes
checked), from LATEST as of the delivery stream's creation, KPL aggregates unpacked, the Lambda
transformation shown each record's Kinesis metadata, resharding followed in order, puts refused,
a missing or deleted stream reported, and reading held back while delivery cannot keep up."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from headwater.protocol import kpl
from tests.e2e.firehose.kinesis_support import kinesis_stream, lines, put_lines, sourced_stream, wait_lines
from tests.e2e.firehose.processing_support import processor
from tests.e2e.firehose.support import ROLE, objects
from tests.e2e.functions.support import ensure_role, python_function
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import Server


@pytest.fixture
def firehose(client: Callable[..., Any]) -> Any:
    return client("firehose")


def describe(firehose: Any, name: str) -> dict[str, Any]:
    return dict(firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"])


def in_key_order(s3: Any, bucket: str) -> bool:
    """Whether each object holds every partition key's records in the order they were put (objects
    written in the same second sort by their random id, so order is checked object by object)."""
    for _, body in objects(s3, bucket):
        numbers: dict[str, list[int]] = {}
        for line in body.splitlines():
            key, number = line.decode().split("-")
            numbers.setdefault(key, []).append(int(number))
        if any(n != sorted(n) for n in numbers.values()):
            return False
    return True


def test_records_from_latest_arrive_in_s3(firehose: Any, kinesis: Any, s3: Any) -> None:
    arn = kinesis_stream(kinesis, "source", shards=2)
    s3.create_bucket(Bucket="landing")
    put_lines(kinesis, "source", [f"old{i}-{i}" for i in range(5)])  # before: never delivered
    sourced_stream(firehose, "reader", arn, "landing")
    description = describe(firehose, "reader")
    assert description["DeliveryStreamStatus"] == "ACTIVE"
    assert description["DeliveryStreamType"] == "KinesisStreamAsSource"
    source = description["Source"]["KinesisStreamSourceDescription"]
    assert source["KinesisStreamARN"] == arn and source["RoleARN"] == ROLE
    assert source["DeliveryStartTimestamp"] == description["CreateTimestamp"]
    assert "FailureDescription" not in description
    sent = put_lines(kinesis, "source", [f"k{i % 7}-{i}" for i in range(700)])
    found = wait_lines(s3, "landing", set(sent))
    assert set(found) == set(sent)  # the old records stayed behind
    assert in_key_order(s3, "landing")
    assert firehose.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")[
        "DeliveryStreamNames"
    ] == ["reader"]


def test_puts_are_refused(firehose: Any, kinesis: Any) -> None:
    arn = kinesis_stream(kinesis, "refusing")
    sourced_stream(firehose, "no-puts", arn, "any-bucket")
    message = "This operation is not permitted on KinesisStreamAsSource delivery stream type."
    for call, extra in (
        (firehose.put_record, {"Record": {"Data": b"x"}}),
        (firehose.put_record_batch, {"Records": [{"Data": b"x"}]}),
    ):
        with pytest.raises(ClientError) as caught:
            call(DeliveryStreamName="no-puts", **extra)
        error = caught.value.response["Error"]
        assert (error["Code"], error["Message"]) == ("InvalidArgumentException", message)


def test_kpl_aggregates_are_unpacked(firehose: Any, kinesis: Any, s3: Any) -> None:
    arn = kinesis_stream(kinesis, "aggregated")
    s3.create_bucket(Bucket="unpacked")
    sourced_stream(firehose, "kpl", arn, "unpacked")
    users = [kpl.UserRecord(f"user{i % 3}", f"u{i % 3}-{i}\n".encode()) for i in range(50)]
    kinesis.put_record(StreamName="aggregated", Data=kpl.encode(users[:30]), PartitionKey="agg")
    kinesis.put_record(StreamName="aggregated", Data=b"plain-0\n", PartitionKey="plain")
    kinesis.put_record(StreamName="aggregated", Data=kpl.encode(users[30:]), PartitionKey="agg")
    expected = [u.data for u in users[:30]] + [b"plain-0\n"] + [u.data for u in users[30:]]
    assert sorted(wait_lines(s3, "unpacked", set(expected))) == sorted(expected)
    assert in_key_order(s3, "unpacked")


TRANSFORMER = """
import base64
import json


def handler(event, context):
    out = []
    for record in event["records"]:
        seen = {
            "data": base64.b64decode(record["data"]).decode(),
            "source": event.get("sourceKinesisStreamArn"),
            "arrival": record["approximateArrivalTimestamp"],
            "meta": record.get("kinesisRecordMetadata"),
        }
        body = base64.b64encode((json.dumps(seen) + "\\n").encode()).decode()
        out.append({"recordId": record["recordId"], "result": "Ok", "data": body})
    return {"records": out}
"""


def test_lambda_sees_kinesis_metadata(
    client: Callable[..., Any], firehose: Any, kinesis: Any, s3: Any
) -> None:
    ensure_role(client)
    function = python_function(client("lambda"), "meta-echo", TRANSFORMER)["FunctionArn"]
    arn = kinesis_stream(kinesis, "with-meta")
    s3.create_bucket(Bucket="transformed")
    lambda_processor = processor(
        "Lambda", LambdaArn=function, NumberOfRetries=0, BufferSizeInMBs=1, BufferIntervalInSeconds=0
    )
    sourced_stream(
        firehose,
        "meta",
        arn,
        "transformed",
        ProcessingConfiguration={"Enabled": True, "Processors": [lambda_processor]},
    )
    plain = kinesis.put_record(StreamName="with-meta", Data=b"one", PartitionKey="pk-1")
    packed = kinesis.put_record(
        StreamName="with-meta",
        Data=kpl.encode([kpl.UserRecord("sub-a", b"two"), kpl.UserRecord("sub-b", b"three")]),
        PartitionKey="outer",
    )
    found = wait_for(lambda: len(got := lines(s3, "transformed")) >= 3 and got, 30, "3 records")
    seen = sorted(
        (json.loads(line) for line in found),
        key=lambda s: (int(s["meta"]["sequenceNumber"]), s["meta"]["subsequenceNumber"]),
    )
    assert [s["data"] for s in seen] == ["one", "two", "three"]
    assert {s["source"] for s in seen} == {arn}
    expected = [
        (plain["ShardId"], "pk-1", plain["SequenceNumber"], 0),
        (packed["ShardId"], "sub-a", packed["SequenceNumber"], 0),
        (packed["ShardId"], "sub-b", packed["SequenceNumber"], 1),
    ]
    got = [
        (m["shardId"], m["partitionKey"], m["sequenceNumber"], m["subsequenceNumber"])
        for m in (s["meta"] for s in seen)
    ]
    assert got == expected
    for s in seen:
        assert isinstance(s["meta"]["approximateArrivalTimestamp"], int)
        assert s["meta"]["approximateArrivalTimestamp"] > 1_600_000_000_000 and isinstance(s["arrival"], int)


def _active(kinesis: Any, name: str) -> list[dict[str, Any]]:
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return list(kinesis.list_shards(StreamName=name)["Shards"])


def test_resharding_keeps_each_key_in_order(firehose: Any, kinesis: Any, s3: Any, server: Server) -> None:
    arn = kinesis_stream(kinesis, "resharded", shards=2)
    s3.create_bucket(Bucket="ordered")
    sourced_stream(firehose, "follow", arn, "ordered", interval_s=900)  # one object, flushed below
    keys = [f"key{k}" for k in range(16)]
    sent: list[bytes] = []
    counter = iter(range(1_000_000))

    def burst(count: int) -> None:
        texts = [f"{keys[i % len(keys)]}-{next(counter)}" for i in range(count)]
        sent.extend(put_lines(kinesis, "resharded", texts))

    burst(400)
    first = _active(kinesis, "resharded")[0]
    low, high = int(first["HashKeyRange"]["StartingHashKey"]), int(first["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(
        StreamName="resharded", ShardToSplit=first["ShardId"], NewStartingHashKey=str((low + high) // 2)
    )
    burst(400)
    open_shards = sorted(
        (s for s in _active(kinesis, "resharded") if "EndingSequenceNumber" not in s["SequenceNumberRange"]),
        key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]),
    )
    kinesis.merge_shards(
        StreamName="resharded",
        ShardToMerge=open_shards[0]["ShardId"],
        AdjacentShardToMerge=open_shards[1]["ShardId"],
    )
    burst(400)
    _active(kinesis, "resharded")
    kinesis.update_shard_count(StreamName="resharded", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    burst(400)
    _active(kinesis, "resharded")
    burst(400)
    wait_for(lambda: _read_so_far(server, "follow") >= len(sent), 60, "every record read")
    server.advance(900)
    found = wait_lines(s3, "ordered", set(sent), timeout=30)
    assert set(found) == set(sent)
    assert in_key_order(s3, "ordered")


def test_a_missing_stream_fails_the_creation(firehose: Any) -> None:
    arn = "arn:aws:kinesis:us-east-1:000000000000:stream/nowhere"
    sourced_stream(firehose, "orphan", arn, "any-bucket")
    description = describe(firehose, "orphan")
    assert description["DeliveryStreamStatus"] == "CREATING_FAILED"
    failure = description["FailureDescription"]
    assert failure["Type"] == "UNKNOWN_ERROR" and arn in failure["Details"]
    firehose.delete_delivery_stream(DeliveryStreamName="orphan")
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []


def test_a_deleted_stream_is_reported(firehose: Any, kinesis: Any, s3: Any) -> None:
    arn = kinesis_stream(kinesis, "short-lived")
    s3.create_bucket(Bucket="before-delete")
    sourced_stream(firehose, "bereft", arn, "before-delete")
    sent = put_lines(kinesis, "short-lived", ["a-1", "a-2"])
    wait_lines(s3, "before-delete", set(sent))
    kinesis.delete_stream(StreamName="short-lived")
    failure = wait_for(lambda: describe(firehose, "bereft").get("FailureDescription"), 15, "a failure")
    assert failure["Type"] == "UNKNOWN_ERROR" and arn in failure["Details"]
    assert describe(firehose, "bereft")["DeliveryStreamStatus"] == "ACTIVE"


def _read_so_far(server: Server, name: str) -> float:
    with urllib.request.urlopen(f"{server.endpoint}/_headwater/metrics") as answer:
        text = answer.read().decode()
    pattern = re.compile(
        r'aws_firehose_data_read_from_kinesis_stream_records\{[^}]*DeliveryStreamName="'
        + name
        + r'"[^}]*\} (\S+)'
    )
    match = pattern.search(text)
    return float(match.group(1)) if match else 0.0


def test_reading_waits_for_delivery(firehose: Any, kinesis: Any, s3: Any, server: Server) -> None:
    """The bucket is missing: delivery retries, so the source stops reading a bounded distance
    ahead; once the bucket exists everything arrives."""
    arn = kinesis_stream(kinesis, "backlog", shards=2)
    sourced_stream(firehose, "held", arn, "later-bucket")
    sent = put_lines(kinesis, "backlog", [f"k{i % 9}-{i}" for i in range(30_000)])
    wait_for(lambda: _read_so_far(server, "held") > 0, 15, "reading started")
    first = _read_so_far(server, "held")
    wait_for(lambda: _read_so_far(server, "held") == first, 5, "reading stalls")  # never moves: bounded
    assert first < 15_000, first
    s3.create_bucket(Bucket="later-bucket")

    def arrived() -> bool:
        server.advance(5)  # the 5 s retry of the missing bucket
        return set(sent) <= set(lines(s3, "later-bucket"))

    wait_for(arrived, 60, "everything delivered")
    with urllib.request.urlopen(f"{server.endpoint}/_headwater/metrics") as answer:
        text = answer.read().decode()
    assert re.search(r'aws_firehose_kinesis_millis_behind_latest\{[^}]*DeliveryStreamName="held"', text)


def test_update_destination_and_delete_keep_the_source_right(firehose: Any, kinesis: Any, s3: Any) -> None:
    """UpdateDestination restarts the worker, not the source (nothing read twice from LATEST, nothing
    lost); a deleted delivery stream stops reading and a new one of the same name starts afresh."""
    arn = kinesis_stream(kinesis, "kept", shards=2)
    s3.create_bucket(Bucket="versions")
    sourced_stream(firehose, "updated", arn, "versions")
    first = put_lines(kinesis, "kept", [f"a{i % 4}-{i}" for i in range(300)])
    wait_lines(s3, "versions", set(first))
    firehose.update_destination(
        DeliveryStreamName="updated",
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"Prefix": "v2/"},
    )
    second = put_lines(kinesis, "kept", [f"b{i % 4}-{i}" for i in range(300)])
    found = wait_for(
        lambda: set(second) <= set(got := lines(s3, "versions", "v2/")) and got, 30, "v2 objects"
    )
    assert set(found) <= set(first) | set(second)  # a page delivered just before may come again
    firehose.delete_delivery_stream(DeliveryStreamName="updated")
    put_lines(kinesis, "kept", [f"c{i % 4}-{i}" for i in range(50)])  # nobody reads these
    sourced_stream(firehose, "updated", arn, "versions", Prefix="v3/")
    third = put_lines(kinesis, "kept", [f"d{i % 4}-{i}" for i in range(100)])
    found = wait_for(lambda: set(third) <= set(got := lines(s3, "versions", "v3/")) and got, 30, "v3 objects")
    assert set(found) == set(third)  # from LATEST again: not the c records, not the earlier ones
    assert set(lines(s3, "versions")) == set(first) | set(second) | set(third)
