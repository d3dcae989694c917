"""paho-mqtt 2.x clients for the e2e tests: connected, subscribed, collecting what arrives."""

from __future__ import annotations

import ssl
import threading
from typing import Any

import paho.mqtt.client as mqtt

from tests.e2e.iot.gateway import wait_for

VERSIONS = {"3.1.1": mqtt.MQTTv311, "5": mqtt.MQTTv5}


class Paho:
    def __init__(self, client_id: str, version: str, context: ssl.SSLContext | None = None) -> None:
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=VERSIONS[version]
        )
        self.messages: list[tuple[str, bytes, bool]] = []
        self.connected = threading.Event()
        self.reason: Any = None
        self.acked: set[int] = set()
        if context is not None:
            self.client.tls_set_context(context)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda client, data, message: self.messages.append(
            (message.topic, message.payload, message.retain)
        )
        self.client.on_publish = lambda client, data, mid, reason, properties: self.acked.add(mid)
        self.client.on_subscribe = lambda client, data, mid, codes, properties: self.acked.add(mid)
        self.client.on_unsubscribe = lambda client, data, mid, codes, properties: self.acked.add(mid)
        self.disconnected = threading.Event()
        self.client.on_disconnect = lambda client, data, flags, reason, properties: self.disconnected.set()

    def _on_connect(self, client: Any, data: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.reason = reason
        self.connected.set()

    def connect(self, port: int, host: str = "localhost", timeout: float = 10) -> Paho:
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        assert self.connected.wait(timeout), "no CONNACK"
        assert not self.reason.is_failure, self.reason
        return self

    def subscribe(self, topic: str, qos: int = 1) -> None:
        _, mid = self.client.subscribe(topic, qos)
        wait_for(lambda: mid in self.acked, what="SUBACK")

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos, retain)
        if qos:
            wait_for(lambda: info.mid in self.acked, what="PUBACK")

    def received(self, count: int) -> list[tuple[str, bytes, bool]]:
        wait_for(lambda: len(self.messages) >= count, what=f"{count} messages")
        return self.messages

    def close(self) -> None:
        self.client.disconnect()
        # paho writes the DISCONNECT from its loop thread: stopping the loop at once can lose it
        self.disconnected.wait(5)
        self.client.loop_stop()


def tls(root_ca: str, cert: str | None, key: str | None, alpn: list[str] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=root_ca)
    if cert is not None:
        context.load_cert_chain(cert, key)
    if alpn:
        context.set_alpn_protocols(alpn)
    return context
