"""GET /_headwater/metrics end to end: Prometheus text with Kinesis's CloudWatch metrics.

Names follow the CloudWatch exporter's convention (`AWS/Kinesis` `GetRecords.Bytes` ->
`aws_kinesis_get_records_bytes`), labels are the CloudWatch dimensions. The server runs with
`--limits on` so throttling shows up too.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.metrics import Samples, scrape
from tests.e2e.support.server import Server, server_fixture

SHARD0 = "shardId-000000000000"
SHARD1 = "shardId-000000000001"
MAX_HASH = 2**128 - 1


metered = server_fixture("metrics", "--durability fast --limits on --test-mode on --transition-delay 0")


@pytest.fixture
def kinesis(metered: Server):  # noqa: ANN201
    metered.reset()
    return client_for(metered.endpoint, retries={"total_max_attempts": 1})


def stream(name: str = "s") -> frozenset[tuple[str, str]]:
    return frozenset({("StreamName", name)})


def shard(shard_id: str, name: str = "s") -> frozenset[tuple[str, str]]:
    return frozenset({("StreamName", name), ("ShardId", shard_id)})


def per_shard(samples: Samples) -> set[str]:
    return {name for name, labels in samples if any(key == "ShardId" for key, _ in labels)}


def read(kinesis, shard_id: str = SHARD0) -> dict:  # noqa: ANN001
    position = kinesis.get_shard_iterator(StreamName="s", ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    return kinesis.get_records(ShardIterator=position["ShardIterator"])


def test_stream_level_counters_after_puts_and_gets(kinesis, metered) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.put_record(StreamName="s", Data=b"0123456789", PartitionKey="k", ExplicitHashKey="0")
    batch = [{"Data": b"abc", "PartitionKey": "k", "ExplicitHashKey": "0"}] * 3
    kinesis.put_records(StreamName="s", Records=batch)
    metered.advance(5)  # the records are 5 s old when read
    assert len(read(kinesis)["Records"]) == 4
    samples = scrape(metered)
    expected = {
        "aws_kinesis_incoming_records": 4,
        "aws_kinesis_incoming_bytes": 19,
        "aws_kinesis_put_record_success": 1,
        "aws_kinesis_put_record_bytes": 10,
        "aws_kinesis_put_records_success": 1,
        "aws_kinesis_put_records_total_records": 3,
        "aws_kinesis_put_records_successful_records": 3,
        "aws_kinesis_put_records_bytes": 9,
        "aws_kinesis_get_records_records": 4,
        "aws_kinesis_get_records_bytes": 19,
        "aws_kinesis_get_records_success": 1,
    }
    assert {name: samples.get((name, stream())) for name in expected} == expected
    assert 5000 <= samples["aws_kinesis_get_records_iterator_age_milliseconds", stream()] < 60_000
    assert per_shard(samples) == set()  # no enhanced monitoring, no shard-level metrics
    # An empty read: the age of "the last record returned" is 0, the counters add up.
    position = read(kinesis)["NextShardIterator"]
    kinesis.get_records(ShardIterator=position)
    samples = scrape(metered)
    assert samples["aws_kinesis_get_records_iterator_age_milliseconds", stream()] == 0
    assert samples["aws_kinesis_get_records_success", stream()] == 3
    assert samples["aws_kinesis_get_records_records", stream()] == 8


def test_shard_level_metrics_follow_enhanced_monitoring(kinesis, metered) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
    kinesis.put_records(
        StreamName="s",
        Records=[
            {"Data": b"left", "PartitionKey": "k", "ExplicitHashKey": "0"},
            {"Data": b"right!", "PartitionKey": "k", "ExplicitHashKey": str(MAX_HASH)},
        ],
    )
    read(kinesis, SHARD1)
    samples = scrape(metered)
    assert samples["aws_kinesis_incoming_bytes", shard(SHARD0)] == 4
    assert samples["aws_kinesis_incoming_bytes", shard(SHARD1)] == 6
    assert samples["aws_kinesis_incoming_bytes", stream()] == 10
    assert samples["aws_kinesis_outgoing_records", shard(SHARD1)] == 1
    assert per_shard(samples) == {"aws_kinesis_incoming_bytes", "aws_kinesis_outgoing_records"}

    kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["ALL"])
    metered.advance(2)
    kinesis.put_record(StreamName="s", Data=b"more", PartitionKey="k", ExplicitHashKey="0")
    metered.advance(3)
    read(kinesis, SHARD0)
    samples = scrape(metered)
    assert samples["aws_kinesis_incoming_records", shard(SHARD0)] == 1  # counted since enabled
    assert samples["aws_kinesis_incoming_bytes", shard(SHARD0)] == 8
    assert samples["aws_kinesis_outgoing_records", shard(SHARD0)] == 2
    assert samples["aws_kinesis_outgoing_bytes", shard(SHARD0)] == 8
    assert samples["aws_kinesis_iterator_age_milliseconds", shard(SHARD0)] >= 3000

    kinesis.disable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["ALL"])
    kinesis.put_record(StreamName="s", Data=b"quiet", PartitionKey="k", ExplicitHashKey="0")
    assert scrape(metered)["aws_kinesis_incoming_bytes", shard(SHARD0)] == 8  # no longer counted


def test_throttling_is_counted_per_stream_and_per_shard(kinesis, metered) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.enable_enhanced_monitoring(
        StreamName="s",
        ShardLevelMetrics=["WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded"],
    )
    records = [{"Data": b"y" * 3000, "PartitionKey": "k"} for _ in range(500)]
    failed = kinesis.put_records(StreamName="s", Records=records)["FailedRecordCount"]
    assert failed == 500 - (1024 * 1024) // 3001
    with pytest.raises(ClientError):
        kinesis.put_record(StreamName="s", Data=b"y" * 500_000, PartitionKey="k")
    position = read(kinesis)["NextShardIterator"]
    read_throttles = 0
    for _ in range(20):
        try:
            kinesis.get_records(ShardIterator=position)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            read_throttles += 1
    samples = scrape(metered)
    assert samples["aws_kinesis_write_provisioned_throughput_exceeded", stream()] == failed + 1
    assert samples["aws_kinesis_write_provisioned_throughput_exceeded", shard(SHARD0)] == failed + 1
    assert samples["aws_kinesis_put_records_throttled_records", stream()] == failed
    assert samples.get(("aws_kinesis_read_provisioned_throughput_exceeded", stream()), 0) == read_throttles
    assert (
        samples.get(("aws_kinesis_read_provisioned_throughput_exceeded", shard(SHARD0)), 0) == read_throttles
    )
    assert samples["aws_kinesis_get_records_success", stream()] == 21 - read_throttles


def test_subscribe_to_shard_events_are_counted(kinesis, metered) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["OutgoingBytes", "OutgoingRecords"])
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]["ConsumerARN"]
    kinesis.put_records(StreamName="s", Records=[{"Data": b"pushed", "PartitionKey": "k"}] * 2)
    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer, ShardId=SHARD0, StartingPosition={"Type": "TRIM_HORIZON"}
    )
    first = next(iter(response["EventStream"]))["SubscribeToShardEvent"]
    response["EventStream"].close()
    assert [r["Data"] for r in first["Records"]] == [b"pushed", b"pushed"]
    samples = scrape(metered)
    by_consumer = frozenset({("StreamName", "s"), ("ConsumerName", "app")})
    assert samples["aws_kinesis_subscribe_to_shard_success", by_consumer] == 1
    assert samples["aws_kinesis_subscribe_to_shard_event_records", by_consumer] == 2
    assert samples["aws_kinesis_subscribe_to_shard_event_bytes", by_consumer] == 12
    assert samples["aws_kinesis_outgoing_records", shard(SHARD0)] == 2
    assert samples["aws_kinesis_outgoing_bytes", shard(SHARD0)] == 12


def test_reset_clears_the_metrics(kinesis, metered) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    assert scrape(metered)["aws_kinesis_incoming_records", stream()] == 1
    metered.reset()
    assert scrape(metered) == {}
