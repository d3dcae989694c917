"""The rules runtime against fake targets and a stand-in SQL: matching, Basic Ingest, the outbox
(stored before the tap's awaitable completes, retried, kept across a restart), the errorAction's
AWS payload, the dry run."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from typing import Any

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.runtime.clock import TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.base import Host, Ports
from headwater.services.context import RequestContext
from headwater.services.iot.contracts import InboundPublish
from headwater.services.iot.rules import api
from headwater.services.iot.rules.outbox import PREFIX, RETRY_DELAYS_S
from headwater.services.iot.rules.part import RulesPart
from headwater.services.ports import DeliveryError, QueueSink, StreamSink
from tests.services.iot.rules import fake_sql

ACCOUNT, REGION = "000000000000", "us-east-1"
CTX = RequestContext(ACCOUNT, REGION, "test")


class Streams:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, str]] = []
        self.missing = False

    async def put_records(
        self, account: str, region: str, stream: str, records: Sequence[tuple[bytes, str]]
    ) -> list[DeliveryError | None]:
        if self.missing:
            raise DeliveryError(
                "ResourceNotFoundException", f"Stream {stream} under account {account} not found."
            )
        self.records.extend((stream, data, key) for data, key in records)
        return [None for _ in records]


class Queues:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def exists(self, arn: str) -> bool:
        return True

    async def deliver(self, arn: str, body: str, **_: Any) -> str:
        self.messages.append((arn, body))
        return "id"

    async def deliver_many(self, arn: str, bodies: Sequence[str]) -> list[DeliveryError | None]:
        self.messages.extend((arn, body) for body in bodies)
        return [None for _ in bodies]


class World:
    def __init__(self) -> None:
        self.engine = MemoryEngine()
        self.clock = TestClock()
        self.streams = Streams()
        self.queues = Queues()
        self.ports = Ports()
        self.ports.offer(StreamSink, self.streams)
        self.ports.offer(QueueSink, self.queues)

    def part(self) -> RulesPart:
        host = Host(Config(), self.engine, self.clock, Metrics(), self.ports)  # type: ignore[arg-type]
        return RulesPart(host, None, fake_sql.compile_statement, fake_sql.render)


def inbound(topic: str, payload: Any, client: str = "dev-1") -> InboundPublish:
    return InboundPublish(ACCOUNT, REGION, topic, json.dumps(payload).encode(), 1, False, client, None, 1)


RULE = {
    "sql": "SELECT * FROM 'sensors/+/temp' WHERE temp > 30",
    "actions": [{"kinesis": {"streamName": "hot", "partitionKey": "${topic(2)}", "roleArn": "r"}}],
    "errorAction": {"sqs": {"queueUrl": "http://localhost:4566/000000000000/errors", "roleArn": "r"}},
}


async def _until(check: Any, clock: TestClock | None = None) -> None:
    for _ in range(400):
        if check():
            return
        if clock is not None:
            clock.advance(1)
        await asyncio.sleep(0.005)
    raise AssertionError("not reached")


async def _with(part: RulesPart, rule: dict[str, Any], name: str = "hot") -> None:
    await part.start()
    await api.create_topic_rule(part, {"ruleName": name, "topicRulePayload": rule}, CTX)


def test_a_matching_message_reaches_kinesis_with_its_rendered_key() -> None:
    async def scenario() -> None:
        world = World()
        part = world.part()
        await _with(part, RULE)
        assert part.runtime.published(inbound("sensors/a1/temp", {"temp": 20})) is None  # WHERE not met
        assert part.runtime.published(inbound("other/a1/temp", {"temp": 40})) is None  # FROM not met
        wait = part.runtime.published(inbound("sensors/a1/temp", {"temp": 40}))
        assert wait is not None
        await wait  # direct delivery: in the stream when the tap's write completes, no outbox
        assert world.streams.records == [("hot", b'{"temp": 40}', "a1")]
        assert not [q for q in world.engine.queues.queues() if q.startswith(PREFIX)]
        rule = (await api.get_topic_rule(part, {"ruleName": "hot"}, CTX))["rule"]
        assert rule["awsIotSqlVersion"] == "2015-10-08" and rule["ruleDisabled"] is False
        await part.close()

    asyncio.run(scenario())


def test_basic_ingest_reaches_only_the_named_rule_without_its_prefix() -> None:
    async def scenario() -> None:
        world = World()
        part = world.part()
        await _with(part, {**RULE, "sql": "SELECT * FROM 'sensors/+/temp'"})
        await api.create_topic_rule(
            part, {"ruleName": "other", "topicRulePayload": {**RULE, "sql": "SELECT * FROM '#'"}}, CTX
        )
        wait = part.runtime.published(inbound("$aws/rules/hot/sensors/b2/temp", {"temp": 1}))
        assert wait is not None
        await wait
        await _until(lambda: world.streams.records)
        await asyncio.sleep(0.05)
        assert world.streams.records == [("hot", b'{"temp": 1}', "b2")]  # topic(2) without the prefix
        await part.close()

    asyncio.run(scenario())


def test_a_missing_target_is_retried_then_the_error_action_gets_aws_payload() -> None:
    async def scenario() -> None:
        world = World()
        world.streams.missing = True
        part = world.part()
        await _with(part, RULE)
        wait = part.runtime.published(inbound("sensors/c3/temp", {"temp": 99}, client="dev-9"))
        assert wait is not None
        await wait
        await _until(lambda: world.queues.messages, world.clock)
        arn, body = world.queues.messages[0]
        assert arn == "arn:aws:sqs:us-east-1:000000000000:errors"
        doc = json.loads(body)
        assert doc["ruleName"] == "hot" and doc["topic"] == "sensors/c3/temp" and doc["clientId"] == "dev-9"
        assert base64.b64decode(doc["base64OriginalPayload"]) == b'{"temp": 99}'
        assert doc["cloudwatchTraceId"]
        [failure] = doc["failures"]
        assert failure["failedAction"] == "KinesisAction" and failure["failedResource"] == "hot"
        assert "ResourceNotFoundException" in failure["errorMessage"]
        labels = (("RuleName", "hot"), ("ActionType", "kinesis"))
        assert part.runtime.metrics.value("IoT", "Failure", labels) == len(RETRY_DELAYS_S) + 1
        await part.close()

    asyncio.run(scenario())


def test_a_refused_direct_delivery_is_stored_before_the_tap_completes_and_later_ones_queue_behind() -> None:
    async def scenario() -> None:
        world = World()
        world.streams.missing = True
        part = world.part()
        await _with(part, RULE)
        wait = part.runtime.published(inbound("sensors/e5/temp", {"temp": 60}))
        assert wait is not None
        await wait
        [name] = [q for q in world.engine.queues.queues() if q.startswith(PREFIX)]
        assert world.engine.queues.stats(name)[0] == 1  # in the outbox, on disk
        world.streams.missing = False
        second = part.runtime.published(inbound("sensors/e6/temp", {"temp": 61}))
        assert second is not None
        await second
        assert world.streams.records == []  # behind the backlog, not past it
        assert world.engine.queues.stats(name)[0] == 2
        await _until(lambda: len(world.streams.records) == 2, world.clock)
        assert {key for _, _, key in world.streams.records} == {"e5", "e6"}
        await _until(lambda: not part.runtime.outboxes.backlogged(("000000000000", "us-east-1", "hot", "0")))
        third = part.runtime.published(inbound("sensors/e7/temp", {"temp": 62}))
        assert third is not None
        await third
        assert world.streams.records[-1] == ("hot", b'{"temp": 62}', "e7")  # direct again
        await part.close()

    asyncio.run(scenario())


def test_direct_sends_batch_a_turn_and_grow_while_earlier_ones_are_in_flight() -> None:
    async def scenario() -> None:
        world = World()
        gate = asyncio.Event()
        calls: list[int] = []
        put = world.streams.put_records

        async def slow_put(account: str, region: str, stream: str, records: Any) -> Any:
            calls.append(len(records))
            await gate.wait()
            return await put(account, region, stream, records)

        world.streams.put_records = slow_put  # type: ignore[method-assign]
        part = world.part()
        await _with(part, RULE)

        def turn(count: int, start: int) -> list[Any]:
            return [
                part.runtime.published(inbound(f"sensors/f{n}/temp", {"temp": 70}))
                for n in range(start, start + count)
            ]

        first = turn(3, 0)  # one loop turn: one send of 3
        await asyncio.sleep(0)
        second = turn(2, 3)
        await asyncio.sleep(0)
        third = turn(4, 5)  # two sends in flight: waits, and grows with the next turn
        await asyncio.sleep(0)
        fourth = turn(1, 9)
        await asyncio.sleep(0.01)
        assert calls == [3, 2]
        assert not any(wait.done() for wait in [*first, *second, *third, *fourth])
        gate.set()
        for wait in [*first, *second, *third, *fourth]:
            await wait
        assert calls == [3, 2, 5]
        assert len(world.streams.records) == 10
        await part.close()

    asyncio.run(scenario())


def test_the_outbox_survives_a_restart() -> None:
    async def scenario() -> None:
        world = World()
        world.streams.missing = True
        part = world.part()
        await _with(part, RULE)
        wait = part.runtime.published(inbound("sensors/d4/temp", {"temp": 50}))
        assert wait is not None
        await wait
        await part.close()  # what was stored stays in the engine
        world.streams.missing = False
        again = world.part()
        await again.start()
        await _until(lambda: world.streams.records, world.clock)
        assert world.streams.records == [("hot", b'{"temp": 50}', "d4")]
        await again.close()

    asyncio.run(scenario())


def test_a_dry_run_renders_without_delivering() -> None:
    async def scenario() -> None:
        world = World()
        part = world.part()
        await _with(part, RULE)
        answer = part.dry_run(None, None, "hot", "sensors/e5/temp", b'{"temp": 31}', "dev")
        assert answer is not None
        assert answer["matches"] and answer["selected"] and answer["result"] == {"temp": 31}
        [action] = answer["actions"]
        assert action["action"] == "kinesis" and action["fields"]["partitionKey"] == "e5"
        assert action["records"] == ['{"temp": 31}']
        assert part.dry_run(None, None, "nope", "t", b"", None) is None
        await asyncio.sleep(0.02)
        assert world.streams.records == []
        await part.close()

    asyncio.run(scenario())


def test_a_disabled_rule_runs_nothing_and_an_enabled_one_again() -> None:
    async def scenario() -> None:
        world = World()
        part = world.part()
        await _with(part, RULE)
        await api.disable_topic_rule(part, {"ruleName": "hot"}, CTX)
        assert part.runtime.published(inbound("sensors/f6/temp", {"temp": 90})) is None
        assert part.runtime.published(inbound("$aws/rules/hot/sensors/f6/temp", {"temp": 90})) is None
        await api.enable_topic_rule(part, {"ruleName": "hot"}, CTX)
        wait = part.runtime.published(inbound("sensors/f6/temp", {"temp": 90}))
        assert wait is not None
        await wait
        await _until(lambda: world.streams.records)
        await part.close()

    asyncio.run(scenario())


def test_a_failing_evaluation_goes_to_the_error_action_at_once() -> None:
    async def scenario() -> None:
        world = World()
        part = world.part()
        await _with(part, {**RULE, "sql": "SELECT * FROM 'sensors/+/temp' WHERE temp > 1"})
        # the stand-in compares a string with a number: its evaluation raises, as a SQL error would
        wait = part.runtime.published(inbound("sensors/g7/temp", {"temp": "hot"}))
        assert wait is not None
        await wait
        await _until(lambda: world.queues.messages)
        [failure] = json.loads(world.queues.messages[0][1])["failures"]
        assert failure["failedAction"] == "SqlEvaluation"
        assert world.streams.records == []
        await part.close()

    asyncio.run(scenario())


def test_topic_match_and_rules_executed_are_counted_when_the_metrics_are_read() -> None:
    async def scenario() -> None:
        world = World()
        part = world.part()
        await _with(part, RULE)
        for temp in (90, 10, 95):
            wait = part.runtime.published(inbound("sensors/f6/temp", {"temp": temp}))
            if wait is not None:
                await wait
        metrics = part.runtime.metrics
        text = metrics.render()
        assert metrics.value("IoT", "TopicMatch", (("RuleName", "hot"),)) == 3
        assert metrics.value("IoT", "RulesExecuted", (("RuleName", "hot"),)) == 2
        assert metrics.render() == text  # read again: nothing counted twice
        part.runtime.forget("hot")
        part.runtime.published(inbound("sensors/f6/temp", {"temp": 10}))
        part.runtime.forget("hot")  # a deleted rule's counts not yet read go with it
        metrics.render()
        assert metrics.value("IoT", "TopicMatch", (("RuleName", "hot"),)) is None
        await part.close()

    asyncio.run(scenario())
