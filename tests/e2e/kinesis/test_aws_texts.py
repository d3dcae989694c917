"""Where Kinesis answers as AWS does (issue 10): record size with the key, resharding errors,
GetShardIterator's text, DescribeLimits per region, unanchored patterns, null members through the
fast paths, and the record distribution strategy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.wire import signed_headers

MIB = 1024 * 1024
ACCOUNT = "000000000000"


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**params)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def raw(endpoint: str, operation: str, document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body = json.dumps(document).encode()
    answer = httpx.post(endpoint + "/", content=body, headers=signed_headers(endpoint, operation, body))
    return answer.status_code, answer.json()


def test_record_size_counts_data_and_partition_key(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", Data=b"x" * (MIB - 2), PartitionKey="kk")  # exactly 1 MiB
    code, message = error_of(kinesis.put_record, StreamName="s", Data=b"x" * (MIB - 1), PartitionKey="kk")
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value at 'data' failed to satisfy constraint: "
        f"Member must have length less than or equal to {MIB}"
    )
    records = [{"Data": b"ok", "PartitionKey": "k"}, {"Data": b"x" * MIB, "PartitionKey": "k"}]
    code, message = error_of(kinesis.put_records, StreamName="s", Records=records)
    assert code == "ValidationException"
    assert "Value at 'records.2.member.data' failed to satisfy constraint" in message


def test_split_and_merge_errors(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=2)
    code, message = error_of(
        kinesis.split_shard, StreamName="s", ShardToSplit="shardId-000000000009", NewStartingHashKey="5"
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Could not find shard shardId-000000000009 in stream s under account {ACCOUNT}.",
    )
    code, message = error_of(
        kinesis.merge_shards,
        StreamName="s",
        ShardToMerge="shardId-000000000000",
        AdjacentShardToMerge="shardId-000000000007",
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Could not find shard shardId-000000000007 in stream s under account {ACCOUNT}.",
    )
    kinesis.merge_shards(
        StreamName="s", ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001"
    )
    code, _ = error_of(
        kinesis.split_shard, StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey="5"
    )
    assert code == "InvalidArgumentException"
    code, _ = error_of(
        kinesis.merge_shards,
        StreamName="s",
        ShardToMerge="shardId-000000000001",
        AdjacentShardToMerge="shardId-000000000002",
    )
    assert code == "InvalidArgumentException"


@pytest.mark.parametrize("kind", ["LATEST", "TRIM_HORIZON"])
def test_get_shard_iterator_with_a_needless_sequence_number(kinesis, kind: str) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    number = kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")["SequenceNumber"]
    code, message = error_of(
        kinesis.get_shard_iterator,
        StreamName="s",
        ShardId="shardId-000000000000",
        ShardIteratorType=kind,
        StartingSequenceNumber=number,
    )
    assert (code, message) == (
        "InvalidArgumentException",
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "
        "(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
        f"Request specified {kind} and also a StartingSequenceNumber.",
    )


@pytest.mark.parametrize(
    ("region", "limit"), [("us-east-1", 20000), ("eu-west-1", 20000), ("eu-central-1", 1000)]
)
def test_describe_limits_reports_the_regions_shard_quota(endpoint: str, region: str, limit: int) -> None:
    assert client_for(endpoint, region=region).describe_limits()["ShardLimit"] == limit


def test_validation_messages_print_unanchored_patterns(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    code, message = error_of(
        kinesis.put_record, StreamName="s", Data=b"x", PartitionKey="k", ExplicitHashKey="x"
    )
    assert code == "ValidationException"
    assert message.endswith(r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})")


def test_null_members_through_the_fast_paths(kinesis, endpoint: str) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    status, answer = raw(endpoint, "PutRecord", {"StreamName": "s", "Data": "eA==", "PartitionKey": None})
    assert status == 400
    assert answer["__type"] == "ValidationException"
    assert (
        "Value null at 'partitionKey' failed to satisfy constraint: Member must not be null"
        in answer["message"]
    )
    entries = [{"Data": "eA==", "PartitionKey": "k"}, {"Data": "eA==", "PartitionKey": None}]
    status, answer = raw(endpoint, "PutRecords", {"StreamName": "s", "Records": entries})
    assert status == 400 and "records.2.member.partitionKey" in answer["message"]
    status, answer = raw(
        endpoint,
        "PutRecord",
        {"StreamName": "s", "Data": "eA==", "PartitionKey": "k", "ExplicitHashKey": None},
    )
    assert status == 200, answer  # an optional null is absent
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )
    status, answer = raw(endpoint, "GetRecords", {"ShardIterator": iterator["ShardIterator"], "Limit": None})
    assert status == 200 and len(answer["Records"]) == 1
    status, answer = raw(endpoint, "GetRecords", {"ShardIterator": None})
    assert status == 400 and answer["__type"] == "ValidationException"
    status, answer = raw(endpoint, "PutRecord", {"StreamName": "s", "Data": None, "PartitionKey": "k"})
    assert status == 400 and "Value null at 'data'" in answer["message"]


def test_record_distribution_strategy(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert summary["RecordDistributionStrategy"] == "USER_PARTITION_KEY"
    arn = summary["StreamARN"]
    code, message = error_of(kinesis.put_record, StreamName="s", Data=b"x")
    assert code == "ValidationException" and "Member must not be null" in message
    kinesis.update_stream_record_distribution_strategy(StreamARN=arn, RecordDistributionStrategy="AUTO")
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert summary["RecordDistributionStrategy"] == "AUTO"
    shards = set()
    for _ in range(40):  # the same key (and no key) lands on several shards: the key is ignored
        shards.add(kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="same")["ShardId"])
        shards.add(kinesis.put_record(StreamName="s", Data=b"y")["ShardId"])
    assert len(shards) > 1
    assert kinesis.put_records(StreamName="s", Records=[{"Data": b"z"}])["FailedRecordCount"] == 0
    keyless = []
    for shard in kinesis.list_shards(StreamName="s")["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName="s", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )
        records = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        keyless += [r for r in records if r["Data"] in (b"y", b"z")]
        assert all(r["PartitionKey"] == "same" for r in records if r["Data"] == b"x")  # returned as given
    assert len(keyless) == 41 and all("PartitionKey" not in r for r in keyless)
    kinesis.update_stream_record_distribution_strategy(
        StreamARN=arn, RecordDistributionStrategy="USER_PARTITION_KEY"
    )
    assert error_of(kinesis.put_record, StreamName="s", Data=b"x")[0] == "ValidationException"

    kinesis.create_stream(StreamName="p", ShardCount=1)
    provisioned = kinesis.describe_stream_summary(StreamName="p")["StreamDescriptionSummary"]
    assert "RecordDistributionStrategy" not in provisioned
    code, _ = error_of(
        kinesis.update_stream_record_distribution_strategy,
        StreamARN=provisioned["StreamARN"],
        RecordDistributionStrategy="AUTO",
    )
    assert code == "InvalidArgumentException"
    kinesis.create_stream(
        StreamName="auto", StreamModeDetails={"StreamMode": "ON_DEMAND"}, RecordDistributionStrategy="AUTO"
    )
    assert kinesis.put_record(StreamName="auto", Data=b"x")["ShardId"]
