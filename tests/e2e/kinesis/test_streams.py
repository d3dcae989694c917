"""Kinesis end to end with boto3: stream lifecycle, records, iterators, errors."""

from __future__ import annotations

import hashlib
import time

import pytest
from botocore.exceptions import ClientError

MAX_HASH = 2**128 - 1


def error_of(call, **kwargs) -> tuple[str, str]:  # noqa: ANN001
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    return error["Code"], error.get("Message", "")


def test_create_describe_list_delete(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s1", ShardCount=3, Tags={"team": "data"})
    kinesis.get_waiter("stream_exists").wait(StreamName="s1", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    summary = kinesis.describe_stream_summary(StreamName="s1")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 3
    assert summary["StreamARN"] == "arn:aws:kinesis:us-east-1:000000000000:stream/s1"
    assert "StreamId" not in summary
    shards = kinesis.describe_stream(StreamName="s1")["StreamDescription"]["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(3)]
    assert shards[0]["HashKeyRange"]["StartingHashKey"] == "0"
    assert shards[-1]["HashKeyRange"]["EndingHashKey"] == str(MAX_HASH)
    for left, right in zip(shards, shards[1:], strict=False):
        assert int(left["HashKeyRange"]["EndingHashKey"]) + 1 == int(right["HashKeyRange"]["StartingHashKey"])
    assert kinesis.list_streams()["StreamNames"] == ["s1"]
    assert kinesis.list_tags_for_stream(StreamName="s1")["Tags"] == [{"Key": "team", "Value": "data"}]
    code, _ = error_of(kinesis.create_stream, StreamName="s1", ShardCount=1)
    assert code == "ResourceInUseException"
    kinesis.delete_stream(StreamName="s1")
    kinesis.get_waiter("stream_not_exists").wait(
        StreamName="s1", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
    )
    code, message = error_of(kinesis.describe_stream_summary, StreamName="s1")
    assert code == "ResourceNotFoundException"
    assert message == "Stream s1 under account 000000000000 not found."


def test_put_and_get_in_order_with_real_sequence_numbers(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    numbers = []
    for i in range(20):
        result = kinesis.put_record(StreamName="s", Data=f"r{i}".encode(), PartitionKey=f"k{i}")
        assert result["ShardId"] == "shardId-000000000000"
        numbers.append(result["SequenceNumber"])
    assert all(len(n) == 56 for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 20
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert len(iterator) <= 512
    got = kinesis.get_records(ShardIterator=iterator, Limit=7)
    assert [r["Data"] for r in got["Records"]] == [f"r{i}".encode() for i in range(7)]
    assert got["MillisBehindLatest"] >= 0
    rest = kinesis.get_records(ShardIterator=got["NextShardIterator"])
    assert [r["SequenceNumber"] for r in rest["Records"]] == numbers[7:]
    assert rest["MillisBehindLatest"] == 0
    # AT / AFTER sequence number, with the iterator quoted as some clients send it
    at = kinesis.get_shard_iterator(
        StreamName="s",
        ShardId="shardId-000000000000",
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=numbers[5],
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=f'"{at}"', Limit=1)["Records"][0]["SequenceNumber"] == numbers[5]
    after = kinesis.get_shard_iterator(
        StreamName="s",
        ShardId="shardId-000000000000",
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=numbers[5],
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=after, Limit=1)["Records"][0]["SequenceNumber"] == numbers[6]
    latest = kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="LATEST"
    )
    assert kinesis.get_records(ShardIterator=latest["ShardIterator"])["Records"] == []


def test_starting_sequence_number_reads_first_record(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    first = kinesis.put_record(StreamName="s", Data=b"a", PartitionKey="k")["SequenceNumber"]
    shard = kinesis.list_shards(StreamName="s")["Shards"][0]
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert int(start) <= int(first)
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        iterator = kinesis.get_shard_iterator(
            StreamName="s", ShardId=shard["ShardId"], ShardIteratorType=kind, StartingSequenceNumber=start
        )["ShardIterator"]
        assert kinesis.get_records(ShardIterator=iterator)["Records"][0]["SequenceNumber"] == first


def test_put_records_routes_by_md5_and_explicit_hash_key(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=4)
    shards = kinesis.list_shards(StreamName="s")["Shards"]
    entries = [{"Data": f"d{i}".encode(), "PartitionKey": f"key-{i}"} for i in range(100)]
    # a key equal to a shard's EndingHashKey belongs to that shard
    entries.append(
        {"Data": b"edge", "PartitionKey": "x", "ExplicitHashKey": shards[1]["HashKeyRange"]["EndingHashKey"]}
    )
    result = kinesis.put_records(StreamName="s", Records=entries)
    assert result["FailedRecordCount"] == 0
    for entry, outcome in zip(entries, result["Records"], strict=True):
        hashed = int(
            entry.get("ExplicitHashKey")
            or int.from_bytes(hashlib.md5(entry["PartitionKey"].encode()).digest())
        )
        owner = next(
            s for s in shards
            if int(s["HashKeyRange"]["StartingHashKey"]) <= hashed <= int(s["HashKeyRange"]["EndingHashKey"])
        )  # fmt: skip
        assert outcome["ShardId"] == owner["ShardId"]
    assert result["Records"][-1]["ShardId"] == shards[1]["ShardId"]
    code, _ = error_of(
        kinesis.put_record, StreamName="s", Data=b"x", PartitionKey="k", ExplicitHashKey=str(MAX_HASH + 1)
    )
    assert code in ("InvalidArgumentException", "ValidationException")


def test_stream_arn_everywhere(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="arn-s", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="arn-s")["StreamDescriptionSummary"]["StreamARN"]
    put = kinesis.put_record(StreamARN=arn, Data=b"x", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(
        StreamARN=arn, ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )
    assert (
        kinesis.get_records(ShardIterator=iterator["ShardIterator"], StreamARN=arn)["Records"][0]["Data"]
        == b"x"
    )
    assert kinesis.list_shards(StreamARN=arn, StreamName="arn-s")["Shards"]
    kinesis.add_tags_to_stream(StreamARN=arn, Tags={"a": "1"})
    kinesis.tag_resource(ResourceARN=arn, Tags={"b": "2"})
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "2"},
    ]


def test_validation_errors_have_aws_format(kinesis) -> None:  # noqa: ANN001
    code, message = error_of(kinesis.create_stream, StreamName="x" * 129, ShardCount=1)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value '")
    assert (
        "at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128"
        in message
    )
    kinesis.create_stream(StreamName="s", ShardCount=1)
    code, _ = error_of(kinesis.get_records, ShardIterator="not-an-iterator")
    assert code == "InvalidArgumentException"


def test_iterator_expires_after_five_minutes(kinesis, server) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    server.advance(301)
    code, message = error_of(kinesis.get_records, ShardIterator=iterator)
    assert code == "ExpiredIteratorException"
    assert "Iterator expired" in message


def test_at_timestamp(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", Data=b"old", PartitionKey="k")
    time.sleep(0.01)
    cut = time.time()
    time.sleep(0.01)
    kinesis.put_record(StreamName="s", Data=b"new", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="AT_TIMESTAMP", Timestamp=cut
    )["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]] == [b"new"]
