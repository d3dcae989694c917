"""One errorAction message per (rule, message): the failures of a message's actions, delivered apart
and exhausted at different times, are gathered into one `failures` list; the exhausted records stay
on disk until that message is stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

from headwater.services.base import Ports
from headwater.services.iot.rules import api, gathering
from headwater.services.iot.rules.contracts import SqlMessage
from headwater.services.iot.rules.outbox import PREFIX
from headwater.services.ports import DeliveryError, ObjectSink, QueueSink, StreamSink
from tests.services.iot.rules.test_runtime import CTX, World, _until, inbound

ERRORS = "http://localhost:4566/000000000000/errors"
GOOD = "http://localhost:4566/000000000000/good"
SLOW = "http://localhost:4566/000000000000/slow"


class GatedQueues:
    """SQS whose `slow` queue answers only when the gate opens; the rest at once."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.gate = asyncio.Event()

    def exists(self, arn: str) -> bool:
        return True

    async def deliver(self, arn: str, body: str, **_: Any) -> str:
        self.messages.append((arn, body))
        return "id"

    async def deliver_many(self, arn: str, bodies: Sequence[str]) -> list[DeliveryError | None]:
        if arn.endswith(":slow"):
            await self.gate.wait()
        self.messages.extend((arn, body) for body in bodies)
        return [None for _ in bodies]


def _errors(world: World) -> list[dict[str, Any]]:
    return [json.loads(body) for arn, body in world.queues.messages if arn.endswith(":errors")]


def _stored(world: World) -> int:
    return sum(world.engine.queues.stats(q)[0] for q in world.engine.queues.queues() if q.startswith(PREFIX))


def _rule(*queues: str) -> dict[str, Any]:
    return {
        "sql": "SELECT * FROM 'sensors/+/temp'",
        "actions": [
            {"kinesis": {"streamName": "first", "partitionKey": "k", "roleArn": "r"}},
            {"kinesis": {"streamName": "second", "partitionKey": "k", "roleArn": "r"}},
            *({"sqs": {"queueUrl": url, "roleArn": "r"}} for url in queues),
        ],
        "errorAction": {"sqs": {"queueUrl": ERRORS, "roleArn": "r"}},
    }


def test_two_failed_actions_of_one_message_send_one_error_message() -> None:
    async def scenario() -> None:
        world = World()
        world.streams.missing = True  # both Kinesis actions fail; the SQS one is delivered
        part = world.part()
        await part.start()
        await api.create_topic_rule(part, {"ruleName": "two", "topicRulePayload": _rule(GOOD)}, CTX)
        wait = part.runtime.published(inbound("sensors/g1/temp", {"temp": 1}, client="dev-g"))
        assert wait is not None
        await wait
        await _until(lambda: _errors(world), world.clock)
        await _until(lambda: _stored(world) == 0)  # the kept records went once the message was stored
        [doc] = _errors(world)
        assert doc["ruleName"] == "two" and doc["clientId"] == "dev-g" and doc["topic"] == "sensors/g1/temp"
        failures = sorted(doc["failures"], key=lambda f: f["failedResource"])
        assert [(f["failedAction"], f["failedResource"]) for f in failures] == [
            ("KinesisAction", "first"),
            ("KinesisAction", "second"),
        ]
        assert all("ResourceNotFoundException" in f["errorMessage"] for f in failures)
        assert not part.runtime.gathering.pending
        await part.close()

    asyncio.run(scenario())


