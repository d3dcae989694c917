"""Per-stream and account settings end to end: retention, modes, record size, warm throughput,
limits, monitoring, policies, tags, lifecycle transitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server


def code_of(call, **kwargs) -> str:  # noqa: ANN001
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"]


def arn_of(kinesis, name: str) -> str:  # noqa: ANN001
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def test_retention_bounds(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=8760)
    assert (
        kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["RetentionPeriodHours"]
        == 8760
    )
    assert code_of(kinesis.increase_stream_retention_period, StreamName="s", RetentionPeriodHours=100) == (
        "InvalidArgumentException"
    )
    kinesis.decrease_stream_retention_period(StreamName="s", RetentionPeriodHours=24)
    assert code_of(kinesis.decrease_stream_retention_period, StreamName="s", RetentionPeriodHours=23) in (
        "InvalidArgumentException",
        "ValidationException",
    )
    assert code_of(kinesis.increase_stream_retention_period, StreamName="s", RetentionPeriodHours=8761) in (
        "InvalidArgumentException",
        "ValidationException",
    )


def test_stream_modes_and_resharding_rules(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    assert code_of(
        kinesis.update_shard_count, StreamName="od", TargetShardCount=8, ScalingType="UNIFORM_SCALING"
    ) == ("ValidationException")
    kinesis.update_stream_mode(
        StreamARN=summary["StreamARN"], StreamModeDetails={"StreamMode": "PROVISIONED"}
    )
    assert kinesis.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"][
        "StreamModeDetails"
    ] == {"StreamMode": "PROVISIONED"}
    assert code_of(kinesis.create_stream, StreamName="p") == "InvalidArgumentException"


def test_max_record_size(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    big = b"x" * (2 * 1024 * 1024)
    assert code_of(kinesis.put_record, StreamName="s", Data=big, PartitionKey="k") == "ValidationException"
    kinesis.update_max_record_size(StreamARN=arn_of(kinesis, "s"), MaxRecordSizeInKiB=4096)
    assert (
        kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["MaxRecordSizeInKiB"]
        == 4096
    )
    put = kinesis.put_record(StreamName="s", Data=big, PartitionKey="k")
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )
    assert kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"][0]["Data"] == big
    assert code_of(
        kinesis.update_max_record_size, StreamARN=arn_of(kinesis, "s"), MaxRecordSizeInKiB=10241
    ) == ("ValidationException")


def test_account_settings_and_warm_throughput(kinesis) -> None:  # noqa: ANN001
    assert kinesis.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] == "DISABLED"
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert code_of(kinesis.update_stream_warm_throughput, StreamName="od", WarmThroughputMiBps=100) == (
        "ValidationException"
    )
    enabled = kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    assert enabled["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED"
    warm = kinesis.update_stream_warm_throughput(StreamName="od", WarmThroughputMiBps=100)
    assert warm["WarmThroughput"]["TargetMiBps"] == 100
    summary = kinesis.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    assert summary["WarmThroughput"]["TargetMiBps"] == 100
    disabled = kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})
    assert disabled["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"


def test_describe_limits_and_monitoring(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=3)
    limits = kinesis.describe_limits()
    assert limits["OpenShardCount"] == 3
    assert limits["ShardLimit"] >= 500
    enabled = kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["IncomingBytes"])
    assert enabled["CurrentShardLevelMetrics"] == []
    assert enabled["DesiredShardLevelMetrics"] == ["IncomingBytes"]
    everything = kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["ALL"])
    assert len(everything["DesiredShardLevelMetrics"]) == 7
    disabled = kinesis.disable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["IncomingBytes"])
    assert "IncomingBytes" not in disabled["DesiredShardLevelMetrics"]


def test_policies_and_tags(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = arn_of(kinesis, "s")
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},'
        '"Action":["kinesis:DescribeStreamSummary"],"Resource":"' + arn + '"}]}'
    )
    kinesis.put_resource_policy(ResourceARN=arn, Policy=policy)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == policy
    assert (
        code_of(kinesis.put_resource_policy, ResourceARN=arn, Policy="not json") == "InvalidArgumentException"
    )
    kinesis.delete_resource_policy(ResourceARN=arn)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    kinesis.add_tags_to_stream(StreamName="s", Tags={f"k{i}": "v" for i in range(50)})
    assert (
        code_of(kinesis.add_tags_to_stream, StreamName="s", Tags={"one-more": "v"})
        == "InvalidArgumentException"
    )
    page = kinesis.list_tags_for_stream(StreamName="s", Limit=10)
    assert len(page["Tags"]) == 10 and page["HasMoreTags"]
    kinesis.remove_tags_from_stream(StreamName="s", TagKeys=["k0", "k1"])
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["k2"])
    assert len(kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]) == 47


def test_list_streams_pagination(kinesis) -> None:  # noqa: ANN001
    for i in range(5):
        kinesis.create_stream(StreamName=f"s{i}", ShardCount=1)
    first = kinesis.list_streams(Limit=2)
    assert first["StreamNames"] == ["s0", "s1"] and first["HasMoreStreams"]
    second = kinesis.list_streams(Limit=2, NextToken=first["NextToken"])
    assert second["StreamNames"] == ["s2", "s3"]
    paginator = kinesis.get_paginator("list_streams")
    assert [
        n for page in paginator.paginate(PaginationConfig={"PageSize": 2}) for n in page["StreamNames"]
    ] == [f"s{i}" for i in range(5)]


def test_lifecycle_transitions_are_observable(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = Server(
        data_dir, "--durability", "memory", "--limits", "off", "--transition-delay", "0.3"
    ).start()
    try:
        kinesis = client_for(server.endpoint)
        kinesis.create_stream(StreamName="slow", ShardCount=1)
        assert kinesis.describe_stream_summary(StreamName="slow")["StreamDescriptionSummary"][
            "StreamStatus"
        ] == ("CREATING")
        assert code_of(kinesis.split_shard, StreamName="slow", ShardToSplit="shardId-000000000000",
                       NewStartingHashKey="100") == "ResourceInUseException"  # fmt: skip
        kinesis.get_waiter("stream_exists").wait(
            StreamName="slow", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
        )
        kinesis.update_shard_count(StreamName="slow", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
        assert kinesis.describe_stream_summary(StreamName="slow")["StreamDescriptionSummary"][
            "StreamStatus"
        ] == ("UPDATING")
        kinesis.put_record(StreamName="slow", Data=b"while updating", PartitionKey="k")
        kinesis.get_waiter("stream_exists").wait(
            StreamName="slow", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
        )
        kinesis.delete_stream(StreamName="slow")
        assert kinesis.describe_stream_summary(StreamName="slow")["StreamDescriptionSummary"][
            "StreamStatus"
        ] == ("DELETING")
        kinesis.get_waiter("stream_not_exists").wait(
            StreamName="slow", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
        )
    finally:
        server.stop()
