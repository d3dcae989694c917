"""Enhanced fan-out end to end: consumers, SubscribeToShard over boto3 (HTTP/1.1) and h2c."""

from __future__ import annotations

import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.wire import h2c_client, signed_headers, subscribe_events


def register(kinesis, stream: str = "s", shards: int = 1) -> tuple[str, str]:  # noqa: ANN001
    kinesis.create_stream(StreamName=stream, ShardCount=shards)
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
    assert consumer["ConsumerARN"].startswith(f"{arn}/consumer/app:")
    return arn, consumer["ConsumerARN"]


def test_consumer_lifecycle(kinesis) -> None:  # noqa: ANN001
    arn, consumer_arn = register(kinesis)
    described = kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)["ConsumerDescription"]
    assert described["ConsumerStatus"] == "ACTIVE"
    assert described["StreamARN"] == arn
    assert [c["ConsumerName"] for c in kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]] == ["app"]
    kinesis.tag_resource(ResourceARN=consumer_arn, Tags={"owner": "me"})
    assert kinesis.list_tags_for_resource(ResourceARN=consumer_arn)["Tags"] == [
        {"Key": "owner", "Value": "me"}
    ]
    with pytest.raises(ClientError) as info:
        kinesis.delete_stream(StreamName="s")
    assert info.value.response["Error"]["Code"] == "ResourceInUseException"
    kinesis.deregister_stream_consumer(ConsumerARN=consumer_arn)
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"] == []


def test_boto3_subscribe_gets_pushed_records(endpoint, kinesis) -> None:  # noqa: ANN001
    _, consumer_arn = register(kinesis)
    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition={"Type": "LATEST"}
    )
    events = iter(response["EventStream"])
    first = next(events)["SubscribeToShardEvent"]
    assert first["Records"] == []
    assert first["ContinuationSequenceNumber"]
    producer = client_for(endpoint)
    sent = producer.put_record(StreamName="s", Data=b"pushed", PartitionKey="k")
    for event in events:
        records = event["SubscribeToShardEvent"]["Records"]
        if records:
            assert records[0]["Data"] == b"pushed"
            assert records[0]["SequenceNumber"] == sent["SequenceNumber"]
            assert event["SubscribeToShardEvent"]["ContinuationSequenceNumber"] == sent["SequenceNumber"]
            break
    response["EventStream"].close()


def test_second_subscription_within_five_seconds_is_refused(kinesis) -> None:  # noqa: ANN001
    _, consumer_arn = register(kinesis)
    first = kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition={"Type": "TRIM_HORIZON"}
    )
    next(iter(first["EventStream"]))
    with pytest.raises(ClientError) as info:
        kinesis.subscribe_to_shard(
            ConsumerARN=consumer_arn,
            ShardId="shardId-000000000000",
            StartingPosition={"Type": "TRIM_HORIZON"},
        )
    assert info.value.response["Error"]["Code"] == "ResourceInUseException"
    first["EventStream"].close()


def test_subscription_ends_after_five_minutes_and_heartbeats(kinesis, server) -> None:  # noqa: ANN001
    _, consumer_arn = register(kinesis)
    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition={"Type": "TRIM_HORIZON"}
    )
    events = iter(response["EventStream"])
    next(events)
    server.advance(6)  # an idle subscription still sends an event within 5 s
    assert next(events)["SubscribeToShardEvent"]["Records"] == []
    server.advance(300)
    remaining = list(events)  # the stream ends by itself
    assert len(remaining) <= 1


def test_child_shards_end_a_closed_shard_subscription(kinesis) -> None:  # noqa: ANN001
    _, consumer_arn = register(kinesis)
    kinesis.put_record(StreamName="s", Data=b"one", PartitionKey="k")
    kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition={"Type": "TRIM_HORIZON"}
    )
    events = [e["SubscribeToShardEvent"] for e in response["EventStream"]]
    assert [r["Data"] for e in events for r in e["Records"]] == [b"one"]
    assert {c["ShardId"] for c in events[-1]["ChildShards"]} == {
        "shardId-000000000001",
        "shardId-000000000002",
    }


def test_h2c_put_records_and_subscribe(endpoint, kinesis) -> None:  # noqa: ANN001
    _, consumer_arn = register(kinesis)
    with h2c_client() as client:
        body = json.dumps(
            {
                "StreamName": "s",
                "Records": [{"Data": "aDI=", "PartitionKey": "k"}, {"Data": "aDM=", "PartitionKey": "j"}],
            }
        ).encode()
        reply = client.post(endpoint, content=body, headers=signed_headers(endpoint, "PutRecords", body))
        assert reply.http_version == "HTTP/2"
        assert reply.status_code == 200, reply.text
        assert reply.json()["FailedRecordCount"] == 0
        got: list[dict] = []
        done = threading.Event()

        def consume() -> None:
            for event_type, payload in subscribe_events(
                client, endpoint, consumer_arn, "shardId-000000000000", {"Type": "TRIM_HORIZON"}
            ):
                if event_type == "SubscribeToShardEvent":
                    got.extend(payload["Records"])
                    if len(got) >= 3:
                        done.set()
                        return

        reader = threading.Thread(target=consume, daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        kinesis.put_record(StreamName="s", Data=b"h4", PartitionKey="k")
        assert done.wait(10)
        assert [r["PartitionKey"] for r in got[:2]] == ["k", "j"] or len(got) >= 3


def test_delete_stream_enforcing_consumer_deletion(kinesis) -> None:  # noqa: ANN001
    arn, consumer_arn = register(kinesis)
    kinesis.delete_stream(StreamName="s", EnforceConsumerDeletion=True)
    with pytest.raises(ClientError) as info:
        kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError):
        kinesis.list_stream_consumers(StreamARN=arn)


def test_resubscribe_within_five_seconds_of_a_dropped_subscription(kinesis, server) -> None:  # noqa: ANN001
    _, consumer_arn = register(kinesis)
    first = kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition={"Type": "LATEST"}
    )
    first["EventStream"].close()  # the client goes away at once
    with pytest.raises(ClientError) as info:
        kinesis.subscribe_to_shard(
            ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition={"Type": "LATEST"}
        )
    assert info.value.response["Error"]["Code"] == "ResourceInUseException"
    server.advance(5.1)
    again = kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition={"Type": "LATEST"}
    )
    assert next(iter(again["EventStream"]))["SubscribeToShardEvent"]["Records"] == []
    again["EventStream"].close()
