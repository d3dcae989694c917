"""iot-data's connection operations against the live broker, seen from paho-mqtt clients on the
plain port (relaxed mode): GetConnection (connected, an offline persistent session, a client that
left), ListSubscriptions (paged, offline persistent sessions included) and SendDirectMessage (to
one client that did not subscribe, QoS 0 or confirmed by its PUBACK)."""

from __future__ import annotations

import base64
import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from botocore.exceptions import ClientError
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, free_port, server_fixture

MQTT_PORT = free_port()
gateway = server_fixture(
    "iot-data-connections",
    f"--durability fast --mqtt-port {MQTT_PORT} --iot-mode relaxed --iot-port 0 --iot-alpn-port 0 "
    "--iot-https-port 0",
)
WAIT = 10.0


class Device:
    """A connected paho client (MQTT 5 unless `v311`) whose messages land in a queue."""

    def __init__(
        self,
        client_id: str,
        *,
        v311: bool = False,
        expiry: int | None = None,
        keepalive: int = 60,
        manual_ack: bool = False,
    ) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.connected, self.gone, self.subscribed = threading.Event(), threading.Event(), threading.Event()
        protocol = mqtt.MQTTv311 if v311 else mqtt.MQTTv5
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            clean_session=True if v311 else None,
        )
        self.client.manual_ack_set(manual_ack)
        self.client.on_connect = lambda *args: self.connected.set()
        self.client.on_disconnect = lambda *args: self.gone.set()
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = lambda client, userdata, message: self.messages.put(message)
        self.client.reconnect_delay_set(60, 120)  # a dropped client stays away while a test looks
        options: dict[str, Any] = {}
        if not v311:
            props = Properties(PacketTypes.CONNECT)
            if expiry is not None:
                props.SessionExpiryInterval = expiry
            options = {"clean_start": expiry is None, "properties": props}
        self.client.connect("127.0.0.1", MQTT_PORT, keepalive=keepalive, **options)
        self.client.loop_start()
        assert self.connected.wait(WAIT), "no CONNACK"

    @property
    def port(self) -> int:
        sock = self.client.socket()
        assert sock is not None
        return int(sock.getsockname()[1])

    def subscribe(self, *filters: tuple[str, int]) -> None:
        self.subscribed.clear()
        self.client.subscribe(list(filters))
        assert self.subscribed.wait(WAIT), "no SUBACK"

    def next(self) -> mqtt.MQTTMessage:
        return self.messages.get(timeout=WAIT)

    def leave(self) -> None:
        self.client.disconnect()
        assert self.gone.wait(WAIT), "not disconnected"
        self.client.loop_stop()


@pytest.fixture
def data(gateway: Server) -> Any:
    gateway.reset()
    return client_for(gateway.endpoint, "iot-data")


@pytest.fixture
def devices() -> Iterator[list[Device]]:
    made: list[Device] = []
    yield made
    for device in made:
        device.client.disconnect()
        device.client.loop_stop()


