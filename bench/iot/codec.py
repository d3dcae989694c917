"""The MQTT 3.1.1 the benchmark's clients speak: packets encoded once by Headwater's own codec
(`headwater.protocol.mqtt`, in its client role), and the hot paths on raw bytes.

Every packet is built by the codec, but only once per connection: a publish is a template whose
sequence number, send time and packet id are patched in place per message (`struct.pack_into` at the
offsets found here), and the throughput readers split a received buffer into (first byte, body)
ranges without building a packet object per message, since the generator must stay far below the
brokers' cost per message. The latency client decodes everything with the codec.

Every message's payload starts with `STAMP` = (publisher id u32, sequence u64, send time ns u64) and is
padded to the payload size; the padding never contains `SENTINEL` (the flood server's placeholder).
"""

from __future__ import annotations

import struct

from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.packets import (
    Connect,
    Disconnect,
    Packet,
    Puback,
    Publish,
    Subscribe,
    SubscriptionOptions,
)

CONNACK, PUBLISH, PUBACK, SUBACK = 2, 3, 4, 9
STAMP = struct.Struct(">IQQ")
SENTINEL = b"\xa5\x5a\xc3\x3c\xa5\x5a\xc3\x3c"  # 8 bytes the padding ('x') never forms
PADDING = b"x"


def _encode(packet: Packet) -> bytes:
    return MqttConnection(server=False).send(packet)


def connect(client_id: str, keepalive: int = 1200, clean: bool = True) -> bytes:
    return _encode(Connect(client_id, clean_start=clean, keep_alive=keepalive))


def subscribe(packet_id: int, topic_filter: str, qos: int) -> bytes:
    return _encode(Subscribe(packet_id, [(topic_filter, SubscriptionOptions(qos=qos))]))


def puback(packet_id: int) -> bytes:
    return _encode(Puback(packet_id))


DISCONNECT = _encode(Disconnect())


def payload(publisher: int, seq: int, size: int, sent_ns: int = 0) -> bytes:
    head = STAMP.pack(publisher, seq, sent_ns)
    return head + PADDING * (size - len(head))


class PublishTemplate:
    """One PUBLISH packet on `topic`, built once: `stamp_at` is the offset of the payload's STAMP and
    `id_at` that of the packet identifier (QoS 1; -1 at QoS 0), for `struct.pack_into` in place."""

    def __init__(self, topic: str, qos: int, publisher: int, size: int) -> None:
        body = payload(publisher, 0, size)
        self.packet = _encode(Publish(topic, body, qos=qos, packet_id=1 if qos else None))
        self.stamp_at = len(self.packet) - size  # 3.1.1: the payload ends the packet
        self.id_at = self.stamp_at - 2 if qos else -1
        self.size = len(self.packet)


def split(buffer: bytearray) -> tuple[list[tuple[int, int, int]], int]:
    """Complete packets in `buffer` as (first byte, body start, body end) and how many bytes they use."""
    out: list[tuple[int, int, int]] = []
    pos, end = 0, len(buffer)
    while pos + 2 <= end:
        length, shift, i = 0, 0, pos + 1
        while True:
            if i >= end:
                return out, pos
            byte = buffer[i]
            length |= (byte & 0x7F) << shift
            i += 1
            if not byte & 0x80:
                break
            shift += 7
        if i + length > end:
            break
        out.append((buffer[pos], i, i + length))
        pos = i + length
    return out, pos


def remaining(buf: bytearray, at: int, end: int) -> tuple[int, int]:
    """The remaining length whose first byte is at `at`, and where the body starts; (0, -1) when the
    buffer ends inside it."""
    length, shift, i = 0, 0, at
    while i < end:
        byte = buf[i]
        length |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return length, i
        shift += 7
    return 0, -1
