"""The few MQTT 3.1.1 packets the benchmark's clients send and read, hand-encoded for speed.

The load generator needs only CONNECT, SUBSCRIBE, PUBLISH (QoS 0/1), PUBACK and DISCONNECT out, and
CONNACK, SUBACK, PUBLISH and PUBACK in, so it encodes them here rather than going through a general
codec: a publish is a prebuilt template whose sequence number and timestamp are patched in place, and
the reader splits a received buffer into (first byte, body) pairs without building objects.

Every message's payload starts with `STAMP` = (publisher id u32, sequence u64, send time ns u64) and is
padded to the payload size; the padding never contains `SENTINEL` (the flood server's placeholder).
"""

from __future__ import annotations

import struct

CONNACK, PUBLISH, PUBACK, SUBACK = 2, 3, 4, 9
STAMP = struct.Struct(">IQQ")
SENTINEL = b"\xa5\x5a\xc3\x3c\xa5\x5a\xc3\x3c"  # 8 bytes the padding ('x') never forms
PADDING = b"x"


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(s: str | bytes) -> bytes:
    raw = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(raw)) + raw


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def connect(client_id: str, keepalive: int = 1200, clean: bool = True) -> bytes:
    flags = 0x02 if clean else 0x00
    return _packet(
        0x10, _string("MQTT") + bytes([4, flags]) + struct.pack(">H", keepalive) + _string(client_id)
    )


def subscribe(packet_id: int, topic_filter: str, qos: int) -> bytes:
    return _packet(0x82, struct.pack(">H", packet_id) + _string(topic_filter) + bytes([qos]))


def puback(packet_id: int) -> bytes:
    return b"\x40\x02" + struct.pack(">H", packet_id)


DISCONNECT = b"\xe0\x00"
PINGREQ = b"\xc0\x00"


def payload(publisher: int, seq: int, size: int, sent_ns: int = 0) -> bytes:
    head = STAMP.pack(publisher, seq, sent_ns)
    return head + PADDING * (size - len(head))


class PublishTemplate:
    """One PUBLISH packet on `topic`, built once: `stamp_at` is the offset of the payload's STAMP and
    `id_at` that of the packet identifier (QoS 1; -1 at QoS 0), for `struct.pack_into` in place."""

    def __init__(self, topic: str, qos: int, publisher: int, size: int) -> None:
        variable = _string(topic) + (b"\x00\x01" if qos else b"")
        body = variable + payload(publisher, 0, size)
        head = bytes([0x30 | (qos << 1)]) + varint(len(body))
        self.packet = head + body
        self.stamp_at = len(head) + len(variable)
        self.id_at = len(head) + len(variable) - 2 if qos else -1
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
