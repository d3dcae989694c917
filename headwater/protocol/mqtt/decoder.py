"""Bytes to packets: one complete packet's variable header and payload (its "body", the bytes after
the fixed header) for protocol level 3, 4 or 5.

`decode` raises only `MqttProtocolError`: 0x81 (Malformed Packet) for what cannot be parsed (short
or trailing bytes, reserved bits set, QoS 3, bad UTF-8, a property not allowed on the packet), 0x82
(Protocol Error) for what parses but breaks a rule (packet identifier 0, an empty topic or topic
filter, a wildcard in a PUBLISH topic name, DUP on QoS 0, a repeated property). Which packets a
peer may send, and topic aliases, are the connection's business (`connection.py`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import (
    AUTH,
    CONNACK,
    CONNECT,
    DISCONNECT,
    MQTT_5,
    NO_PROPERTIES,
    PINGREQ,
    PINGRESP,
    PUBACK,
    PUBCOMP,
    PUBLISH,
    PUBREC,
    PUBREL,
    SUBACK,
    SUBSCRIBE,
    UNSUBACK,
    UNSUBSCRIBE,
    Auth,
    Connack,
    Connect,
    Disconnect,
    MqttProtocolError,
    Packet,
    Pingreq,
    Pingresp,
    Properties,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    SubscriptionOptions,
    Unsuback,
    Unsubscribe,
    Will,
)
from headwater.protocol.mqtt.properties import WILL, decode_properties
from headwater.protocol.mqtt.wire import MalformedError, read_binary, read_str, unpack_u16

# The fixed-header flags each packet type must carry (PUBLISH's are its DUP, QoS and RETAIN).
REQUIRED_FLAGS = {PUBREL: 0x02, SUBSCRIBE: 0x02, UNSUBSCRIBE: 0x02}

# The MQTT 5 reason codes each packet type may carry (sections 3.2.2.2 to 3.15.2.1); another is a
# protocol error. 3.1.1 CONNACK return codes are not checked: AWS IoT answers 7 where 3.1.1 has 5.
_PUB_CODES = frozenset((0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99))
REASON_CODES = {
    CONNACK: frozenset((0x00, *range(0x80, 0x8B), 0x8C, 0x90, 0x95, 0x97, *range(0x99, 0x9E), 0x9F)),
    PUBACK: _PUB_CODES,
    PUBREC: _PUB_CODES,
    PUBREL: frozenset((0x00, 0x92)),
    PUBCOMP: frozenset((0x00, 0x92)),
    SUBACK: frozenset((0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2)),
    UNSUBACK: frozenset((0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91)),
    DISCONNECT: frozenset(
        (0x00, 0x04, *range(0x80, 0x84), 0x87, 0x89, 0x8B, *range(0x8D, 0x91), *range(0x93, 0xA3))
    ),
    AUTH: frozenset((0x00, 0x18, 0x19)),
}
_V3_SUBACK_CODES = frozenset((0x00, 0x01, 0x02, 0x80))


def malformed(message: str) -> MqttProtocolError:
    return MqttProtocolError(rc.MALFORMED_PACKET, message)


def protocol_error(message: str, connack_code: int | None = None) -> MqttProtocolError:
    return MqttProtocolError(rc.PROTOCOL_ERROR, message, connack_code)


def check_first_byte(first_byte: int) -> None:
    """Refuse a fixed header's reserved type 0 and wrong flag bits (MQTT-2.1.3-1), and QoS 3."""
    packet_type, flags = first_byte >> 4, first_byte & 0x0F
    if packet_type == PUBLISH:
        if flags & 0x06 == 0x06:
            raise malformed("a PUBLISH with QoS 3")
    elif packet_type == 0:
        raise malformed("packet type 0 is reserved")
    elif flags != REQUIRED_FLAGS.get(packet_type, 0):
        raise malformed(f"packet type {packet_type} with reserved flag bits 0x{flags:X}")


def decode(first_byte: int, body: bytes, protocol_level: int) -> Packet:
    """The packet whose fixed header began with `first_byte` and whose body is `body`."""
    try:
        return _DECODERS[first_byte >> 4](first_byte & 0x0F, body, protocol_level == MQTT_5)
    except (MalformedError, IndexError, ValueError, struct.error) as exc:  # ValueError: bad UTF-8
        raise malformed(str(exc) or "the packet ends early") from None


def connect_level(body: bytes) -> int:
    """The protocol level a CONNECT asks for: 3 ("MQIsdp"), 4 or 5 ("MQTT"). Another level of
    either name is "unsupported protocol version" (CONNACK 1 in 3.1.1, 0x84 in 5); another name
    is not MQTT at all and gets no CONNACK."""
    try:
        name, pos = read_str(body, 0)
        level = body[pos]
    except (MalformedError, IndexError) as exc:
        raise malformed(str(exc) or "the CONNECT ends early") from None
    if (name == "MQTT" and level in (4, 5)) or (name == "MQIsdp" and level == 3):
        return level
    if name in ("MQTT", "MQIsdp"):
        raise MqttProtocolError(
            rc.UNSUPPORTED_PROTOCOL_VERSION, f"unsupported protocol {name} level {level}", connack_code=1
        )
    raise protocol_error(f"protocol name {name!r} is not MQTT")


