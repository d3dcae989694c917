"""A published message as the broker routes and stores it, and the PUBLISH a subscriber receives.

Only the MQTT 5 properties that travel with a message are kept (payload format, content type,
response topic, correlation data, user properties) plus the expiry as an absolute deadline, so the
interval a receiver sees is what remains. A 3.1.1 receiver gets none of them.

Stored form (queued QoS 1 messages, retained messages): a 4-byte header length, a JSON header, the
payload bytes (no base64: payloads are up to 128 KB).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass

# NO_PROPERTIES: the properties of every outgoing PUBLISH that carries none (shared, read-only)
from headwater.protocol.mqtt.packets import MQTT_5, NO_PROPERTIES, Properties, Publish

_HEADER = struct.Struct(">I")


@dataclass(slots=True)
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Properties | None = None  # the forwarded MQTT 5 properties; None when there are none
    expires_at: float | None = None  # clock seconds, from message_expiry_interval
    origin: str | None = None  # the publishing client id (no-local), None for server-made messages
    created_ms: int = 0
    plain0: Publish | None = None  # its QoS 0 PUBLISH without RETAIN or properties, made once (fan-out)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def forwarded(props: Properties | None, now: float) -> tuple[Properties | None, float | None]:
    """The properties a message carries on (None when it carries none), and its expiry deadline."""
    if props is None:
        return None, None
    expires = None if props.message_expiry_interval is None else now + props.message_expiry_interval
    if (
        props.payload_format_indicator is None
        and props.content_type is None
        and props.response_topic is None
        and props.correlation_data is None
        and not props.user_properties
    ):
        return None, expires
    kept = Properties(
        payload_format_indicator=props.payload_format_indicator,
        content_type=props.content_type,
        response_topic=props.response_topic,
        correlation_data=props.correlation_data,
        user_properties=list(props.user_properties),
    )
    return kept, expires


def outgoing_qos0(message: Message, level: int, retain: bool, now: float) -> Publish:
    """`outgoing` at QoS 0: every receiver that gets no RETAIN and no properties shares one packet
    (so the listener encodes it once for all of them)."""
    if retain or (level == MQTT_5 and (message.properties is not None or message.expires_at is not None)):
        return outgoing(message, level, 0, retain, None, False, now)
    packet = message.plain0
    if packet is None:
        packet = message.plain0 = Publish(
            message.topic, message.payload, 0, False, False, None, NO_PROPERTIES
        )
    return packet


def outgoing(
    message: Message, level: int, qos: int, retain: bool, packet_id: int | None, dup: bool, now: float
) -> Publish:
    """The PUBLISH for one receiver."""
    if level != MQTT_5:
        return Publish(message.topic, message.payload, qos, retain, dup, packet_id, NO_PROPERTIES)
    src = message.properties
    if src is None and message.expires_at is None:
        return Publish(message.topic, message.payload, qos, retain, dup, packet_id, NO_PROPERTIES)
    props = Properties()
    if src is not None:
        props.payload_format_indicator = src.payload_format_indicator
        props.content_type = src.content_type
        props.response_topic = src.response_topic
        props.correlation_data = src.correlation_data
        props.user_properties = list(src.user_properties)
    if message.expires_at is not None:
        props.message_expiry_interval = max(1, math.ceil(message.expires_at - now))
    return Publish(message.topic, message.payload, qos, retain, dup, packet_id, props)


def encode(message: Message) -> bytes:
    header: dict[str, object] = {
        "t": message.topic,
        "q": message.qos,
        "r": message.retain,
        "c": message.created_ms,
    }
    if message.expires_at is not None:
        header["x"] = message.expires_at
    if message.origin is not None:
        header["o"] = message.origin
    props = message.properties
    if props is not None:
        header["p"] = {
            "f": props.payload_format_indicator,
            "ct": props.content_type,
            "rt": props.response_topic,
            "cd": props.correlation_data.hex() if props.correlation_data is not None else None,
            "u": props.user_properties,
        }
    head = json.dumps(header, separators=(",", ":")).encode()
    return _HEADER.pack(len(head)) + head + message.payload


def decode(data: bytes) -> Message:
    (size,) = _HEADER.unpack_from(data)
    header = json.loads(data[4 : 4 + size])
    props = None
    if (p := header.get("p")) is not None:
        props = Properties(
            payload_format_indicator=p["f"],
            content_type=p["ct"],
            response_topic=p["rt"],
            correlation_data=bytes.fromhex(p["cd"]) if p["cd"] is not None else None,
            user_properties=[(k, v) for k, v in p["u"]],
        )
    return Message(
        header["t"],
        data[4 + size :],
        header["q"],
        header["r"],
        props,
        header.get("x"),
        header.get("o"),
        header["c"],
    )
