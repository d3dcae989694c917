"""MQTT 5 properties (section 2.2.2): which packet may carry which, their wire types, and the rules on
their values.

One table drives both directions. Decoding refuses an identifier not allowed on the packet type
(a Malformed Packet, 0x81, as the spec says of "an Identifier which is not valid for its packet
type"), a property repeated where only one is allowed and the values the spec calls protocol errors
(0x82: a Receive Maximum or Maximum Packet Size of 0, a flag byte other than 0 or 1, a Subscription
Identifier of 0). Encoding writes only the properties the packet type may carry, in the table's
order; the others set on a `Properties` value are not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import (
    AUTH,
    CONNACK,
    CONNECT,
    DISCONNECT,
    PUBACK,
    PUBCOMP,
    PUBLISH,
    PUBREC,
    PUBREL,
    SUBACK,
    SUBSCRIBE,
    UNSUBACK,
    UNSUBSCRIBE,
    MqttProtocolError,
    Properties,
)
from headwater.protocol.mqtt.wire import (
    MalformedError,
    encode_binary,
    encode_str,
    encode_varint,
    pack_u16,
    pack_u32,
    read_binary,
    read_str,
    read_varint,
    unpack_u16,
    unpack_u32,
)

WILL = 16  # the Will Properties of a CONNECT, a "packet type" of their own here

BYTE, U16, U32, VARINT, STR, BIN, PAIR = range(7)
_ACKS = (PUBACK, PUBREC, PUBREL, PUBCOMP)
_MESSAGE = (PUBLISH, WILL)
_ALL = (CONNECT, CONNACK, PUBLISH, WILL, *_ACKS, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH)
_FLAG, _NONZERO = 1, 2  # value rules: 0 or 1 only; not 0

# (identifier, Properties attribute, wire type, value rule, packet types that may carry it)
TABLE: tuple[tuple[int, str, int, int, tuple[int, ...]], ...] = (
    (0x01, "payload_format_indicator", BYTE, _FLAG, _MESSAGE),
    (0x02, "message_expiry_interval", U32, 0, _MESSAGE),
    (0x03, "content_type", STR, 0, _MESSAGE),
    (0x08, "response_topic", STR, 0, _MESSAGE),
    (0x09, "correlation_data", BIN, 0, _MESSAGE),
    (0x0B, "subscription_identifiers", VARINT, _NONZERO, (PUBLISH, SUBSCRIBE)),
    (0x11, "session_expiry_interval", U32, 0, (CONNECT, CONNACK, DISCONNECT)),
    (0x12, "assigned_client_identifier", STR, 0, (CONNACK,)),
    (0x13, "server_keep_alive", U16, 0, (CONNACK,)),
    (0x15, "authentication_method", STR, 0, (CONNECT, CONNACK, AUTH)),
    (0x16, "authentication_data", BIN, 0, (CONNECT, CONNACK, AUTH)),
    (0x17, "request_problem_information", BYTE, _FLAG, (CONNECT,)),
    (0x18, "will_delay_interval", U32, 0, (WILL,)),
    (0x19, "request_response_information", BYTE, _FLAG, (CONNECT,)),
    (0x1A, "response_information", STR, 0, (CONNACK,)),
    (0x1C, "server_reference", STR, 0, (CONNACK, DISCONNECT)),
    (0x1F, "reason_string", STR, 0, (CONNACK, *_ACKS, SUBACK, UNSUBACK, DISCONNECT, AUTH)),
    (0x21, "receive_maximum", U16, _NONZERO, (CONNECT, CONNACK)),
    (0x22, "topic_alias_maximum", U16, 0, (CONNECT, CONNACK)),
    (0x23, "topic_alias", U16, 0, (PUBLISH,)),
    (0x24, "maximum_qos", BYTE, _FLAG, (CONNACK,)),
    (0x25, "retain_available", BYTE, _FLAG, (CONNACK,)),
    (0x26, "user_properties", PAIR, 0, _ALL),
    (0x27, "maximum_packet_size", U32, _NONZERO, (CONNECT, CONNACK)),
    (0x28, "wildcard_subscription_available", BYTE, _FLAG, (CONNACK,)),
    (0x29, "subscription_identifier_available", BYTE, _FLAG, (CONNACK,)),
    (0x2A, "shared_subscription_available", BYTE, _FLAG, (CONNACK,)),
)

# packet type -> identifier -> (attribute, wire type, value rule)
_BY_TYPE: dict[int, dict[int, tuple[str, int, int]]] = {t: {} for t in _ALL}
# packet type -> what to encode, in order: (identifier byte, wire type), and a getter of all their
# values at once (one C call: most packets carry no properties, and that must cost little)
_ENCODE: dict[int, tuple[tuple[bytes, int], ...]] = {}
_VALUES: dict[int, Callable[[Properties], tuple[Any, ...]]] = {}
for _ident, _attr, _kind, _rule, _types in TABLE:
    for _t in _types:
        _BY_TYPE[_t][_ident] = (_attr, _kind, _rule)
for _t in _ALL:
    _ENCODE[_t] = tuple((bytes((i,)), k) for i, a, k, _, ts in TABLE if _t in ts)
    _VALUES[_t] = attrgetter(*(a for _, a, _, _, ts in TABLE if _t in ts), "user_properties")

_READERS: dict[int, Callable[[bytes, int], tuple[object, int]]] = {
    BYTE: lambda b, p: (b[p], p + 1),
    U16: lambda b, p: (unpack_u16(b, p)[0], p + 2),
    U32: lambda b, p: (unpack_u32(b, p)[0], p + 4),
    VARINT: read_varint,
    STR: read_str,
    BIN: read_binary,
}


def decode_properties(buf: bytes, pos: int, packet_type: int) -> tuple[Properties, int]:
    """The property block at `pos` (its length, then the properties) for `packet_type`."""
    length, pos = read_varint(buf, pos)
    end = pos + length
    props = Properties()
    if not length:
        return props, pos
    if end > len(buf):
        raise MalformedError("the properties run past the end of the packet")
    allowed = _BY_TYPE[packet_type]
    while pos < end:
        ident = buf[pos]
        spec = allowed.get(ident)
        if spec is None:
            raise MalformedError(f"property 0x{ident:02X} is not allowed on this packet")
        attr, kind, rule = spec
        pos += 1
        if kind == PAIR:
            key, pos = read_str(buf, pos)
            value, pos = read_str(buf, pos)
            props.user_properties.append((key, value))
            continue
        value_read, pos = _READERS[kind](buf, pos)
        if rule == _FLAG and value_read not in (0, 1):
            raise MqttProtocolError(rc.PROTOCOL_ERROR, f"property 0x{ident:02X} must be 0 or 1")
        if rule == _NONZERO and value_read == 0:
            raise MqttProtocolError(rc.PROTOCOL_ERROR, f"property 0x{ident:02X} must not be 0")
        if ident == 0x0B:
            if packet_type == SUBSCRIBE and props.subscription_identifiers:
                raise MqttProtocolError(rc.PROTOCOL_ERROR, "a repeated Subscription Identifier")
            props.subscription_identifiers.append(value_read)  # type: ignore[arg-type]
            continue
        if getattr(props, attr) is not None:
            raise MqttProtocolError(rc.PROTOCOL_ERROR, f"property 0x{ident:02X} appears twice")
        setattr(props, attr, value_read)
    if pos != end:
        raise MalformedError("a property runs past the end of the property block")
    return props, pos


def encode_properties(props: Properties, packet_type: int) -> bytes:
    """The property block (length first) of the properties `packet_type` may carry."""
    values = _VALUES[packet_type](props)[:-1]  # (the extra user_properties keeps it a tuple)
    if values.count(None) + values.count([]) == len(values):
        return b"\x00"
    parts: list[bytes] = []
    for (ident, kind), value in zip(_ENCODE[packet_type], values, strict=True):
        if value is None:
            continue
        if kind == PAIR:
            for key, val in value:
                parts += (ident, encode_str(key), encode_str(val))
        elif kind == VARINT:
            for number in value:
                parts += (ident, encode_varint(number))
        elif kind == BYTE:
            parts += (ident, bytes((value,)))
        elif kind == U16:
            parts += (ident, pack_u16(value))
        elif kind == U32:
            parts += (ident, pack_u32(value))
        elif kind == STR:
            parts += (ident, encode_str(value))
        else:
            parts += (ident, encode_binary(value))
    if not parts:
        return b"\x00"
    block = b"".join(parts)
    return encode_varint(len(block)) + block
