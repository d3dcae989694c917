"""JSON payloads the benchmark publishes, with an id that survives a rule: `"i":"PPPPSSSSSSSSSSSS"`
(publisher, sequence: 16 ASCII digits) in the document, found again in what reaches Kinesis wherever the
rule's `SELECT *` put it (its whitespace and key order are the server's).

A PUBLISH is built once per topic by Headwater's codec (client role); the 12 sequence digits and the
packet id are patched in place per message, so the generator's cost per message is a few slice writes.
"""

from __future__ import annotations

import base64
import re
import struct

from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.packets import Publish

ID_KEY = b'"i":"'
_ID = re.compile(rb'"i"\s*:\s*"(\d{4})(\d{12})"')
_DATA = re.compile(rb'"Data"\s*:\s*"([A-Za-z0-9+/=]+)"')
_PACKET_ID = struct.Struct(">H")


def telemetry(publisher: int, size: int) -> bytes:
    """A device reading of `size` bytes (padded); its temperature passes the rule's WHERE."""
    head = b'{"i":"%04d%012d","device":"d%04d","temperature":%.1f,"humidity":48,"pad":"' % (
        publisher,
        0,
        publisher,
        21.0 + publisher % 9,
    )
    return head + b"x" * max(0, size - len(head) - 2) + b'"}'


def shadow_update(publisher: int) -> bytes:
    """An UpdateThingShadow document: the device reports its state."""
    return b'{"state":{"reported":{"i":"%04d%012d","temperature":21.5,"on":true}}}' % (publisher, 0)


class Template:
    """One PUBLISH of `payload` on `topic`; `seq_at` is the offset of the 12 sequence digits and `id_at`
    that of the packet identifier (-1 at QoS 0)."""

    def __init__(self, topic: str, payload: bytes, qos: int) -> None:
        self.packet = MqttConnection(server=False).send(
            Publish(topic, payload, qos=qos, packet_id=1 if qos else None)
        )
        start = len(self.packet) - len(payload)  # 3.1.1: the payload ends the packet
        self.seq_at = start + payload.index(ID_KEY) + len(ID_KEY) + 4
        self.id_at = start - 2 if qos else -1
        self.size = len(self.packet)


def batch(templates: list[Template], seq: int, n: int) -> bytearray:
    """Packets for sequence numbers seq..seq+n-1, cycling through `templates` (all the same size)."""
    count = len(templates)
    block = bytearray(b"".join(templates[(seq + k) % count].packet for k in range(n)))
    size, first = templates[0].size, templates[0]
    for k in range(n):
        at = k * size
        block[at + first.seq_at : at + first.seq_at + 12] = b"%012d" % (seq + k)
        if first.id_at >= 0:
            _PACKET_ID.pack_into(block, at + first.id_at, (seq + k) % 65535 + 1)
    return block


def record_ids(get_records_body: bytes) -> list[tuple[int, int]]:
    """(publisher, sequence) of every record in a GetRecords answer, in order."""
    out = []
    for data in _DATA.findall(get_records_body):
        found = _ID.search(base64.b64decode(data))
        if found:
            out.append((int(found.group(1)), int(found.group(2))))
    return out


def record_count(get_records_body: bytes) -> int:
    return get_records_body.count(b'"Data"')
