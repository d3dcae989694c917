"""Unloaded latency: one publisher and one subscriber on blocking sockets, one message at a time.

The publisher's PUBLISH is written, the subscriber's socket is read until Headwater's codec
(`MqttConnection` in its client role) returns that message, and the time between is one sample (same
process, same clock); at QoS 1 the subscriber's PUBACK and the broker's PUBACK to the publisher are
exchanged after the sample is taken, outside the timing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import Any

from bench.iot import codec
from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.packets import (
    Connack,
    Connect,
    Disconnect,
    Packet,
    Puback,
    Publish,
    Suback,
    Subscribe,
    SubscriptionOptions,
)


class _Client:
    """A blocking socket and the codec's client-side state machine."""

    def __init__(self, host: str, port: int, client_id: str) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.mqtt = MqttConnection(server=False)
        self.send(Connect(client_id, keep_alive=1200))
        answer = self.next()
        if not isinstance(answer, Connack) or answer.reason_code:
            raise ConnectionError(f"CONNACK {answer} for {client_id}")

    def send(self, packet: Packet) -> None:
        self.sock.sendall(self.mqtt.send(packet))

    def next(self) -> Packet:
        while (packet := self.mqtt.next_packet()) is None:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the broker")
            self.mqtt.receive_data(chunk)
        return packet

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send(Disconnect())
        self.sock.close()


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def measure(
    host: str, port: int, qos: int, messages: int, warmup: int = 100, size: int = 256
) -> dict[str, Any]:
    topic = f"bench/latency/q{qos}"
    sub = _Client(host, port, f"bench-lat-sub-{qos}")
    pub = _Client(host, port, f"bench-lat-pub-{qos}")
    try:
        sub.send(Subscribe(1, [(topic, SubscriptionOptions(qos=qos))]))
        granted = sub.next()
        if not isinstance(granted, Suback) or granted.reason_codes[0] > 2:
            raise ConnectionError(f"SUBACK {granted}")
        template = codec.PublishTemplate(topic, qos, 0, size)
        packet = bytearray(template.packet)
        load = os.getloadavg()[0]
        samples: list[float] = []
        for seq in range(warmup + messages):
            codec.STAMP.pack_into(packet, template.stamp_at, 0, seq, 0)
            if qos:
                codec.struct.pack_into(">H", packet, template.id_at, seq % 65535 + 1)
            t0 = time.perf_counter()
            pub.sock.sendall(packet)
            while not isinstance(got := sub.next(), Publish):
                pass
            t1 = time.perf_counter()
            if codec.STAMP.unpack_from(got.payload)[1] != seq:
                raise RuntimeError(f"message {seq} arrived as {codec.STAMP.unpack_from(got.payload)[1]}")
            if qos:
                assert got.packet_id is not None
                sub.send(Puback(got.packet_id))
                while not isinstance(pub.next(), Puback):
                    pass
            if seq >= warmup:
                samples.append((t1 - t0) * 1e3)
        samples.sort()
        return {
            "p50_ms": percentile(samples, 0.50),
            "p99_ms": percentile(samples, 0.99),
            "max_ms": samples[-1],
            "messages": len(samples),
            "load": round(load, 2),
        }
    finally:
        pub.close()
        sub.close()
