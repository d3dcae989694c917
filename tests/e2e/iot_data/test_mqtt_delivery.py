"""What an HTTPS publish does to MQTT clients: a paho-mqtt v5 subscriber on the plain port
(`--mqtt-port`, relaxed mode) receives boto3's iot-data Publish with its MQTT 5 properties, a
retained one on subscribing, and DeleteConnection drops a connected client."""

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
from paho.mqtt.properties import Properties

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, free_port, server_fixture

MQTT_PORT = free_port()
gateway = server_fixture(
    "iot-data-mqtt",
    f"--durability fast --mqtt-port {MQTT_PORT} --iot-mode relaxed --iot-port 0 --iot-alpn-port 0 "
    "--iot-https-port 0",
)
WAIT = 10.0


class Subscriber:
    """A connected paho MQTT 5 client whose messages land in a queue."""

    def __init__(self, client_id: str) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.connected = threading.Event()
        self.gone = threading.Event()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.on_connect = lambda *args: self.connected.set()
        self.client.on_disconnect = lambda *args: self.gone.set()
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = lambda client, userdata, message: self.messages.put(message)
        self.client.reconnect_delay_set(60, 120)  # a dropped client stays away while a test looks
        self.client.connect("127.0.0.1", MQTT_PORT, keepalive=60)
        self.client.loop_start()
        assert self.connected.wait(WAIT), "no CONNACK"

    def subscribe(self, topic: str) -> None:
        self.subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self.subscribed.wait(WAIT), "no SUBACK"

    def next(self) -> mqtt.MQTTMessage:
        return self.messages.get(timeout=WAIT)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def data(gateway: Server) -> Any:
    gateway.reset()
    return client_for(gateway.endpoint, "iot-data")


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    made = Subscriber("watcher")
    yield made
    made.stop()


def test_an_https_publish_reaches_a_subscriber_with_its_mqtt5_properties(
    data: Any, subscriber: Subscriber
) -> None:
    subscriber.subscribe("plant/+/temp")
    data.publish(
        topic="plant/line1/temp",
        qos=1,
        payload=b'{"c": 71}',
        userProperties=json.dumps([{"site": "north"}, {"shift": "2"}]),
        payloadFormatIndicator="UTF8_DATA",
        contentType="application/json",
        responseTopic="plant/line1/ack",
        correlationData=base64.b64encode(b"req-7").decode(),
    )
    got = subscriber.next()
    assert (got.topic, got.payload, got.qos) == ("plant/line1/temp", b'{"c": 71}', 1)
    props: Properties = got.properties
    assert props.UserProperty == [("site", "north"), ("shift", "2")]
    assert (props.ContentType, props.ResponseTopic, props.CorrelationData) == (
        "application/json",
        "plant/line1/ack",
        b"req-7",
    )
    assert props.PayloadFormatIndicator == 1


def test_a_retained_https_publish_is_sent_to_a_later_subscriber(data: Any, subscriber: Subscriber) -> None:
    data.publish(topic="config/device-9", retain=True, qos=1, payload=b"v2")
    subscriber.subscribe("config/device-9")
    got = subscriber.next()
    assert (got.topic, got.payload, got.retain) == ("config/device-9", b"v2", True)


def test_delete_connection_drops_the_client(data: Any) -> None:
    device = Subscriber("device-42")
    try:
        data.delete_connection(clientId="device-42", cleanSession=True, preventWillMessage=True)
        assert device.gone.wait(WAIT), "the client was not disconnected"
        with pytest.raises(ClientError) as again:
            data.delete_connection(clientId="device-42")
        assert again.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        device.client.loop_stop()