def code_of(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = error.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_get_connection_of_a_connected_client(data: Any, devices: list[Device]) -> None:
    device = Device("meter-1", expiry=300, keepalive=45)
    devices.append(device)
    got = data.get_connection(clientId="meter-1")
    assert (got["clientId"], got["connected"], got["cleanSession"]) == ("meter-1", True, False)
    assert (got["sessionExpiry"], got["keepAliveDuration"]) == (300, 45)
    assert got["connectedSince"] > 1_600_000_000_000 and "disconnectedSince" not in got
    assert "sourceIp" not in got  # only when asked for
    sockets = data.get_connection(clientId="meter-1", includeSocketInformation=True)
    assert (sockets["sourceIp"], sockets["sourcePort"]) == ("127.0.0.1", device.port)
    assert (sockets["targetIp"], sockets["targetPort"]) == ("127.0.0.1", MQTT_PORT)


def test_get_connection_after_the_client_left(data: Any, devices: list[Device]) -> None:
    clean = Device("meter-clean", v311=True)
    clean.leave()
    left = data.get_connection(clientId="meter-clean")
    assert (left["connected"], left["cleanSession"], left["sessionExpiry"]) == (False, True, 0)
    assert left["disconnectReason"] == "CLIENT_INITIATED_DISCONNECT"
    assert left["disconnectedSince"] > 1_600_000_000_000 and "connectedSince" not in left
    persistent = Device("meter-kept", expiry=600)
    persistent.leave()
    kept = data.get_connection(clientId="meter-kept", includeSocketInformation=True)
    assert (kept["connected"], kept["cleanSession"], kept["sessionExpiry"]) == (False, False, 600)
    assert "sourceIp" not in kept  # no socket while offline
    with pytest.raises(ClientError) as unknown:
        data.get_connection(clientId="never-seen")
    assert code_of(unknown) == (404, "ResourceNotFoundException")


def test_list_subscriptions_pages_and_includes_offline_persistent_sessions(
    data: Any, devices: list[Device]
) -> None:
    device = Device("hub-7", expiry=600)
    filters = [("alarms/#", 1), ("cmd/hub-7", 1), ("cmd/all", 0), ("status/+/x", 0), ("$share/g/jobs", 1)]
    device.subscribe(*filters)
    first = data.list_subscriptions(clientId="hub-7", maxResults=2)
    assert len(first["subscriptions"]) == 2 and "nextToken" in first
    pages = data.get_paginator("list_subscriptions").paginate(
        clientId="hub-7", PaginationConfig={"PageSize": 2}
    )
    listed = [(s["topicFilter"], s["qos"]) for page in pages for s in page["subscriptions"]]
    assert listed == sorted(filters)
    device.leave()  # a persistent session: its subscriptions stay
    after = data.list_subscriptions(clientId="hub-7")
    assert sorted((s["topicFilter"], s["qos"]) for s in after["subscriptions"]) == sorted(filters)
    assert "nextToken" not in after
    clean = Device("hub-clean", v311=True)
    clean.subscribe(("cmd/x", 1))
    assert data.list_subscriptions(clientId="hub-clean")["subscriptions"] == [
        {"topicFilter": "cmd/x", "qos": 1}
    ]
    clean.leave()  # a clean session ends with its connection
    with pytest.raises(ClientError) as gone:
        data.list_subscriptions(clientId="hub-clean")
    assert code_of(gone) == (404, "ResourceNotFoundException")
    with pytest.raises(ClientError) as bad:
        data.list_subscriptions(clientId="hub-7", nextToken="!!")
    assert code_of(bad) == (400, "InvalidRequestException")


def test_a_direct_message_reaches_one_client_that_did_not_subscribe(data: Any, devices: list[Device]) -> None:
    target = Device("valve-3")
    watcher = Device("watcher")
    devices += [target, watcher]
    watcher.subscribe(("valves/#", 1))
    answer = data.send_direct_message(
        clientId="valve-3",
        topic="valves/3/cmd",
        payload=b'{"open": true}',
        contentType="application/json",
        responseTopic="valves/3/reply",
        correlationData=base64.b64encode(b"op-1").decode(),
        userProperties=json.dumps([{"by": "ops"}]),
    )
    assert answer["message"] and answer["traceId"]
    got = target.next()
    assert (got.topic, got.payload, got.qos) == ("valves/3/cmd", b'{"open": true}', 0)
    props: Properties = got.properties
    assert (props.ContentType, props.ResponseTopic, props.CorrelationData) == (
        "application/json",
        "valves/3/reply",
        b"op-1",
    )
    assert props.UserProperty == [("by", "ops")]
    # not routed: a subscriber to the topic gets the next ordinary publish first
    data.publish(topic="valves/3/cmd", qos=1, payload=b"routed")
    assert watcher.next().payload == b"routed"
    assert target.messages.empty()  # it never subscribed


def test_a_confirmed_direct_message_waits_for_the_puback(data: Any, devices: list[Device]) -> None:
    target = Device("valve-4", v311=True)
    devices.append(target)
    data.send_direct_message(clientId="valve-4", topic="valves/4/cmd", payload=b"close", confirmation=True)
    got = target.next()
    assert (got.topic, got.payload, got.qos) == ("valves/4/cmd", b"close", 1)


def test_an_unconfirmed_direct_message_times_out(data: Any, devices: list[Device]) -> None:
    silent = Device("valve-5", manual_ack=True)  # receives, never sends PUBACK
    devices.append(silent)
    with pytest.raises(ClientError) as late:
        data.send_direct_message(
            clientId="valve-5", topic="valves/5/cmd", payload=b"x", confirmation=True, timeout=1
        )
    assert code_of(late) == (504, "GatewayTimeoutException")
    assert silent.next().payload == b"x"  # it was delivered, just not acknowledged


def test_direct_message_refusals(data: Any, devices: list[Device]) -> None:
    devices.append(Device("valve-6"))
    with pytest.raises(ClientError) as offline:
        data.send_direct_message(clientId="nobody", topic="t/1", payload=b"x")
    assert code_of(offline) == (404, "ResourceNotFoundException")
    with pytest.raises(ClientError) as wildcard:
        data.send_direct_message(clientId="valve-6", topic="t/+", payload=b"x")
    assert code_of(wildcard) == (400, "InvalidRequestException")
    with pytest.raises(ClientError) as slow:
        data.send_direct_message(clientId="valve-6", topic="t/1", confirmation=True, timeout=16)
    assert code_of(slow) == (400, "InvalidRequestException")
    kept = Device("valve-kept", expiry=600)
    kept.leave()  # offline, persistent: direct messages are not queued
    with pytest.raises(ClientError) as queued:
        data.send_direct_message(clientId="valve-kept", topic="t/1", payload=b"x")
    assert code_of(queued) == (404, "ResourceNotFoundException")
