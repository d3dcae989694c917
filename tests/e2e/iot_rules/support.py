"""Helpers for the rules engine's e2e tests: publishing, reading what a target received."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot.paho_clients import Paho

ROLE = "arn:aws:iam::000000000000:role/iot-rules"
_ids = itertools.count()


def rule(
    sql: str, *actions: dict[str, Any], error: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {"sql": sql, "actions": list(actions), **extra}
    if error is not None:
        payload["errorAction"] = error
    return payload


def publish(gw: Gateway, topic: str, payload: Any, qos: int = 1) -> None:
    """One QoS 1 PUBLISH from a plain-port paho client, returned once PUBACKed."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    client = Paho(f"publisher-{next(_ids)}", "3.1.1").connect(gw.mqtt)
    try:
        client.publish(topic, data, qos)
    finally:
        client.close()


def kinesis_records(kinesis: Any, stream: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        out += kinesis.get_records(ShardIterator=iterator)["Records"]
    return out


def wait_records(kinesis: Any, stream: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
    return list(
        wait_for(
            lambda: (found := kinesis_records(kinesis, stream)) and len(found) >= count and found,
            timeout,
            f"{count} records in {stream}",
        )
    )


def wait_messages(sqs: Any, url: str, timeout: float = 15.0) -> list[dict[str, Any]]:
    def receive() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))

    return list(wait_for(receive, timeout, f"messages in {url}"))
