"""Packets to bytes, for protocol level 3 or 4 (MQTT 3.1 and 3.1.1: no properties, no reason codes
on acknowledgements) or 5.

A value the wire cannot carry (a string over 65,535 bytes, a QoS 1 PUBLISH without a packet
identifier, AUTH to a 3.1.1 peer) is the caller's bug and raises ValueError. MQTT 5 acknowledgements
with reason 0 and no properties take the short form the spec allows (just the packet identifier).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwater.protocol.mqtt.packets import (
    AUTH,
    CONNACK,
    CONNECT,
    DISCONNECT,
    MQTT_5,
    NO_PROPERTIES,
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
    Packet,
    Pingreq,
    Pingresp,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    Unsuback,
    Unsubscribe,
)
from headwater.protocol.mqtt.properties import WILL, encode_properties
from headwater.protocol.mqtt.wire import encode_binary, encode_str, encode_varint, fixed_header, pack_u16

_EMPTY = b"\x00"  # an empty property block
_TOPICS: dict[str, bytes] = {}  # topic -> its length and UTF-8 bytes, for `encode_publish`
_TOPICS_KEPT = 4096  # (then the cache starts over: a bound, not an eviction policy)
_TOPIC_KEPT_BYTES = 256  # AWS IoT's longest topic; longer ones are encoded each time


def encode(packet: Packet, protocol_level: int) -> bytes:
    """The bytes of `packet` for a peer speaking `protocol_level` (3, 4 or 5). A CONNECT is encoded
    for its own `protocol_level`, named "MQIsdp" at level 3 and "MQTT" otherwise."""
    try:
        encoder = _ENCODERS[type(packet)]
    except KeyError:
        raise TypeError(f"not an MQTT packet: {packet!r}") from None
    return encoder(packet, protocol_level == MQTT_5)


def _join(first_byte: int, parts: list[bytes]) -> bytes:
    length = 0
    for part in parts:
        length += len(part)
    return fixed_header(first_byte, length) + b"".join(parts)


def _packet_id(packet_id: int | None) -> bytes:
    if packet_id is None or not 0 < packet_id <= 0xFFFF:
        raise ValueError(f"packet identifier {packet_id!r} is not 1-65535")
    return pack_u16(packet_id)


def encode_publish(p: Publish, v5: bool) -> bytes:
    """`encode` for a PUBLISH, the hot path of every delivery: concatenation rather than a list of
    parts and a join, and the topic's first bytes cached."""
    head = _TOPICS.get(p.topic)
    if head is None:
        head = _topic_head(p.topic)
    qos = p.qos
    if qos:
        if not 0 < qos <= 2:
            raise ValueError(f"QoS {qos} is not 0, 1 or 2")
        head += _packet_id(p.packet_id)
    if v5:
        props = p.properties
        head += _EMPTY if props is NO_PROPERTIES else encode_properties(props, PUBLISH)
    payload = p.payload
    length = len(head) + len(payload)
    first = 0x30 | p.dup << 3 | qos << 1 | p.retain
    if length < 0x80:
        return bytes((first, length)) + head + payload
    return bytes((first,)) + encode_varint(length) + head + payload


def _topic_head(topic: str) -> bytes:
    """A topic name as a PUBLISH starts with it (two-byte length, UTF-8), kept for the next one."""
    data = topic.encode()
    if len(data) > 0xFFFF:
        raise ValueError("a topic is at most 65,535 bytes")
    head = pack_u16(len(data)) + data
    if len(data) <= _TOPIC_KEPT_BYTES:
        if len(_TOPICS) >= _TOPICS_KEPT:
            _TOPICS.clear()
        _TOPICS[topic] = head
    return head


def encode_puback(p: Puback, v5: bool) -> bytes:
    """`encode` for a PUBACK, the hot path of QoS 1 ingest: one success without properties (every
    3.1.1 one) is four bytes."""
    if not v5 or (not p.reason_code and p.properties is NO_PROPERTIES):
        packet_id = p.packet_id
        if type(packet_id) is not int or not 0 < packet_id <= 0xFFFF:
            raise ValueError(f"packet identifier {packet_id!r} is not 1-65535")
        return bytes((0x40, 2, packet_id >> 8, packet_id & 0xFF))
    return _encode_ack(p, v5)


