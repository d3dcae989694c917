"""The one place that names the sans-IO MQTT codec (`protocol.mqtt`'s `MqttConnection`).

The listener drives a server-side connection: bytes in (`receive_data`), packets out
(`next_packet`, raising `MqttProtocolError`), packets in, bytes out (`send`). Tests hand the
connection driver a codec of their own through `CodecFactory`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol

from headwater.protocol.mqtt.packets import Packet


class Codec(Protocol):
    def receive_data(self, data: bytes) -> None: ...

    def next_packet(self) -> Packet | None: ...

    def send(self, packet: Packet) -> bytes: ...


CodecFactory = Callable[[int], Codec]  # the maximum inbound packet size -> a server-side codec


def available() -> bool:
    try:
        _module()
    except ImportError:
        return False
    return True


def server_codec(max_packet_size: int) -> Codec:
    connection: Any = _module().MqttConnection
    try:
        codec: Codec = connection(server=True, max_packet_size=max_packet_size)
    except TypeError:  # a codec without the bound: the listener's own check still applies
        codec = connection(server=True)
    return codec


def _module() -> Any:
    # imported by name: the codec is written beside the listener (branch iot-codec)
    return importlib.import_module("headwater.protocol.mqtt.connection")