def test_a_failure_waits_for_the_message_s_slower_actions() -> None:
    async def scenario() -> None:
        world, gated = World(), GatedQueues()
        world.queues = gated  # type: ignore[assignment]
        world.ports = Ports()
        world.ports.offer(StreamSink, world.streams)
        world.ports.offer(QueueSink, gated)
        world.streams.missing = True
        part = world.part()
        await part.start()
        await api.create_topic_rule(part, {"ruleName": "slow", "topicRulePayload": _rule(SLOW)}, CTX)
        wait = part.runtime.published(inbound("sensors/h1/temp", {"temp": 2}))
        assert wait is not None
        trace = next(iter(part.runtime.gathering.pending))
        # both Kinesis actions run out of retries while the SQS one is still being sent
        await _until(lambda: part.runtime.gathering.pending[trace].left == 1, world.clock)
        assert _errors(world) == [] and _stored(world) == 2  # kept on disk, no message yet
        gated.gate.set()
        await wait
        await _until(lambda: _errors(world))
        await _until(lambda: _stored(world) == 0)
        [doc] = _errors(world)
        assert sorted(f["failedResource"] for f in doc["failures"]) == ["first", "second"]
        await part.close()

    asyncio.run(scenario())


def test_every_action_delivered_leaves_nothing_pending() -> None:
    async def scenario() -> None:
        world = World()
        part = world.part()
        await part.start()
        await api.create_topic_rule(part, {"ruleName": "fine", "topicRulePayload": _rule(GOOD)}, CTX)
        for n in range(5):
            wait = part.runtime.published(inbound(f"sensors/f{n}/temp", {"temp": n}))
            assert wait is not None
            await wait
        await _until(lambda: not part.runtime.gathering.pending)
        assert _errors(world) == []
        await part.close()

    asyncio.run(scenario())


class GatedObjects:
    """S3 whose puts wait for the gate."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.keys: list[str] = []

    async def put(self, account: str, bucket: str, key: str, chunks: Any, **_: Any) -> str:
        await self.gate.wait()
        self.keys.append(key)
        return "etag"


def test_a_kept_failure_survives_a_restart_and_is_sent_alone() -> None:
    async def scenario() -> None:
        world, objects = World(), GatedObjects()
        world.ports.offer(ObjectSink, objects)
        world.streams.missing = True
        part = world.part()
        await part.start()
        payload = {
            "sql": "SELECT * FROM 'sensors/+/temp'",
            "actions": [
                {"kinesis": {"streamName": "first", "partitionKey": "k", "roleArn": "r"}},
                {"s3": {"bucketName": "b", "key": "k.json", "roleArn": "r"}},
            ],
            "errorAction": {"sqs": {"queueUrl": ERRORS, "roleArn": "r"}},
        }
        await api.create_topic_rule(part, {"ruleName": "kept", "topicRulePayload": payload}, CTX)
        wait = part.runtime.published(inbound("sensors/k1/temp", {"temp": 3}))
        assert wait is not None
        await wait
        trace = next(iter(part.runtime.gathering.pending))
        await _until(lambda: part.runtime.gathering.pending[trace].left == 1, world.clock)
        assert _errors(world) == [] and _stored(world) == 2  # the kept Kinesis record, the S3 one
        await part.close()  # as a crash would: the pending is gone, both records stay
        objects.gate.set()
        again = world.part()
        await again.start()
        await _until(lambda: _errors(world), world.clock)
        [doc] = _errors(world)
        assert [f["failedResource"] for f in doc["failures"]] == ["first"]
        assert objects.keys == ["k.json"]
        await again.close()

    asyncio.run(scenario())


def test_pending_messages_are_bounded(monkeypatch: Any) -> None:
    """Past MAX_PENDING a message is not gathered: its failures go alone (memory stays bounded
    while a dead target's backlog grows)."""
    monkeypatch.setattr(gathering, "MAX_PENDING", 2)
    gather = gathering.Gathering(lambda rule, message, failures: [])
    rule = ("000000000000", "us-east-1", "r")
    for n in range(3):
        gather.track(rule, cast(SqlMessage, SimpleNamespace(trace_id=f"t{n}")), 2)
    assert sorted(gather.pending) == ["t0", "t1"]

    async def fail_third() -> bool:
        return await gather.failed("t2", {"failedAction": "X"}, lambda: None)

    assert asyncio.run(fail_third()) is False  # the caller sends its error message alone
