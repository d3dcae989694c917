"""A durable-mode gateway that the IoT durability tests kill with SIGKILL and start again on the same
data directory and device ports, and paho clients that keep a persistent session."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.e2e.iot.gateway import Gateway, accepts, wait_for
from tests.e2e.iot.paho_clients import VERSIONS
from tests.e2e.support.server import DURABLE, Server, free_port


class DurableGateway:
    """One server process at a time on `data_dir`; `crash()` kills it with SIGKILL and starts a new
    one with the same flags (same MQTT ports: the clients reconnect where they were)."""

    def __init__(self, data_dir: Path, mode: str, *extra: str) -> None:
        self.data_dir = data_dir
        self.ports = {kind: free_port() for kind in ("mqtt", "mtls", "alpn", "https")}
        self.flags = (
            *DURABLE,
            "--mqtt-port", str(self.ports["mqtt"]), "--iot-port", str(self.ports["mtls"]),
            "--iot-alpn-port", str(self.ports["alpn"]), "--iot-https-port", str(self.ports["https"]),
            "--iot-mode", mode, *extra,
        )  # fmt: skip
        self.gateway = self._start()

    def _start(self) -> Gateway:
        server = Server(self.data_dir, *self.flags).start()
        wait_for(lambda: accepts(self.ports["mqtt"]), what="the MQTT listener")
        return Gateway(server, **self.ports)

    def crash(self) -> Gateway:
        self.gateway.server.kill()
        self.gateway = self._start()
        return self.gateway

    def stop(self) -> None:
        self.gateway.server.stop()


@contextmanager
def durable_gateway(tmp_path: Path, mode: str = "relaxed", *extra: str) -> Iterator[DurableGateway]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    running = DurableGateway(data_dir, mode, *extra)
    try:
        yield running
    finally:
        running.stop()


class Session:
    """A paho client of a persistent session (3.1.1 cleanSession=0; 5: clean start off and a session
    expiry), recording CONNACK's session_present and what arrives; `manual_ack` holds its PUBACKs."""

    def __init__(self, client_id: str, version: str, expiry: int = 3600, manual_ack: bool = False) -> None:
        v5 = version == "5"
        self.version, self.expiry = version, expiry
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=VERSIONS[version],
            clean_session=None if v5 else False,
            manual_ack=manual_ack,
            reconnect_on_failure=False,
        )
        self.messages: list[mqtt.MQTTMessage] = []
        self.connected = threading.Event()
        self.session_present: bool | None = None
        self.reason: Any = None
        self.acked: set[int] = set()
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda client, data, message: self.messages.append(message)
        self.client.on_publish = lambda client, data, mid, reason, properties: self.acked.add(mid)
        self.client.on_subscribe = lambda client, data, mid, codes, properties: self.acked.add(mid)

    def _on_connect(self, client: Any, data: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.session_present = bool(flags.session_present)
        self.reason = reason
        self.connected.set()

    def connect(self, port: int) -> Session:
        if self.version == "5":
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.expiry
            self.client.connect("localhost", port, 60, clean_start=False, properties=properties)
        else:
            self.client.connect("localhost", port, 60)
        self.client.loop_start()
        assert self.connected.wait(10), "no CONNACK"
        assert not self.reason.is_failure, self.reason
        return self

    def subscribe(self, topic: str, qos: int = 1) -> None:
        _, mid = self.client.subscribe(topic, qos)
        wait_for(lambda: mid in self.acked, what="SUBACK")

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos, retain)
        if qos:
            wait_for(lambda: info.mid in self.acked, what="PUBACK")

    def payloads(self, count: int, timeout: float = 10.0) -> list[bytes]:
        wait_for(lambda: len(self.messages) >= count, timeout, what=f"{count} messages")
        return [message.payload for message in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def abandon(self) -> None:
        """Stops the network loop without a DISCONNECT (the server is about to die anyway)."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()