def _connect(p: Connect, _v5: bool) -> bytes:
    v5 = p.protocol_level == MQTT_5
    flags = 0x02 if p.clean_start else 0
    if p.username is not None:
        flags |= 0x80
    if p.password is not None:
        flags |= 0x40
    will = p.will
    if will is not None:
        flags |= 0x04 | will.qos << 3 | will.retain << 5
    name = "MQIsdp" if p.protocol_level == 3 else "MQTT"
    parts = [encode_str(name), bytes((p.protocol_level, flags)), pack_u16(p.keep_alive)]
    if v5:
        parts.append(encode_properties(p.properties, CONNECT))
    parts.append(encode_str(p.client_id))
    if will is not None:
        if v5:
            parts.append(encode_properties(will.properties, WILL))
        parts += (encode_str(will.topic), encode_binary(will.payload))
    if p.username is not None:
        parts.append(encode_str(p.username))
    if p.password is not None:
        parts.append(encode_binary(p.password))
    return _join(CONNECT << 4, parts)


def _connack(p: Connack, v5: bool) -> bytes:
    parts = [bytes((int(p.session_present), p.reason_code))]
    if v5:
        parts.append(encode_properties(p.properties, CONNACK))
    return _join(CONNACK << 4, parts)


def _ack(packet_type: int, first_byte: int) -> Callable[[Any, bool], bytes]:
    def encode_ack(p: Puback | Pubrec | Pubrel | Pubcomp, v5: bool) -> bytes:
        parts = [_packet_id(p.packet_id)]
        if v5:
            props = encode_properties(p.properties, packet_type)
            if props != _EMPTY:
                parts += (bytes((p.reason_code,)), props)
            elif p.reason_code:
                parts.append(bytes((p.reason_code,)))
        return _join(first_byte, parts)

    return encode_ack


def _subscribe(p: Subscribe, v5: bool) -> bytes:
    parts = [_packet_id(p.packet_id)]
    if v5:
        parts.append(encode_properties(p.properties, SUBSCRIBE))
    for topic_filter, o in p.subscriptions:
        options = o.qos
        if v5:
            options |= o.no_local << 2 | o.retain_as_published << 3 | o.retain_handling << 4
        parts += (encode_str(topic_filter), bytes((options,)))
    return _join(SUBSCRIBE << 4 | 0x02, parts)


def _suback(p: Suback, v5: bool) -> bytes:
    parts = [_packet_id(p.packet_id)]
    if v5:
        parts.append(encode_properties(p.properties, SUBACK))
    parts.append(bytes(p.reason_codes))
    return _join(SUBACK << 4, parts)


def _unsubscribe(p: Unsubscribe, v5: bool) -> bytes:
    parts = [_packet_id(p.packet_id)]
    if v5:
        parts.append(encode_properties(p.properties, UNSUBSCRIBE))
    parts += (encode_str(topic_filter) for topic_filter in p.topic_filters)
    return _join(UNSUBSCRIBE << 4 | 0x02, parts)


def _unsuback(p: Unsuback, v5: bool) -> bytes:
    parts = [_packet_id(p.packet_id)]
    if v5:
        parts += (encode_properties(p.properties, UNSUBACK), bytes(p.reason_codes))
    return _join(UNSUBACK << 4, parts)


def _disconnect(p: Disconnect, v5: bool) -> bytes:
    if not v5:
        return b"\xe0\x00"
    return _reason_and_properties(DISCONNECT, p.reason_code, encode_properties(p.properties, DISCONNECT))


def _auth(p: Auth, v5: bool) -> bytes:
    if not v5:
        raise ValueError("AUTH exists only in MQTT 5")
    return _reason_and_properties(AUTH, p.reason_code, encode_properties(p.properties, AUTH))


def _reason_and_properties(packet_type: int, reason_code: int, props: bytes) -> bytes:
    if props != _EMPTY:
        return _join(packet_type << 4, [bytes((reason_code,)), props])
    if reason_code:
        return bytes((packet_type << 4, 1, reason_code))
    return bytes((packet_type << 4, 0))


_encode_ack = _ack(PUBACK, PUBACK << 4)

_ENCODERS: dict[type, Callable[[Any, bool], bytes]] = {
    Publish: encode_publish,
    Puback: encode_puback,
    Connect: _connect,
    Connack: _connack,
    Pubrec: _ack(PUBREC, PUBREC << 4),
    Pubrel: _ack(PUBREL, PUBREL << 4 | 0x02),
    Pubcomp: _ack(PUBCOMP, PUBCOMP << 4),
    Subscribe: _subscribe,
    Suback: _suback,
    Unsubscribe: _unsubscribe,
    Unsuback: _unsuback,
    Pingreq: lambda p, v5: b"\xc0\x00",
    Pingresp: lambda p, v5: b"\xd0\x00",
    Disconnect: _disconnect,
    Auth: _auth,
}
