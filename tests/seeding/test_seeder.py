"""Applying seed files to real services in-process (memory engine): AWS's checks, file:line
errors, idempotency."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.seeding import SeedError, Seeding
from headwater.seeding.calls import Caller
from headwater.services.base import Host, Ports
from headwater.services.registry import Services, build_services

Test = Callable[[Seeding, Caller], Awaitable[None]]


def run(tmp_path: Path, text: str, test: Test, name: str = "seed.toml") -> None:
    path = tmp_path / name
    path.write_text(text)

    async def main() -> None:
        config = Config(limits=False, transition_delay=0.0, init=(path,))
        engine = MemoryEngine()
        services: Services = build_services(Host(config, engine, SystemClock(), Metrics(), Ports()))
        await engine.start()
        await services.start()
        try:
            seeding = Seeding(config, services, engine.meta)
            seeding.load()
            await test(seeding, Caller(services, config.account_id, config.region))
        finally:
            await services.close()
            await engine.close()

    asyncio.run(main())


def failure(tmp_path: Path, text: str) -> str:
    message: list[str] = []

    async def test(seeding: Seeding, call: Caller) -> None:
        with pytest.raises(SeedError) as caught:
            await seeding.declare()
        message.append(str(caught.value))

    run(tmp_path, text, test)
    return message[0].replace(str(tmp_path / "seed.toml"), "seed.toml")


SEED = """
[[kms.keys]]
Description = "app"
Alias = "alias/app"

[[kinesis.streams]]
StreamName = "events"
ShardCount = 2

[[sqs.queues]]
QueueName = "jobs-dlq"

[[sqs.queues]]
QueueName = "jobs"
Attributes = { VisibilityTimeout = "60", KmsMasterKeyId = "alias/app" }

[[s3.buckets]]
Bucket = "landing"
VersioningConfiguration = { Status = "Enabled" }
NotificationConfiguration = { QueueConfigurations = [ { QueueArn = "arn:aws:sqs:us-east-1:000000000000:jobs", Events = ["s3:ObjectCreated:*"] } ] }
"""


def test_seed_creates_everything_once(tmp_path: Path) -> None:
    async def test(seeding: Seeding, call: Caller) -> None:
        await seeding.declare()
        await seeding.declare()  # a restart: nothing new, nothing fails
        stream = await call("kinesis", "DescribeStreamSummary", {"StreamName": "events"})
        assert stream["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
        assert stream["StreamDescriptionSummary"]["OpenShardCount"] == 2
        url = (await call("sqs", "GetQueueUrl", {"QueueName": "jobs"}))["QueueUrl"]
        attributes = await call("sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})
        assert attributes["Attributes"]["VisibilityTimeout"] == "60"
        keys = await call("kms", "ListKeys", {})
        assert len(keys["Keys"]) == 1
        versioning = await call("s3", "GetBucketVersioning", {"Bucket": "landing"})
        assert versioning["Status"] == "Enabled"
        # one s3:TestEvent, from the first put of the notification configuration only
        received = await call("sqs", "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10})
        assert ["s3:TestEvent" in m["Body"] for m in received["Messages"]] == [True]

    run(tmp_path, SEED, test)


def test_json_seed(tmp_path: Path) -> None:
    async def test(seeding: Seeding, call: Caller) -> None:
        await seeding.declare()
        assert (await call("sqs", "GetQueueUrl", {"QueueName": "a"}))["QueueUrl"].endswith("/a")

    run(tmp_path, '{"region": "us-east-1", "sqs": {"queues": [{"QueueName": "a"}]}}', test, "seed.json")


def test_aws_errors_name_file_line_and_entry(tmp_path: Path) -> None:
    text = '[[sqs.queues]]\nQueueName = "a"\n\n[[sqs.queues]]\nQueueName = "b"\nAttributes = { Colour = "red" }\n'
    assert failure(tmp_path, text) == (
        "seed.toml:4: sqs.queues[1]: InvalidAttributeName: Unknown Attribute Colour."
    )


def test_model_validation_as_the_gateway_does(tmp_path: Path) -> None:
    text = '[[kinesis.streams]]\nStreamName = "bad name"\nShardCount = 1\n'
    message = failure(tmp_path, text)
    assert message.startswith(
        "seed.toml:1: kinesis.streams[0]: ValidationException: 1 validation error detected"
    )


def test_unknown_and_mistyped_parameters_as_boto3_words_them(tmp_path: Path) -> None:
    text = '[[kinesis.streams]]\nStreamName = "s"\nShardCount = 1\nShards = 2\n'
    assert failure(tmp_path, text).startswith(
        'seed.toml:1: kinesis.streams[0]: ParamValidation: Unknown parameter in input: "Shards", '
        "must be one of: StreamName, ShardCount, "
    )
    text = '[[sqs.queues]]\nQueueName = "q"\nAttributes = { VisibilityTimeout = 60 }\n'
    assert failure(tmp_path, text) == (
        "seed.toml:1: sqs.queues[0]: ParamValidation: Invalid type for parameter "
        "Attributes.VisibilityTimeout, value: 60, type: <class 'int'>, valid types: <class 'str'>"
    )


def test_a_key_needs_an_alias(tmp_path: Path) -> None:
    message = failure(tmp_path, '[[kms.keys]]\nDescription = "x"\n')
    assert message.startswith('seed.toml:1: kms.keys[0]: a key needs an Alias (such as "alias/app")')


def test_a_queue_whose_attributes_differ_is_reported(tmp_path: Path) -> None:
    text = '[[sqs.queues]]\nQueueName = "q"\n\n[[sqs.queues]]\nQueueName = "q"\nAttributes = { DelaySeconds = "5" }\n'
    assert failure(tmp_path, text) == (
        "seed.toml:4: sqs.queues[1]: QueueNameExists: A queue already exists with the same name "
        "and a different value for attribute DelaySeconds"
    )


def test_a_bucket_of_another_account(tmp_path: Path) -> None:
    text = (
        '[[s3.buckets]]\nBucket = "shared"\n\n[[s3.buckets]]\nBucket = "shared"\naccount = "111122223333"\n'
    )
    assert failure(tmp_path, text).startswith("seed.toml:4: s3.buckets[1]: BucketAlreadyExists: ")


def test_buckets_outside_us_east_1_name_their_region(tmp_path: Path) -> None:
    async def test(seeding: Seeding, call: Caller) -> None:
        await seeding.declare()
        location: dict[str, Any] = await call("s3", "GetBucketLocation", {"Bucket": "eu-data"})
        assert location["LocationConstraint"] == "eu-west-1"

    run(tmp_path, '[[s3.buckets]]\nBucket = "eu-data"\nregion = "eu-west-1"\n', test)
