"""Rendering actions for one message (templates, batch modes, reserved republish topics, MQTT 5
headers) and mapping their targets (queue URLs to ARNs)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from headwater.engine.memory import MemoryMetaStore
from headwater.services.base import Ports
from headwater.services.iot.rules.actions import MAX_BATCH, Delivery, RenderError, render_action
from headwater.services.iot.rules.contracts import SqlEnvironment, SqlMessage
from headwater.services.iot.rules.store import RuleStore
from headwater.services.iot.rules.targets import (
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    Targets,
    mqtt_properties,
    queue_arn,
)
from headwater.services.ports import DeliveryError, StreamSink
from tests.services.iot.rules import fake_sql

MESSAGE = SqlMessage("site/s1/data", b"{}", "dev-1", None, 1, "000000000000", "us-east-1", "r")


def _render(kind: str, spec: dict[str, Any], value: Any) -> Delivery:
    result = fake_sql.Result(value)
    return render_action(kind, spec, result, MESSAGE, SqlEnvironment(), "2016-03-23", fake_sql.render)


def test_templates_render_against_the_message_and_roles_are_dropped() -> None:
    delivery = _render(
        "s3", {"bucketName": "b", "key": "${topic(2)}/${clientid()}.json", "roleArn": "r"}, {"a": 1}
    )
    assert delivery.fields == {"bucketName": "b", "key": "s1/dev-1.json"}
    assert delivery.resource == "b" and delivery.body == [b'{"a": 1}']
    assert Delivery.decode(json.loads(json.dumps(delivery.encode()))) == delivery


def test_a_failing_template_fails_the_action() -> None:
    with pytest.raises(RenderError):
        _render("s3", {"bucketName": "b", "key": "${nope()}"}, {})


def test_firehose_separator_and_batch_mode() -> None:
    one = _render("firehose", {"deliveryStreamName": "f", "separator": "\n"}, {"a": 1})
    assert one.body == [b'{"a": 1}\n']
    batch = _render(
        "firehose", {"deliveryStreamName": "f", "separator": ",", "batchMode": True}, [{"a": 1}, 2]
    )
    assert batch.body == [b'{"a":1},', b"2,"]
    with pytest.raises(RenderError, match="array"):
        _render("firehose", {"deliveryStreamName": "f", "batchMode": True}, {"a": 1})
    with pytest.raises(RenderError, match="500"):
        _render("firehose", {"deliveryStreamName": "f", "batchMode": True}, list(range(MAX_BATCH + 1)))


def test_logs_batch_mode_makes_one_event_per_element() -> None:
    batch = _render("cloudwatchLogs", {"logGroupName": "g", "batchMode": True}, [{"a": 1}, {"b": 2}])
    assert batch.body == [b'{"a":1}', b'{"b":2}']


def test_kinesis_gets_a_random_partition_key_when_none_is_set() -> None:
    first = _render("kinesis", {"streamName": "s"}, {})
    second = _render("kinesis", {"streamName": "s"}, {})
    assert first.fields["partitionKey"] != second.fields["partitionKey"]


def test_republish_to_a_reserved_topic_and_headers() -> None:
    spec = {
        "topic": "$$aws/things/${topic(2)}/shadow/update",
        "qos": 1,
        "headers": {
            "contentType": "application/json",
            "userProperties": [{"key": "k", "value": "${topic(1)}"}],
        },
    }
    delivery = _render("republish", spec, {"state": {}})
    assert delivery.fields["topic"] == "$aws/things/s1/shadow/update"
    props = mqtt_properties(delivery.fields["headers"])
    assert props is not None and props.content_type == "application/json"
    assert props.user_properties == [("k", "site")]
    full = mqtt_properties(
        {"payloadFormatIndicator": "UTF8_DATA", "correlationData": "YWJj", "messageExpiry": "30"}
    )
    assert full is not None and full.payload_format_indicator == 1
    assert full.correlation_data == b"abc" and full.message_expiry_interval == 30
    with pytest.raises(DeliveryError):
        mqtt_properties({"messageExpiry": "soon"})


def test_queue_urls_map_to_arns() -> None:
    assert queue_arn("http://localhost:4566/111122223333/q", "0", "eu-west-1") == (
        "arn:aws:sqs:eu-west-1:111122223333:q"
    )
    assert queue_arn("https://sqs.ap-south-1.amazonaws.com/111122223333/q", "0", "eu-west-1") == (
        "arn:aws:sqs:ap-south-1:111122223333:q"
    )
    with pytest.raises(DeliveryError):
        queue_arn("http://localhost:4566/q", "0", "us-east-1")


class _Streams:
    def __init__(self) -> None:
        self.calls: list[list[tuple[bytes, str]]] = []

    async def put_records(
        self, account: str, region: str, stream: str, records: Sequence[tuple[bytes, str]]
    ) -> list[DeliveryError | None]:
        self.calls.append(list(records))
        return [
            DeliveryError("ProvisionedThroughputExceededException", "slow") if d == b"bad" else None
            for d, _ in records
        ]


def test_kinesis_deliveries_share_put_records_calls_within_its_limits() -> None:
    streams = _Streams()
    ports = Ports()
    ports.offer(StreamSink, streams)
    targets = Targets(ports, RuleStore(MemoryMetaStore(), fake_sql.compile_statement), None)

    def one(data: bytes, stream: str = "s") -> Delivery:
        return Delivery("kinesis", stream, {"streamName": stream, "partitionKey": "k"}, [data])

    deliveries = [one(b"a"), one(b"bad"), one(b"c", "other"), *[one(b"x") for _ in range(MAX_BATCH_RECORDS)]]
    outcomes = asyncio.run(targets.deliver_many("0", "r", "rule", deliveries))
    assert outcomes[0] is None and outcomes[2] is None
    assert (
        isinstance(outcomes[1], DeliveryError)
        and outcomes[1].code == "ProvisionedThroughputExceededException"
    )
    assert [len(call) for call in streams.calls] == [MAX_BATCH_RECORDS, 2, 1]  # by stream, 500 at most
    big = [one(b"y" * (1024 * 1024)) for _ in range(6)]
    streams.calls.clear()
    asyncio.run(targets.deliver_many("0", "r", "rule", big))
    assert all(sum(len(d) for d, _ in call) <= MAX_BATCH_BYTES for call in streams.calls)
