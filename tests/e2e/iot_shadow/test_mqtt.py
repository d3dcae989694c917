"""Shadows over MQTT (paho-mqtt 3.1.1 and 5 with device certificates) and the REST API on the same
store: AWS's light-bulb walk-through (an app sets `desired`, the device hears `/update/delta`,
reports, and no delta follows), `/get`, `/delete`, the error documents on `/rejected` with the
client token, named shadows, and what subscribers hear of REST updates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot.paho_clients import Paho, tls
from tests.e2e.iot_shadow.conftest import document, on, seen, update

BULB = "$aws/things/bulb/shadow"


@pytest.fixture
def device(aws: Gateway, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Paho]:
    made = aws.device(tmp_path)
    context = tls(aws.root_ca, made.cert_path, made.key_path)
    client = Paho(f"shadow-{request.node.name}"[:60], "5", context).connect(aws.mtls)
    try:
        yield client
    finally:
        client.close()


def test_light_bulb_walkthrough(aws: Gateway, device: Paho) -> None:
    for topic in ("update/accepted", "update/delta", "update/documents", "get/accepted", "update/rejected"):
        device.subscribe(f"{BULB}/{topic}")
    # the device reports its state when it starts
    device.publish(f"{BULB}/update", json.dumps({"state": {"reported": {"color": "green"}}}).encode())
    accepted = on(device, f"{BULB}/update/accepted")[0]
    assert accepted["state"] == {"reported": {"color": "green"}} and accepted["version"] == 1
    assert seen(device, f"{BULB}/update/delta") == []  # nothing desired yet: no delta

    # an app asks for yellow through the REST API: the device hears the delta
    data = aws.iot("iot-data")
    update(data, "bulb", {"desired": {"color": "yellow"}}, clientToken="app-1")
    delta = on(device, f"{BULB}/update/delta")[0]
    assert delta["state"] == {"color": "yellow"} and delta["version"] == 2
    assert delta["clientToken"] == "app-1" and set(delta["metadata"]["color"]) == {"timestamp"}
    documents = on(device, f"{BULB}/update/documents", 2)[1]
    assert documents["previous"]["state"] == {"reported": {"color": "green"}}
    assert documents["current"]["state"] == {"desired": {"color": "yellow"}, "reported": {"color": "green"}}
    assert documents["current"]["version"] == 2

    # the device gets the whole document (with the delta), changes colour and reports it
    device.publish(f"{BULB}/get", json.dumps({"clientToken": "dev-get"}).encode())
    got = on(device, f"{BULB}/get/accepted")[0]
    assert got["state"]["delta"] == {"color": "yellow"} and got["clientToken"] == "dev-get"
    report = {"state": {"reported": {"color": "yellow"}}, "clientToken": "dev-2", "version": 2}
    device.publish(f"{BULB}/update", json.dumps(report).encode())
    accepted = on(device, f"{BULB}/update/accepted", 3)[2]
    assert accepted["clientToken"] == "dev-2" and accepted["version"] == 3
    on(device, f"{BULB}/update/documents", 3)
    assert len(seen(device, f"{BULB}/update/delta")) == 1  # reported matches desired: no new delta
    shadow = document(data.get_thing_shadow(thingName="bulb"))
    assert shadow["state"] == {"desired": {"color": "yellow"}, "reported": {"color": "yellow"}}


def test_rejections_carry_the_client_token(aws: Gateway, device: Paho) -> None:
    base = "$aws/things/lamp/shadow"
    device.subscribe(f"{base}/update/rejected")
    device.subscribe(f"{base}/get/rejected")
    device.subscribe(f"{base}/delete/rejected")
    device.publish(f"{base}/get", b"")
    rejected = on(device, f"{base}/get/rejected")[0]
    assert rejected["code"] == 404 and rejected["message"] == "No shadow exists with name: 'lamp'"
    assert isinstance(rejected["timestamp"], int)

    device.publish(f"{base}/update", json.dumps({"state": {"desired": {"on": True}}}).encode())
    device.publish(
        f"{base}/update",
        json.dumps({"state": {"desired": {"on": False}}, "version": 9, "clientToken": "stale"}).encode(),
    )
    conflict = on(device, f"{base}/update/rejected")[0]
    assert conflict == {
        "code": 409,
        "message": "Version conflict",
        "timestamp": conflict["timestamp"],
        "clientToken": "stale",
    }
    device.publish(f"{base}/update", json.dumps({"clientToken": "nostate"}).encode())
    missing = on(device, f"{base}/update/rejected", 2)[1]
    assert (missing["code"], missing["message"], missing["clientToken"]) == (
        400,
        "Missing required node: state",
        "nostate",
    )
    device.publish(f"{base}/update", b"not json")
    assert on(device, f"{base}/update/rejected", 3)[2]["message"] == "Invalid JSON"
    device.subscribe("$aws/things/lamp/shadow/name/none/delete/rejected")
    device.publish("$aws/things/lamp/shadow/name/none/delete", b'{"clientToken":"d"}')
    gone = on(device, "$aws/things/lamp/shadow/name/none/delete/rejected")[0]
    assert (gone["code"], gone["message"], gone["clientToken"]) == (
        404,
        "No shadow exists with name: 'none'",
        "d",
    )


def test_named_shadow_and_delete_over_mqtt(aws: Gateway, device: Paho) -> None:
    base = "$aws/things/meter/shadow/name/config"
    device.subscribe(f"{base}/update/accepted")
    device.subscribe(f"{base}/delete/accepted")
    device.subscribe("$aws/things/meter/shadow/update/accepted")  # the classic shadow's: silent
    device.publish(
        f"{base}/update", json.dumps({"state": {"desired": {"rate": 60}}, "clientToken": "n1"}).encode()
    )
    assert on(device, f"{base}/update/accepted")[0]["clientToken"] == "n1"
    data = aws.iot("iot-data")
    assert data.list_named_shadows_for_thing(thingName="meter")["results"] == ["config"]
    assert document(data.get_thing_shadow(thingName="meter", shadowName="config"))["state"]["desired"] == {
        "rate": 60
    }

    device.publish(f"{base}/delete", json.dumps({"clientToken": "bye"}).encode())
    deleted = on(device, f"{base}/delete/accepted")[0]
    assert deleted["version"] == 1 and deleted["clientToken"] == "bye"
    assert data.list_named_shadows_for_thing(thingName="meter")["results"] == []
    # a REST delete is announced on /delete/accepted too
    update(data, "meter", {"desired": {"rate": 30}}, name="config")
    data.delete_thing_shadow(thingName="meter", shadowName="config")
    assert on(device, f"{base}/delete/accepted", 2)[1]["version"] == 2
    assert seen(device, "$aws/things/meter/shadow/update/accepted") == []


def test_wildcard_subscribers_and_many_things(aws: Gateway, device: Paho) -> None:
    """A fleet app subscribed to `$aws/things/+/shadow/update/delta` hears every thing's delta."""
    device.subscribe("$aws/things/+/shadow/update/delta")
    data = aws.iot("iot-data")
    for index in range(20):
        update(data, f"fleet-{index}", {"desired": {"target": index}})
    wait_for(
        lambda: len([m for m in device.messages if m[0].endswith("/update/delta")]) >= 20, what="20 deltas"
    )
    things = sorted(m[0].split("/")[2] for m in device.messages if m[0].endswith("/update/delta"))
    assert things == sorted(f"fleet-{index}" for index in range(20))
