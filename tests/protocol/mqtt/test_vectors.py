"""Byte-exact packets written by hand from the MQTT 3.1.1 and 5.0 specifications' layouts, encoded and
decoded both ways."""

from __future__ import annotations

import pytest

from headwater.protocol.mqtt.decoder import decode
from headwater.protocol.mqtt.encoder import encode
from headwater.protocol.mqtt.packets import (
    Connack,
    Connect,
    Disconnect,
    Packet,
    Pingreq,
    Properties,
    Puback,
    Publish,
    Suback,
    Subscribe,
    SubscriptionOptions,
    Unsuback,
    Will,
)
from headwater.protocol.mqtt.wire import encode_varint, read_varint

VECTORS: list[tuple[int, Packet, str]] = [
    # 3.1.1 CONNECT: "MQTT", level 4, clean session, keep alive 60, client id "abc"
    (4, Connect("abc", keep_alive=60), "10 0f 0004 4d515454 04 02 003c 0003 616263"),
    # 3.1 CONNECT: "MQIsdp", level 3
    (3, Connect("abc", protocol_level=3, keep_alive=60, protocol_name="MQIsdp"),
     "10 11 0006 4d5149736470 03 02 003c 0003 616263"),
    # 3.1.1 CONNECT with will (QoS 1, retain), user name and password; flags 1110 1110
    (4, Connect("c", clean_start=True, keep_alive=10, username="u", password=b"p",
                will=Will("w", b"x", qos=1, retain=True)),
     "10 19 0004 4d515454 04 ee 000a 0001 63 0001 77 0001 78 0001 75 0001 70"),
    # 5 CONNECT: session expiry interval 10 (property 0x11, four bytes)
    (5, Connect("abc", protocol_level=5, keep_alive=60, properties=Properties(session_expiry_interval=10)),
     "10 15 0004 4d515454 05 02 003c 05 11 0000000a 0003 616263"),
    # 3.1.1 CONNACK: session present, accepted
    (4, Connack(session_present=True), "20 02 01 00"),
    # 5 CONNACK: topic alias maximum 10 (0x22, two bytes)
    (5, Connack(session_present=True, properties=Properties(topic_alias_maximum=10)), "20 06 01 00 03 22 000a"),
    # 3.1.1 PUBLISH QoS 1 "a/b" id 10 payload "hi": 0011 0010
    (4, Publish("a/b", b"hi", qos=1, packet_id=10), "32 09 0003 612f62 000a 6869"),
    # 5 PUBLISH QoS 0 retain "t", message expiry 1, payload "x"
    (5, Publish("t", b"x", retain=True, properties=Properties(message_expiry_interval=1)),
     "31 0a 0001 74 05 02 00000001 78"),
    # 5 PUBLISH with a user property and two-byte remaining length (200-byte payload)
    (5, Publish("t", b"\xaa" * 200, properties=Properties(user_properties=[("k", "v")])),
     "30 d3 01 0001 74 07 26 0001 6b 0001 76" + "aa" * 200),
    # 5 PUBACK, reason "no matching subscribers"
    (5, Puback(5, reason_code=0x10), "40 03 0005 10"),
    (5, Puback(5), "40 02 0005"),
    # 5 SUBSCRIBE "a/#": QoS 1, no local, retain as published, retain handling 2 -> options 0010 1101
    (5, Subscribe(1, [("a/#", SubscriptionOptions(qos=1, no_local=True, retain_as_published=True,
                                                   retain_handling=2))]),
     "82 09 0001 00 0003 612f23 2d"),
    (4, Subscribe(2, [("a", SubscriptionOptions(qos=2)), ("b", SubscriptionOptions())]),
     "82 0a 0002 0001 61 02 0001 62 00"),
    (4, Suback(1, [1, 0x80]), "90 04 0001 01 80"),
    (5, Unsuback(3, [0x00, 0x11]), "b0 05 0003 00 00 11"),
    (4, Pingreq(), "c0 00"),
    (5, Disconnect(0x8E), "e0 01 8e"),
    (4, Disconnect(), "e0 00"),
]  # fmt: skip


@pytest.mark.parametrize(("level", "packet", "hex_bytes"), VECTORS)
def test_vector(level: int, packet: Packet, hex_bytes: str) -> None:
    data = bytes.fromhex(hex_bytes)
    assert encode(packet, level) == data
    _, body_start = read_varint(data, 1)
    assert decode(data[0], data[body_start:], level) == packet


@pytest.mark.parametrize(
    ("value", "hex_bytes"),
    [(0, "00"), (127, "7f"), (128, "8001"), (16_383, "ff7f"), (16_384, "808001"), (2_097_151, "ffff7f"),
     (2_097_152, "80808001"), (268_435_455, "ffffff7f")],
)  # fmt: skip
def test_variable_byte_integer(value: int, hex_bytes: str) -> None:
    assert encode_varint(value) == bytes.fromhex(hex_bytes)
    assert read_varint(bytes.fromhex(hex_bytes), 0) == (value, len(hex_bytes) // 2)


def test_variable_byte_integer_range() -> None:
    with pytest.raises(ValueError):
        encode_varint(268_435_456)