def _packet_id(b: bytes, pos: int) -> int:
    packet_id: int = unpack_u16(b, pos)[0]
    if not packet_id:
        raise protocol_error("packet identifier 0")
    return packet_id


def _reason_code(packet_type: int, code: int) -> int:
    if code not in REASON_CODES[packet_type]:
        raise protocol_error(f"reason code 0x{code:02X} is not defined for packet type {packet_type}")
    return code


def _end(b: bytes, pos: int) -> None:
    if pos != len(b):
        raise malformed("bytes after the end of the packet")


def decode_publish(first_byte: int, b: bytes, v5: bool) -> Publish:
    """`decode` for a PUBLISH, the hot path: no dispatch. A PUBLISH without properties (every
    3.1.1 one) shares `NO_PROPERTIES`, as building an empty Properties costs a third of decoding
    the packet."""
    try:
        end = 2 + ((b[0] << 8) | b[1])
        if end > len(b):
            raise malformed("the topic runs past the end of the packet")
        raw = b[2:end]
        if b"\x00" in raw:
            raise malformed("a topic name holds U+0000")
        topic = raw.decode()
        if "+" in topic or "#" in topic:
            raise protocol_error("a wildcard in a PUBLISH topic name")
        qos = (first_byte >> 1) & 3
        packet_id = None
        if qos:
            packet_id = (b[end] << 8) | b[end + 1]
            if not packet_id:
                raise protocol_error("packet identifier 0")
            end += 2
        elif first_byte & 0x08:
            raise protocol_error("DUP set on a QoS 0 PUBLISH")
        if v5 and b[end]:
            props, end = decode_properties(b, end, PUBLISH)
            if not topic and props.topic_alias is None:
                raise protocol_error("an empty topic name without a topic alias")
        else:
            props = NO_PROPERTIES
            end += v5
            if not topic:
                raise protocol_error("an empty topic name")
        if end > len(b):
            raise malformed("the PUBLISH ends early")
        return Publish(topic, b[end:], qos, bool(first_byte & 1), bool(first_byte & 8), packet_id, props)
    except (MalformedError, IndexError, ValueError, struct.error) as exc:  # ValueError: bad UTF-8
        raise malformed(str(exc) or "the packet ends early") from None


def _publish(flags: int, b: bytes, v5: bool) -> Publish:
    return decode_publish(0x30 | flags, b, v5)


def _connect(_flags: int, b: bytes, _v5: bool) -> Connect:
    level = connect_level(b)
    name, pos = read_str(b, 0)
    flags, pos = b[pos + 1], pos + 2
    keep_alive: int = unpack_u16(b, pos)[0]
    pos += 2
    if flags & 0x01:
        raise malformed("the CONNECT flags' reserved bit is set")
    will_qos = (flags >> 3) & 3
    if not flags & 0x04 and flags & 0x38:
        raise malformed("will QoS or retain without a will")
    if will_qos == 3:
        raise malformed("will QoS 3")
    if level != MQTT_5 and flags & 0xC0 == 0x40:
        raise malformed("a password without a user name")
    props = Properties()
    if level == MQTT_5:
        props, pos = decode_properties(b, pos, CONNECT)
        if props.authentication_data is not None and props.authentication_method is None:
            raise protocol_error("authentication data without an authentication method")
    client_id, pos = read_str(b, pos)
    clean_start = bool(flags & 0x02)
    if level != MQTT_5 and not client_id and (level == 3 or not clean_start):
        raise MqttProtocolError(
            rc.CLIENT_IDENTIFIER_NOT_VALID, "an empty client identifier needs a clean session", connack_code=2
        )
    will = None
    if flags & 0x04:
        will_props = Properties()
        if level == MQTT_5:
            will_props, pos = decode_properties(b, pos, WILL)
        will_topic, pos = read_str(b, pos)
        if not will_topic or "+" in will_topic or "#" in will_topic:
            raise protocol_error("the will topic is not a valid topic name")
        will_payload, pos = read_binary(b, pos)
        will = Will(will_topic, will_payload, will_qos, bool(flags & 0x20), will_props)
    username = password = None
    if flags & 0x80:
        username, pos = read_str(b, pos)
    if flags & 0x40:
        password, pos = read_binary(b, pos)
    _end(b, pos)
    return Connect(client_id, level, clean_start, keep_alive, username, password, will, props, name)


def _connack(_flags: int, b: bytes, v5: bool) -> Connack:
    if b[0] & 0xFE:
        raise malformed("the CONNACK flags' reserved bits are set")
    if not v5:
        _end(b, 2)
        return Connack(bool(b[0]), b[1])
    code = _reason_code(CONNACK, b[1])
    props, pos = decode_properties(b, 2, CONNACK)
    _end(b, pos)
    return Connack(bool(b[0]), code, props)


