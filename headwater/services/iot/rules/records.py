"""An outbox record: one rendered delivery and the message it came from (what the errorAction
needs), written once. Binary, so payloads are not base64'd on the hot path: a 4-byte header length,
a JSON header (the delivery's kind, target and fields, its parts' lengths, the message's topic,
client, principal, time and trace id), the parts, then the original payload."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

from headwater.services.iot.rules.actions import Delivery
from headwater.services.iot.rules.contracts import SqlMessage

_LENGTH = struct.Struct(">I")

_dumps: Callable[[Any], bytes]
_loads: Callable[[bytes], Any]
try:  # orjson is a dependency; the standard library is the fallback
    import orjson

    _dumps, _loads = orjson.dumps, orjson.loads
except ImportError:  # pragma: no cover
    _dumps, _loads = (lambda value: json.dumps(value, separators=(",", ":")).encode()), json.loads


def encode(delivery: Delivery, message: SqlMessage) -> bytes:
    header = {
        "k": delivery.kind,
        "r": delivery.resource,
        "f": delivery.fields,
        "n": [len(part) for part in delivery.body],
        "t": message.topic,
        "c": message.client_id,
        "p": message.principal,
        "ts": message.timestamp_ms,
        "id": message.trace_id,
    }
    head = _dumps(header)
    return b"".join((_LENGTH.pack(len(head)), head, *delivery.body, message.payload))


def decode(raw: bytes, account: str, region: str, rule: str) -> tuple[Delivery, SqlMessage]:
    (size,) = _LENGTH.unpack_from(raw)
    header = _loads(raw[4 : 4 + size])
    at = 4 + size
    parts: list[bytes] = []
    for length in header["n"]:
        parts.append(raw[at : at + length])
        at += length
    delivery = Delivery(header["k"], header["r"], header["f"], parts)
    message = SqlMessage(
        header["t"], raw[at:], header["c"], header["p"], header["ts"], account, region, rule, header["id"]
    )
    return delivery, message
