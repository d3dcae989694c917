"""One AWS-mode gateway per module (mutual TLS devices, plain MQTT off), and helpers for shadow
documents over boto3's iot-data and paho-mqtt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.iot.gateway import Gateway, gateway, wait_for
from tests.e2e.iot.paho_clients import Paho


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with gateway(tmp_path_factory, "aws") as running:
        yield running


def document(response: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of an iot-data shadow response (its streamed `payload`)."""
    return json.loads(response["payload"].read())


def update(
    data: Any, thing: str, state: dict[str, Any], name: str | None = None, **extra: Any
) -> dict[str, Any]:
    body = json.dumps({"state": state, **extra}).encode()
    named = {"shadowName": name} if name is not None else {}
    return document(data.update_thing_shadow(thingName=thing, payload=body, **named))


def on(client: Paho, topic: str, count: int = 1) -> list[dict[str, Any]]:
    """The JSON payloads `client` has received on `topic`, once there are `count` of them."""

    def arrived() -> list[dict[str, Any]] | None:
        found = [json.loads(payload) for got, payload, _ in list(client.messages) if got == topic]
        return found if len(found) >= count else None

    return wait_for(arrived, what=f"{count} message(s) on {topic}")


def seen(client: Paho, topic: str) -> list[dict[str, Any]]:
    return [json.loads(payload) for got, payload, _ in list(client.messages) if got == topic]
