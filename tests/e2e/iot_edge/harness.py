"""Two Headwaters on loopback for the edge tests: an upstream (its gateway ports fixed, so it can be
stopped and started again where the edge looks for it) and an edge (`--edge`) pointing at it; and
paho clients that keep their session across an upstream restart."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from tests.e2e.iot.gateway import Device, Gateway, accepts, wait_for
from tests.e2e.iot.paho_clients import tls
from tests.e2e.support.server import DURABLE, FAST, Server, free_port


@dataclass
class Upstream:
    """A Headwater acting as the upstream broker: AWS mode (mutual TLS on `mtls`) or relaxed (plain
    MQTT on `mqtt` too). `start`/`stop` keep its data dir and ports."""

    data_dir: Path
    mode: str = "aws"
    ports: dict[str, int] = field(default_factory=lambda: {k: free_port() for k in ("mqtt", "mtls")})
    server: Server | None = None

    def start(self) -> Upstream:
        flags = ("--mqtt-port", str(self.ports["mqtt"]), "--iot-port", str(self.ports["mtls"]),
                 "--iot-mode", self.mode)  # fmt: skip
        self.server = Server(self.data_dir, *FAST, *flags).start()
        wait_for(lambda: accepts(self.ports["mtls"]), what="the upstream's MQTT port")
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def root_ca(self) -> str:
        return str(self.data_dir / "tls" / "iot-root-ca.pem")

    def device(self, folder: Path, name: str) -> Device:
        assert self.server is not None
        gateway = Gateway(self.server, self.ports["mqtt"], self.ports["mtls"], 0, 0)
        return gateway.device(folder, name)


def edge_server(data_dir: Path, mqtt_port: int, *edge_flags: str, durable: bool = False) -> Server:
    """An edge Headwater (not started): relaxed plain MQTT on `mqtt_port` for the local devices."""
    flags = ("--mqtt-port", str(mqtt_port), "--iot-mode", "relaxed", "--edge", "--edge-backoff-max", "0.5")
    return Server(data_dir, *(DURABLE if durable else FAST), *flags, *edge_flags)


def mtls_flags(upstream: Upstream, bridge: Device) -> tuple[str, ...]:
    return (
        "--edge-upstream", f"mqtts://localhost:{upstream.ports['mtls']}",
        "--edge-cert", bridge.cert_path, "--edge-key", bridge.key_path, "--edge-ca", upstream.root_ca,
    )  # fmt: skip


class Client:
    """A paho 3.1.1 client with a persistent session (clean session off) that reconnects by itself
    and records what arrives, per topic, and which of its QoS 1 publishes were acknowledged."""

    def __init__(self, client_id: str, port: int, context: Any = None) -> None:
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311, clean_session=False
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.2, 1)
        if context is not None:
            self.client.tls_set_context(context)
        self.by_topic: dict[str, list[bytes]] = defaultdict(list)
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.acked: set[int] = set()
        self.client.on_connect = lambda c, d, flags, reason, props: self.connected.set()
        self.client.on_disconnect = lambda c, d, flags, reason, props: self.connected.clear()
        self.client.on_message = self._message
        self.client.on_publish = lambda c, d, mid, reason, props: self.acked.add(mid)
        self.client.on_subscribe = lambda c, d, mid, codes, props: self.acked.add(mid)
        self.client.connect("localhost", port, keepalive=30)
        self.client.loop_start()
        assert self.connected.wait(10), "no CONNACK"

    def _message(self, client: Any, data: Any, message: Any) -> None:
        with self.lock:
            self.by_topic[message.topic].append(message.payload)

    def subscribe(self, topic_filter: str) -> None:
        _, mid = self.client.subscribe(topic_filter, 1)
        wait_for(lambda: mid in self.acked, what="SUBACK")

    def publish(self, topic: str, payload: bytes, wait: bool = True) -> int:
        info = self.client.publish(topic, payload, 1)
        if wait:
            wait_for(lambda: info.mid in self.acked, what=f"PUBACK of {topic}")
        return int(info.mid)

    def firsts(self, topic: str) -> list[bytes]:
        """What arrived on `topic`, each payload at its first arrival (QoS 1 may repeat one)."""
        with self.lock:
            seen: dict[bytes, None] = dict.fromkeys(self.by_topic[topic])
        return list(seen)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def device_client(upstream: Upstream, folder: Path, name: str) -> Client:
    device = upstream.device(folder, name)
    return Client(name, upstream.ports["mtls"], tls(upstream.root_ca, device.cert_path, device.key_path))


def payloads(prefix: str, count: int) -> list[bytes]:
    return [f"{prefix}-{i:04d}".encode() for i in range(count)]
