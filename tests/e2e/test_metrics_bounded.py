"""Metric series exist only for resources that exist: requests naming a missing bucket, queue or
stream create none, and deleting a resource removes its series (GET /_headwater/metrics)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.metrics import Samples, scrape
from tests.e2e.support.server import Server


def named(samples: Samples, label: str, value: str) -> set[str]:
    """The metric names with a series labelled `label=value`."""
    return {name for name, labels in samples if (label, value) in labels}


def fails(call: Any, **params: Any) -> None:
    with pytest.raises(ClientError):
        call(**params)


def test_missing_buckets_have_no_series(s3, server: Server) -> None:  # noqa: ANN001
    s3.create_bucket(Bucket="real")
    s3.put_object(Bucket="real", Key="k", Body=b"abc")
    for typo in ("reall", "rael", "no-such-bucket"):
        fails(s3.get_object, Bucket=typo, Key="k")
        fails(s3.put_object, Bucket=typo, Key="k", Body=b"x")
        fails(s3.list_objects_v2, Bucket=typo)
    samples = scrape(server)
    assert {"aws_s3_all_requests", "aws_s3_put_requests"} <= named(samples, "BucketName", "real")
    for typo in ("reall", "rael", "no-such-bucket"):
        assert named(samples, "BucketName", typo) == set()
    s3.delete_object(Bucket="real", Key="k")
    s3.delete_bucket(Bucket="real")
    fails(s3.head_bucket, Bucket="real")  # a request after the deletion records nothing either
    assert named(scrape(server), "BucketName", "real") == set()


def test_missing_queues_have_no_series(sqs, server: Server) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="real")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.receive_message(QueueUrl=url)
    for typo in ("reall", "rael"):
        fails(sqs.send_message, QueueUrl=url.replace("real", typo), MessageBody="m")
        fails(sqs.receive_message, QueueUrl=url.replace("real", typo))
    samples = scrape(server)
    assert {"aws_sqs_number_of_messages_sent", "aws_sqs_number_of_messages_received"} <= named(
        samples, "QueueName", "real"
    )
    assert named(samples, "QueueName", "reall") == named(samples, "QueueName", "rael") == set()
    sqs.delete_queue(QueueUrl=url)
    assert named(scrape(server), "QueueName", "real") == set()


def test_missing_streams_have_no_series(kinesis, server: Server) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="real", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="real")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.put_record(StreamName="real", Data=b"x", PartitionKey="k")
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]["ConsumerARN"]
    events = kinesis.subscribe_to_shard(
        ConsumerARN=consumer, ShardId="shardId-000000000000", StartingPosition={"Type": "TRIM_HORIZON"}
    )["EventStream"]
    next(iter(events))
    events.close()
    fails(kinesis.put_record, StreamName="reall", Data=b"x", PartitionKey="k")
    samples = scrape(server)
    assert "aws_kinesis_incoming_records" in named(samples, "StreamName", "real")
    assert "aws_kinesis_subscribe_to_shard_success" in named(samples, "ConsumerName", "app")
    assert named(samples, "StreamName", "reall") == set()
    kinesis.deregister_stream_consumer(ConsumerARN=consumer)
    samples = scrape(server)
    assert named(samples, "ConsumerName", "app") == set()
    assert "aws_kinesis_incoming_records" in named(samples, "StreamName", "real")
    kinesis.delete_stream(StreamName="real")
    assert named(scrape(server), "StreamName", "real") == set()
