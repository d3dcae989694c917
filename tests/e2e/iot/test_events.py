"""Lifecycle events ($aws/events/presence/..., $aws/events/subscriptions/...) and registry events
($aws/events/thing/...) received by real paho subscribers, with AWS's payload fields and
disconnectReason values."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot.paho_clients import Paho, tls

VERSIONS = ["3.1.1", "5"]


class Watcher(Paho):
    """Subscribed to a client's lifecycle topics; `events()` decodes what arrived."""

    def watch(self, *filters: str) -> Watcher:
        for topic_filter in filters:
            self.subscribe(topic_filter)
        return self

    def events(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        return [(topic, json.loads(payload)) for topic, payload, _ in self.received(count)[:count]]

    def take(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        events = self.events(count)
        del self.messages[:count]
        return events


def _lifecycle_watcher(gateway: Gateway, client_id: str, name: str) -> Watcher:
    watcher = Watcher(name, "5").connect(gateway.mqtt)
    return watcher.watch(f"$aws/events/presence/+/{client_id}", f"$aws/events/subscriptions/+/{client_id}")


@pytest.mark.parametrize("version", VERSIONS)
def test_presence_and_subscription_events(relaxed: Gateway, version: str) -> None:
    client_id = f"lifecycle-{version}"
    watcher = _lifecycle_watcher(relaxed, client_id, f"watcher-{version}")
    try:
        device = Paho(client_id, version).connect(relaxed.mqtt)
        [(topic, connected)] = watcher.take(1)
        assert topic == f"$aws/events/presence/connected/{client_id}"
        assert set(connected) == {
            "clientId", "timestamp", "eventType", "sessionIdentifier", "principalIdentifier",
            "ipAddress", "versionNumber",
        }  # fmt: skip
        assert connected["clientId"] == client_id and connected["eventType"] == "connected"
        assert connected["ipAddress"] == "127.0.0.1" and isinstance(connected["timestamp"], int)
        assert abs(connected["timestamp"] - time.time() * 1000) < 60_000

        _, mid = device.client.subscribe([("ev/a", 1), ("ev/+/b", 0)])
        wait_for(lambda: mid in device.acked, what="SUBACK")
        [(topic, subscribed)] = watcher.take(1)
        assert topic == f"$aws/events/subscriptions/subscribed/{client_id}"
        assert subscribed["eventType"] == "subscribed" and subscribed["topics"] == ["ev/a", "ev/+/b"]
        assert subscribed["sessionIdentifier"] == connected["sessionIdentifier"]
        assert subscribed["principalIdentifier"] == connected["principalIdentifier"]

        _, mid = device.client.unsubscribe("ev/a")
        wait_for(lambda: mid in device.acked, what="UNSUBACK")
        [(topic, unsubscribed)] = watcher.take(1)
        assert topic == f"$aws/events/subscriptions/unsubscribed/{client_id}"
        assert unsubscribed["eventType"] == "unsubscribed" and unsubscribed["topics"] == ["ev/a"]

        device.close()  # DISCONNECT
        [(topic, gone)] = watcher.take(1)
        assert topic == f"$aws/events/presence/disconnected/{client_id}"
        assert gone["clientInitiatedDisconnect"] is True
        assert gone["disconnectReason"] == "CLIENT_INITIATED_DISCONNECT"
        assert gone["sessionIdentifier"] == connected["sessionIdentifier"]
        assert gone["versionNumber"] == connected["versionNumber"]
        assert "ipAddress" not in gone
    finally:
        watcher.close()


def test_a_dropped_connection_is_connection_lost_and_publishes_its_will(relaxed: Gateway) -> None:
    watcher = _lifecycle_watcher(relaxed, "vanishing", "watcher-lost")
    watcher.subscribe("wills/vanishing")
    try:
        device = Paho("vanishing", "3.1.1")
        device.client.will_set("wills/vanishing", b"gone", qos=1)
        device.connect(relaxed.mqtt)
        watcher.take(1)  # connected
        device.client.loop_stop()
        sock = device.client.socket()
        assert sock is not None
        sock.close()  # no DISCONNECT
        wait_for(lambda: len(watcher.messages) >= 2, what="the disconnected event and the will")
        by_topic = {topic: payload for topic, payload, _ in watcher.messages}
        assert by_topic["wills/vanishing"] == b"gone"
        gone = json.loads(by_topic["$aws/events/presence/disconnected/vanishing"])
        assert gone["clientInitiatedDisconnect"] is False
        assert gone["disconnectReason"] == "CONNECTION_LOST"
    finally:
        watcher.close()


def test_a_takeover_and_delete_connection_name_their_reasons(relaxed: Gateway) -> None:
    watcher = _lifecycle_watcher(relaxed, "twice", "watcher-twice")
    try:
        first = Paho("twice", "5").connect(relaxed.mqtt)
        second = Paho("twice", "5").connect(relaxed.mqtt)
        events = watcher.take(3)
        assert [(e["eventType"], e["versionNumber"]) for _, e in events] == [
            ("connected", 1),
            ("disconnected", 1),
            ("connected", 2),
        ]
        assert events[1][1]["disconnectReason"] == "DUPLICATE_CLIENTID"
        assert events[1][1]["clientInitiatedDisconnect"] is False
        first.client.loop_stop()

        relaxed.iot("iot-data").delete_connection(clientId="twice")
        [(_, deleted)] = watcher.take(1)
        assert deleted["eventType"] == "disconnected"
        assert deleted["disconnectReason"] == "API_INITIATED_DISCONNECT"
        assert deleted["clientInitiatedDisconnect"] is False
        second.client.loop_stop()
    finally:
        watcher.close()


def test_lifecycle_events_name_the_certificate(aws: Gateway, tmp_path: Path) -> None:
    """AWS mode over mutual TLS: principalIdentifier is the certificate id; a watcher needs
    iot:Subscribe/iot:Receive on `$aws/events/...` like any topic."""
    watching, device = aws.device(tmp_path, "watching"), aws.device(tmp_path, "evented")
    watcher = Watcher("cert-watcher", "5", tls(aws.root_ca, watching.cert_path, watching.key_path))
    watcher.connect(aws.mtls).watch("$aws/events/presence/+/cert-device")
    try:
        client = Paho("cert-device", "3.1.1", tls(aws.root_ca, device.cert_path, device.key_path))
        client.connect(aws.mtls)
        client.close()
        (_, connected), (_, gone) = watcher.take(2)
        certificate_id = device.certificate_arn.rsplit("/", 1)[1]
        assert connected["principalIdentifier"] == gone["principalIdentifier"] == certificate_id
    finally:
        watcher.close()


def test_a_disconnect_just_before_a_tls_close_is_client_initiated(aws: Gateway, tmp_path: Path) -> None:
    """paho writes DISCONNECT and closes the socket at once, without TLS close_notify, often while
    the server is still finishing the CONNECT: the DISCONNECT must not be lost (stream.py)."""
    watching, device = aws.device(tmp_path, "watching-close"), aws.device(tmp_path, "closing")
    watcher = Watcher("close-watcher", "5", tls(aws.root_ca, watching.cert_path, watching.key_path))
    watcher.connect(aws.mtls).watch("$aws/events/presence/disconnected/tls-closer")
    try:
        for _ in range(5):
            client = Paho("tls-closer", "3.1.1", tls(aws.root_ca, device.cert_path, device.key_path))
            client.connect(aws.mtls)
            client.close()
            [(_, gone)] = watcher.take(1)
            assert gone["disconnectReason"] == "CLIENT_INITIATED_DISCONNECT"
    finally:
        watcher.close()


def test_no_lifecycle_events_under_a_plain_wildcard(relaxed: Gateway) -> None:
    """`#` does not match topics starting with `$` (MQTT 4.7.2): AWS's events need their own filter."""
    everything = Watcher("everything", "3.1.1").connect(relaxed.mqtt).watch("#")
    try:
        Paho("quiet-device", "5").connect(relaxed.mqtt).close()
        time.sleep(0.3)
        assert [t for t, _, _ in everything.messages if t.startswith("$")] == []
    finally:
        everything.close()


def test_registry_events_reach_an_mqtt_subscriber(relaxed: Gateway) -> None:
    iot = relaxed.iot()
    watcher = Watcher("registry-watcher", "5").connect(relaxed.mqtt).watch("$aws/events/thing/#")
    try:
        iot.create_thing(thingName="silent-lamp")  # THING events are off by default
        iot.update_event_configurations(eventConfigurations={"THING": {"Enabled": True}})
        assert iot.describe_event_configurations()["eventConfigurations"]["THING"] == {"Enabled": True}
        made = iot.create_thing(thingName="lamp-7", attributePayload={"attributes": {"room": "hall"}})
        [(topic, created)] = watcher.take(1)
        assert topic == "$aws/events/thing/lamp-7/created"
        assert created["eventType"] == "THING_EVENT" and created["operation"] == "CREATED"
        assert created["thingName"] == "lamp-7" and created["thingId"] == made["thingId"]
        assert created["accountId"] == "000000000000" and created["attributes"] == {"room": "hall"}
        assert isinstance(created["timestamp"], int) and created["eventId"]
        iot.delete_thing(thingName="lamp-7")
        [(topic, deleted)] = watcher.take(1)
        assert topic == "$aws/events/thing/lamp-7/deleted" and deleted["operation"] == "DELETED"
    finally:
        iot.update_event_configurations(eventConfigurations={"THING": {"Enabled": False}})
        watcher.close()
