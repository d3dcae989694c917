"""MQTT 5 properties against paho-mqtt's own property table and codec: which packet may carry which
property, and every property of every packet type packed by one side and read by the other."""

from __future__ import annotations

from typing import Any

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties as PahoProperties

from headwater.protocol.mqtt.packets import (
    AUTH,
    CONNACK,
    CONNECT,
    DISCONNECT,
    PINGREQ,
    PINGRESP,
    PUBLISH,
    SUBSCRIBE,
    Properties,
)
from headwater.protocol.mqtt.properties import (
    BIN,
    BYTE,
    PAIR,
    STR,
    TABLE,
    U16,
    U32,
    VARINT,
    WILL,
    decode_properties,
    encode_properties,
)

PAHO_WILL = PacketTypes.WILLMESSAGE
PACKET_TYPES = [
    t for t in (*range(CONNECT, AUTH + 1), WILL) if t not in (PINGREQ, PINGRESP)
]  # those have none
SAMPLES: dict[int, Any] = {
    BYTE: 1, U16: 300, U32: 70_000, VARINT: [200], STR: "ünï", BIN: b"\x00\xff", PAIR: [("a", "b"), ("a", "c")]
}  # fmt: skip


def _paho_name(attribute: str) -> str:
    special = {"maximum_qos": "MaximumQoS", "subscription_identifiers": "SubscriptionIdentifier",
               "user_properties": "UserProperty"}  # fmt: skip
    return special.get(attribute) or "".join(word.capitalize() for word in attribute.split("_"))


def test_which_packet_carries_which_property_matches_paho() -> None:
    paho_table = PahoProperties(PacketTypes.CONNECT).properties
    ours = {ident: (attribute, set(types)) for ident, attribute, _, _, types in TABLE}
    assert set(paho_table) == set(ours)
    for ident, (_, paho_types) in paho_table.items():
        assert {WILL if t == PAHO_WILL else t for t in paho_types} == ours[ident][1], hex(ident)
        assert PahoProperties(PacketTypes.CONNECT).getNameFromIdent(ident).replace(" ", "") == _paho_name(
            ours[ident][0]
        )


def _full(packet_type: int) -> tuple[Properties, PahoProperties]:
    """Every property `packet_type` may carry, set, on both sides."""
    ours = Properties()
    paho = PahoProperties(PAHO_WILL if packet_type == WILL else packet_type)
    for _, attribute, kind, _, types in TABLE:
        if packet_type not in types:
            continue
        value = SAMPLES[kind]
        if attribute == "subscription_identifiers" and packet_type == PUBLISH:
            value = [200, 268_435_455]
        setattr(ours, attribute, list(value) if isinstance(value, list) else value)
        if kind == VARINT:
            for number in value:
                setattr(paho, _paho_name(attribute), number)
        else:
            setattr(paho, _paho_name(attribute), value)
    return ours, paho


@pytest.mark.parametrize("packet_type", PACKET_TYPES)
def test_paho_packs_we_read(packet_type: int) -> None:
    ours, paho = _full(packet_type)
    assert decode_properties(paho.pack(), 0, packet_type) == (ours, len(paho.pack()))


@pytest.mark.parametrize("packet_type", PACKET_TYPES)
def test_we_pack_paho_reads(packet_type: int) -> None:
    ours, paho = _full(packet_type)
    data = encode_properties(ours, packet_type)
    read, length = PahoProperties(PAHO_WILL if packet_type == WILL else packet_type).unpack(data)
    assert length == len(data)
    assert read.json() == paho.json()


def test_types_without_properties_in_paho_are_ours_too() -> None:
    for packet_type in (CONNECT, CONNACK, PUBLISH, SUBSCRIBE, DISCONNECT, AUTH):
        assert encode_properties(Properties(), packet_type) == b"\x00"
