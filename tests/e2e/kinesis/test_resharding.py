"""Resharding and shard lineage end to end: split, merge, UpdateShardCount, ListShards filters."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

MAX_HASH = 2**128 - 1


def read_all(kinesis, stream: str, shard_id: str) -> tuple[list[bytes], dict]:  # noqa: ANN001
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    data: list[bytes] = []
    while True:
        page = kinesis.get_records(ShardIterator=iterator)
        data += [r["Data"] for r in page["Records"]]
        if "NextShardIterator" not in page or (not page["Records"] and page["MillisBehindLatest"] == 0):
            return data, page
        iterator = page["NextShardIterator"]


def test_split_closes_parent_and_reports_children(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", Data=b"before", PartitionKey="k")
    kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    kinesis.get_waiter("stream_exists").wait(StreamName="s", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    shards = {s["ShardId"]: s for s in kinesis.list_shards(StreamName="s")["Shards"]}
    parent = shards["shardId-000000000000"]
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    left, right = shards["shardId-000000000001"], shards["shardId-000000000002"]
    assert left["ParentShardId"] == right["ParentShardId"] == "shardId-000000000000"
    assert left["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)}
    assert right["HashKeyRange"] == {"StartingHashKey": str(2**127), "EndingHashKey": str(MAX_HASH)}
    data, last = read_all(kinesis, "s", "shardId-000000000000")
    assert data == [b"before"]
    assert "NextShardIterator" not in last
    assert {c["ShardId"] for c in last["ChildShards"]} == {"shardId-000000000001", "shardId-000000000002"}
    put = kinesis.put_record(StreamName="s", Data=b"after", PartitionKey="k")
    assert put["ShardId"] in ("shardId-000000000001", "shardId-000000000002")
    with pytest.raises(ClientError) as info:
        kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey="5")
    assert info.value.response["Error"]["Code"] == "InvalidArgumentException"


def test_merge_and_filters(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.merge_shards(
        StreamName="s", ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001"
    )
    shards = kinesis.list_shards(StreamName="s")["Shards"]
    child = shards[-1]
    assert child["ParentShardId"] == "shardId-000000000000"
    assert child["AdjacentParentShardId"] == "shardId-000000000001"
    assert child["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(MAX_HASH)}
    latest = kinesis.list_shards(StreamName="s", ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["ShardId"] for s in latest] == [child["ShardId"]]
    horizon = kinesis.list_shards(StreamName="s", ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]
    assert [s["ShardId"] for s in horizon] == ["shardId-000000000000", "shardId-000000000001"]
    everything = kinesis.list_shards(StreamName="s", ShardFilter={"Type": "FROM_TRIM_HORIZON"})["Shards"]
    assert len(everything) == 3
    after = kinesis.list_shards(
        StreamName="s", ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000000"}
    )
    assert [s["ShardId"] for s in after["Shards"]] == ["shardId-000000000001", child["ShardId"]]


def test_update_shard_count_keeps_lineage(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=5)
    result = kinesis.update_shard_count(StreamName="s", TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert result["CurrentShardCount"] == 5 and result["TargetShardCount"] == 3
    shards = kinesis.list_shards(StreamName="s")["Shards"]
    by_id = {s["ShardId"]: s for s in shards}
    open_shards = [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    assert len(open_shards) == 3
    assert open_shards[0]["HashKeyRange"]["StartingHashKey"] == "0"
    assert open_shards[-1]["HashKeyRange"]["EndingHashKey"] == str(MAX_HASH)
    for shard in shards:
        parents = [p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p]
        covered = sorted(
            (int(by_id[p]["HashKeyRange"]["StartingHashKey"]), int(by_id[p]["HashKeyRange"]["EndingHashKey"]))
            for p in parents
        )
        start, end = (
            int(shard["HashKeyRange"]["StartingHashKey"]),
            int(shard["HashKeyRange"]["EndingHashKey"]),
        )
        if len(covered) == 1:  # a split child lies inside its parent
            assert covered[0][0] <= start <= end <= covered[0][1]
        elif covered:  # a merge child is exactly its two adjacent parents
            assert covered[0][1] + 1 == covered[1][0]
            assert (covered[0][0], covered[1][1]) == (start, end)
    with pytest.raises(ClientError) as info:
        kinesis.update_shard_count(StreamName="s", TargetShardCount=7, ScalingType="UNIFORM_SCALING")
    assert info.value.response["Error"]["Code"] == "LimitExceededException"
    assert "double" in info.value.response["Error"]["Message"]


def test_list_shards_pagination_and_token_expiry(kinesis, server) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=5)
    first = kinesis.list_shards(StreamName="s", MaxResults=2)
    assert [s["ShardId"] for s in first["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    second = kinesis.list_shards(NextToken=first["NextToken"], MaxResults=2)
    assert [s["ShardId"] for s in second["Shards"]] == ["shardId-000000000002", "shardId-000000000003"]
    with pytest.raises(ClientError) as info:
        kinesis.list_shards(StreamName="s", NextToken=first["NextToken"])
    assert info.value.response["Error"]["Code"] == "InvalidArgumentException"
    described = kinesis.describe_stream(StreamName="s", Limit=3)["StreamDescription"]
    assert len(described["Shards"]) == 3 and described["HasMoreShards"]
    server.advance(301)
    with pytest.raises(ClientError) as info:
        kinesis.list_shards(NextToken=second["NextToken"])
    assert info.value.response["Error"]["Code"] == "ExpiredNextTokenException"


def test_list_shards_timestamp_filters(kinesis, server) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    server.advance(10)
    kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    split_at = kinesis.list_shards(StreamName="s")["Shards"]
    assert len(split_at) == 3
    now = float(server.admin("GET", "clock")["now"])
    before_split = now - 5
    at_before = kinesis.list_shards(
        StreamName="s", ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": before_split}
    )
    assert [s["ShardId"] for s in at_before["Shards"]] == ["shardId-000000000000"]
    from_before = kinesis.list_shards(
        StreamName="s", ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": before_split}
    )
    assert len(from_before["Shards"]) == 3
    at_now = kinesis.list_shards(StreamName="s", ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": now})
    assert [s["ShardId"] for s in at_now["Shards"]] == ["shardId-000000000001", "shardId-000000000002"]
    # before the stream existed: the shards it was created with
    ancient = kinesis.list_shards(
        StreamName="s", ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": now - 86400}
    )
    assert [s["ShardId"] for s in ancient["Shards"]] == ["shardId-000000000000"]
    with pytest.raises(ClientError) as info:
        kinesis.list_shards(StreamName="s", ShardFilter={"Type": "AT_TIMESTAMP"})
    assert info.value.response["Error"]["Code"] == "InvalidArgumentException"
