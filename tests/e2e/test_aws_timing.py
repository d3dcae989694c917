"""`--aws-timing off` lifts AWS's timing rules: fixtures that recreate a queue or stream by name, purge
twice or re-subscribe at once just work. With it on (the default) every rule holds."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture

# no --transition-delay: `--aws-timing off` alone must make streams and consumers settle at once
untimed = server_fixture("untimed", "--durability memory --limits off --aws-timing off")
# the defaults: AWS's timing rules and the 0.5 s transition delay
timed = server_fixture("timed", "--durability memory --limits off --test-mode on")


def _code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def test_queue_recreated_and_purged_at_once(untimed: Server) -> None:
    untimed.reset()
    sqs = client_for(untimed.endpoint, "sqs")
    url = sqs.create_queue(QueueName="fixture")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    sqs.delete_queue(QueueUrl=url)
    assert sqs.create_queue(QueueName="fixture")["QueueUrl"] == url
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="new")
    sqs.purge_queue(QueueUrl=url)
    sqs.purge_queue(QueueUrl=url)  # a second purge within 60 s
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_streams_and_consumers_settle_at_once(untimed: Server) -> None:
    untimed.reset()
    kinesis = client_for(untimed.endpoint, "kinesis")
    kinesis.create_stream(StreamName="fixture", ShardCount=1)
    summary = kinesis.describe_stream_summary(StreamName="fixture")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    consumer = kinesis.register_stream_consumer(StreamARN=summary["StreamARN"], ConsumerName="app")
    assert consumer["Consumer"]["ConsumerStatus"] == "ACTIVE"
    kinesis.delete_stream(StreamName="fixture", EnforceConsumerDeletion=True)
    assert kinesis.list_streams()["StreamNames"] == []
    kinesis.create_stream(StreamName="fixture", ShardCount=2)  # the same name, at once
    summary = kinesis.describe_stream_summary(StreamName="fixture")["StreamDescriptionSummary"]
    assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("ACTIVE", 2)
    kinesis.update_shard_count(StreamName="fixture", TargetShardCount=1, ScalingType="UNIFORM_SCALING")
    status = kinesis.describe_stream_summary(StreamName="fixture")["StreamDescriptionSummary"]["StreamStatus"]
    assert status == "ACTIVE"


def test_resubscribe_at_once(untimed: Server) -> None:
    untimed.reset()
    kinesis = client_for(untimed.endpoint, "kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]["ConsumerARN"]
    start = {
        "ConsumerARN": consumer,
        "ShardId": "shardId-000000000000",
        "StartingPosition": {"Type": "LATEST"},
    }
    first = kinesis.subscribe_to_shard(**start)
    next(iter(first["EventStream"]))
    second = kinesis.subscribe_to_shard(**start)  # within 5 s: takes over instead of ResourceInUse
    assert next(iter(second["EventStream"]))["SubscribeToShardEvent"]["Records"] == []
    first["EventStream"].close()
    second["EventStream"].close()


def test_rules_hold_by_default(timed: Server) -> None:
    timed.reset()
    sqs = client_for(timed.endpoint, "sqs")
    url = sqs.create_queue(QueueName="fixture")["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)
    assert _code(sqs.purge_queue, QueueUrl=url) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    sqs.delete_queue(QueueUrl=url)
    assert _code(sqs.create_queue, QueueName="fixture") == "AWS.SimpleQueueService.QueueDeletedRecently"
    timed.advance(61)
    assert sqs.create_queue(QueueName="fixture")["QueueUrl"] == url
    kinesis = client_for(timed.endpoint, "kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    status = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamStatus"]
    assert status == "CREATING"
