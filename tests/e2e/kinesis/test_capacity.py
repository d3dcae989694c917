"""On-demand capacity end to end: throttled on-demand streams grow; warm throughput provisions shards."""

from __future__ import annotations

import time

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture

limited = server_fixture("capacity", "--durability memory --limits on --test-mode on --transition-delay 0")


def open_shards(kinesis, name: str) -> int:  # noqa: ANN001
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"]


def test_throttled_on_demand_stream_doubles_its_shards(limited: Server) -> None:
    limited.reset()
    kinesis = client_for(limited.endpoint)
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert open_shards(kinesis, "od") == 4
    records = [{"Data": b"x" * 4000, "PartitionKey": "hot"} for _ in range(500)]
    result = kinesis.put_records(StreamName="od", Records=records)
    assert result["FailedRecordCount"] > 0  # one hot shard holds 1 MiB/s
    deadline = time.monotonic() + 10
    while open_shards(kinesis, "od") != 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_shards(kinesis, "od") == 8
    # the grown stream keeps a lineage consumers can follow
    shards = kinesis.list_shards(StreamName="od")["Shards"]
    assert all("ParentShardId" in s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"])
    result = kinesis.put_records(StreamName="od", Records=records)  # one cooldown: no second doubling yet
    assert open_shards(kinesis, "od") == 8


def test_provisioned_streams_do_not_grow(limited: Server) -> None:
    limited.reset()
    kinesis = client_for(limited.endpoint)
    kinesis.create_stream(StreamName="p", ShardCount=1)
    result = kinesis.put_records(StreamName="p", Records=[{"Data": b"x" * 4000, "PartitionKey": "k"}] * 500)
    assert result["FailedRecordCount"] > 0
    time.sleep(0.2)
    assert open_shards(kinesis, "p") == 1


def test_warm_throughput_provisions_capacity(limited: Server) -> None:
    limited.reset()
    kinesis = client_for(limited.endpoint)
    kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    kinesis.create_stream(
        StreamName="warm", StreamModeDetails={"StreamMode": "ON_DEMAND"}, WarmThroughputMiBps=10
    )
    assert open_shards(kinesis, "warm") == 10
    answer = kinesis.update_stream_warm_throughput(StreamName="warm", WarmThroughputMiBps=16)
    assert answer["WarmThroughput"] == {"TargetMiBps": 16, "CurrentMiBps": 10}
    assert open_shards(kinesis, "warm") == 16
    summary = kinesis.describe_stream_summary(StreamName="warm")["StreamDescriptionSummary"]
    assert summary["WarmThroughput"] == {"TargetMiBps": 16, "CurrentMiBps": 16}