def _ack(
    packet_type: int, cls: type[Puback | Pubrec | Pubrel | Pubcomp]
) -> Callable[[int, bytes, bool], Packet]:
    def decode_ack(_flags: int, b: bytes, v5: bool) -> Packet:
        packet_id = _packet_id(b, 0)
        if len(b) == 2:
            return cls(packet_id)
        if not v5:
            raise malformed("bytes after the end of the packet")
        code = _reason_code(packet_type, b[2])
        if len(b) == 3:
            return cls(packet_id, code)
        props, pos = decode_properties(b, 3, packet_type)
        _end(b, pos)
        return cls(packet_id, code, props)

    return decode_ack


def _subscribe(_flags: int, b: bytes, v5: bool) -> Subscribe:
    packet_id = _packet_id(b, 0)
    props, pos = decode_properties(b, 2, SUBSCRIBE) if v5 else (Properties(), 2)
    subscriptions: list[tuple[str, SubscriptionOptions]] = []
    while pos < len(b):
        topic_filter, pos = read_str(b, pos)
        options = b[pos]
        pos += 1
        if not topic_filter:
            raise protocol_error("an empty topic filter")
        if options & (0xC0 if v5 else 0xFC) or options & 0x03 == 0x03:
            raise malformed(f"subscription options 0x{options:02X}")
        if options & 0x30 == 0x30:
            raise protocol_error("retain handling 3")
        no_local = bool(options & 0x04)
        if no_local and topic_filter.startswith("$share/"):
            raise protocol_error("no local on a shared subscription")
        opts = SubscriptionOptions(options & 0x03, no_local, bool(options & 0x08), options >> 4)
        subscriptions.append((topic_filter, opts))
    if not subscriptions:
        raise protocol_error("a SUBSCRIBE without topic filters")
    return Subscribe(packet_id, subscriptions, props)


def _suback(_flags: int, b: bytes, v5: bool) -> Suback:
    packet_id = _packet_id(b, 0)
    props, pos = decode_properties(b, 2, SUBACK) if v5 else (Properties(), 2)
    if pos >= len(b):
        raise protocol_error("a SUBACK without reason codes")
    codes = list(b[pos:])
    allowed = REASON_CODES[SUBACK] if v5 else _V3_SUBACK_CODES
    for code in codes:
        if code not in allowed:
            raise protocol_error(f"SUBACK reason code 0x{code:02X}")
    return Suback(packet_id, codes, props)


def _unsubscribe(_flags: int, b: bytes, v5: bool) -> Unsubscribe:
    packet_id = _packet_id(b, 0)
    props, pos = decode_properties(b, 2, UNSUBSCRIBE) if v5 else (Properties(), 2)
    topic_filters: list[str] = []
    while pos < len(b):
        topic_filter, pos = read_str(b, pos)
        if not topic_filter:
            raise protocol_error("an empty topic filter")
        topic_filters.append(topic_filter)
    if not topic_filters:
        raise protocol_error("an UNSUBSCRIBE without topic filters")
    return Unsubscribe(packet_id, topic_filters, props)


def _unsuback(_flags: int, b: bytes, v5: bool) -> Unsuback:
    packet_id = _packet_id(b, 0)
    if not v5:
        _end(b, 2)
        return Unsuback(packet_id)
    props, pos = decode_properties(b, 2, UNSUBACK)
    if pos >= len(b):
        raise protocol_error("an UNSUBACK without reason codes")
    codes = [_reason_code(UNSUBACK, code) for code in b[pos:]]
    return Unsuback(packet_id, codes, props)


def _empty(cls: type[Pingreq | Pingresp]) -> Callable[[int, bytes, bool], Packet]:
    def decode_empty(_flags: int, b: bytes, _v5: bool) -> Packet:
        _end(b, 0)
        return cls()

    return decode_empty


def _reason(packet_type: int, cls: type[Disconnect | Auth]) -> Callable[[int, bytes, bool], Packet]:
    def decode_reason(_flags: int, b: bytes, v5: bool) -> Packet:
        if not v5:
            if packet_type == AUTH:
                raise malformed("AUTH exists only in MQTT 5")
            _end(b, 0)
            return cls()
        if not b:
            return cls()
        code = _reason_code(packet_type, b[0])
        if len(b) == 1:
            return cls(code)
        props, pos = decode_properties(b, 1, packet_type)
        _end(b, pos)
        return cls(code, props)

    return decode_reason


_DECODERS: dict[int, Callable[[int, bytes, bool], Packet]] = {
    PUBLISH: _publish,
    PUBACK: _ack(PUBACK, Puback),
    CONNECT: _connect,
    CONNACK: _connack,
    PUBREC: _ack(PUBREC, Pubrec),
    PUBREL: _ack(PUBREL, Pubrel),
    PUBCOMP: _ack(PUBCOMP, Pubcomp),
    SUBSCRIBE: _subscribe,
    SUBACK: _suback,
    UNSUBSCRIBE: _unsubscribe,
    UNSUBACK: _unsuback,
    PINGREQ: _empty(Pingreq),
    PINGRESP: _empty(Pingresp),
    DISCONNECT: _reason(DISCONNECT, Disconnect),
    AUTH: _reason(AUTH, Auth),
}
