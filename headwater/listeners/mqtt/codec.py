"""The one place that names the sans-IO MQTT codec (`protocol.mqtt.connection.MqttConnection`).

The listener drives a server-side connection: bytes in (`receive_data`), packets out
(`next_packet`, raising `MqttProtocolError`), packets in, bytes out (`send`). Tests hand the
connection driver a codec of their own through `CodecFactory`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.packets import Packet


class Codec(Protocol):
    def receive_data(self, data: bytes) -> None: ...

    def next_packet(self) -> Packet | None: ...

    def send(self, packet: Packet) -> bytes: ...


CodecFactory = Callable[[int], Codec]  # the maximum inbound packet size -> a server-side codec


def server_codec(max_packet_size: int) -> Codec:
    return MqttConnection(server=True, max_packet_size=max_packet_size)
