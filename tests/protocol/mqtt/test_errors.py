"""Broken input: each case raises MqttProtocolError with the code MQTT 5 gives it, and the connection
stays failed."""

from __future__ import annotations

import pytest

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.encoder import encode
from headwater.protocol.mqtt.packets import (
    Connack,
    Connect,
    MqttProtocolError,
    Properties,
    Publish,
    Subscribe,
    SubscriptionOptions,
)
from headwater.protocol.mqtt.wire import encode_varint


def frame(first_byte: int, body: bytes) -> bytes:
    return bytes((first_byte,)) + encode_varint(len(body)) + body


def s(text: bytes) -> bytes:
    return len(text).to_bytes(2, "big") + text


def connected(level: int = 5, alias_maximum: int | None = None, **kwargs: int) -> MqttConnection:
    server = MqttConnection(**kwargs)  # type: ignore[arg-type]
    server.receive_data(encode(Connect("c", protocol_level=level), level))
    assert isinstance(server.next_packet(), Connect)
    server.send(Connack(properties=Properties(topic_alias_maximum=alias_maximum)))
    return server


def refused(server: MqttConnection, data: bytes, reason_code: int) -> MqttProtocolError:
    server.receive_data(data)
    with pytest.raises(MqttProtocolError) as info:
        server.next_packet()
    assert info.value.reason_code == reason_code, info.value.message
    with pytest.raises(MqttProtocolError) as again:  # the connection stays failed
        server.next_packet()
    assert again.value is info.value
    return info.value


def test_first_packet_must_be_connect() -> None:
    error = refused(MqttConnection(), b"\xc0", rc.PROTOCOL_ERROR)  # PINGREQ, refused from its first byte
    assert error.connack_code is None


def test_second_connect() -> None:
    refused(connected(4), encode(Connect("again"), 4), rc.PROTOCOL_ERROR)


@pytest.mark.parametrize(
    ("name", "level"), [(b"MQTT", 6), (b"MQTT", 3), (b"MQIsdp", 4), (b"MQTT", 0), (b"MQTT", 255)]
)
def test_unknown_protocol_level(name: bytes, level: int) -> None:
    server = MqttConnection()
    error = refused(
        server, frame(0x10, s(name) + bytes((level, 2, 0, 60)) + s(b"c")), rc.UNSUPPORTED_PROTOCOL_VERSION
    )
    assert error.connack_code == 1
    assert server.protocol_level is None


def test_not_mqtt() -> None:
    error = refused(
        MqttConnection(), frame(0x10, s(b"HTTP") + bytes((4, 2, 0, 60)) + s(b"c")), rc.PROTOCOL_ERROR
    )
    assert error.connack_code is None


def test_level_is_known_when_the_rest_of_connect_is_bad() -> None:
    server = MqttConnection()
    refused(server, frame(0x10, s(b"MQTT") + bytes((5, 3, 0, 60, 0)) + s(b"c")), rc.MALFORMED_PACKET)
    assert server.protocol_level == 5


@pytest.mark.parametrize(
    "connect_body",
    [
        s(b"MQTT") + bytes((4, 0x03, 0, 60)) + s(b"c"),  # reserved flag bit
        s(b"MQTT") + bytes((4, 0x1E, 0, 60)) + s(b"c"),  # will QoS 3
        s(b"MQTT") + bytes((4, 0x22, 0, 60)) + s(b"c"),  # will retain without a will
        s(b"MQTT") + bytes((4, 0x42, 0, 60)) + s(b"c") + s(b"pw"),  # 3.1.1: password without user name
        s(b"MQTT") + bytes((4, 0x02, 0, 60)) + s(b"c") + b"\x00",  # a trailing byte
        s(b"MQTT") + bytes((4, 0x02, 0, 60)) + s(b"c\xff"),  # not UTF-8
        s(b"MQTT") + bytes((4, 0x02, 0, 60)) + s(b"c\xed\xa0\x80"),  # a surrogate
        s(b"MQTT") + bytes((4, 0x02, 0, 60)) + s(b"c\x00"),  # U+0000
        s(b"MQTT") + bytes((4, 0x82, 0, 60)) + s(b"c") + s(b"u\xc0\x80"),  # overlong NUL in the user name
        s(b"MQTT") + bytes((4, 0x02, 0, 60)) + b"\x00\x09c",  # the client id runs past the end
        s(b"MQTT") + bytes((5, 0x02, 0, 60)) + b"\x02\x11\x00" + s(b"c"),  # a property past its block
    ],
)
def test_malformed_connect(connect_body: bytes) -> None:
    refused(MqttConnection(), frame(0x10, connect_body), rc.MALFORMED_PACKET)


def test_empty_client_id_without_clean_session_in_311() -> None:
    error = refused(
        MqttConnection(),
        frame(0x10, s(b"MQTT") + bytes((4, 0, 0, 60)) + s(b"")),
        rc.CLIENT_IDENTIFIER_NOT_VALID,
    )
    assert error.connack_code == 2
    server = MqttConnection()  # MQTT 5 lets the server assign one
    server.receive_data(frame(0x10, s(b"MQTT") + bytes((5, 0, 0, 60, 0)) + s(b"")))
    assert isinstance(server.next_packet(), Connect)


@pytest.mark.parametrize("level", [4, 5])
def test_remaining_length_of_five_bytes(level: int) -> None:
    server = connected(level)
    server.receive_data(b"\x30\xff\xff\xff")
    assert server.next_packet() is None  # four bytes may still end
    refused(server, b"\xff", rc.MALFORMED_PACKET)


@pytest.mark.parametrize("first_byte", [0x00, 0x41, 0x62 ^ 0x02, 0x80, 0xA0, 0xC1, 0xE8, 0x36, 0x3E])
def test_reserved_flags_type_0_and_qos_3(first_byte: int) -> None:
    refused(connected(5), bytes((first_byte,)), rc.MALFORMED_PACKET)


@pytest.mark.parametrize("first_byte", [0x20, 0x90, 0xB0, 0xD0])
def test_server_packets_from_a_client(first_byte: int) -> None:
    refused(connected(5), bytes((first_byte, 0)), rc.PROTOCOL_ERROR)


@pytest.mark.parametrize("level", [4, 5])
@pytest.mark.parametrize("kind", ["publish", "puback", "pubrel", "subscribe", "unsubscribe"])
def test_packet_id_zero(level: int, kind: str) -> None:
    props = b"\x00" if level == 5 else b""
    packet = {
        "publish": frame(0x32, s(b"t") + b"\x00\x00" + props),
        "puback": frame(0x40, b"\x00\x00"),
        "pubrel": frame(0x62, b"\x00\x00"),
        "subscribe": frame(0x82, b"\x00\x00" + props + s(b"a") + b"\x00"),
        "unsubscribe": frame(0xA2, b"\x00\x00" + props + s(b"a")),
    }[kind]
    refused(connected(level), packet, rc.PROTOCOL_ERROR)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\x00\x01\x00" + s(b"") + b"\x00", rc.PROTOCOL_ERROR),  # an empty filter
        (b"\x00\x01\x00", rc.PROTOCOL_ERROR),  # no filters
        (b"\x00\x01\x00" + s(b"a") + b"\x03", rc.MALFORMED_PACKET),  # QoS 3
        (b"\x00\x01\x00" + s(b"a") + b"\x40", rc.MALFORMED_PACKET),  # reserved option bits
        (b"\x00\x01\x00" + s(b"a") + b"\x30", rc.PROTOCOL_ERROR),  # retain handling 3
        (
            b"\x00\x01\x00" + s(b"$share/g/a") + b"\x04",
            rc.PROTOCOL_ERROR,
        ),  # no local on a shared subscription
        (b"\x00\x01\x00" + s(b"a"), rc.MALFORMED_PACKET),  # no options byte
        (
            b"\x00\x01\x04\x0b\x01\x0b\x02" + s(b"a") + b"\x00",
            rc.PROTOCOL_ERROR,
        ),  # two subscription identifiers
        (b"\x00\x01\x02\x0b\x00" + s(b"a") + b"\x00", rc.PROTOCOL_ERROR),  # subscription identifier 0
        (b"\x00\x01\x02\x23\x00" + s(b"a") + b"\x00", rc.MALFORMED_PACKET),  # a PUBLISH property on SUBSCRIBE
    ],
)
def test_bad_subscribe(body: bytes, code: int) -> None:
    refused(connected(5), frame(0x82, body), code)


def test_bad_subscribe_311() -> None:
    refused(
        connected(4), frame(0x82, b"\x00\x01" + s(b"a") + b"\x04"), rc.MALFORMED_PACKET
    )  # no local in 3.1.1
    refused(connected(4), frame(0xA2, b"\x00\x01" + s(b"")), rc.PROTOCOL_ERROR)


@pytest.mark.parametrize("topic", [b"a/+/b", b"a/#", b"#", b"+"])
def test_wildcards_in_a_topic_name(topic: bytes) -> None:
    refused(connected(5), frame(0x30, s(topic) + b"\x00payload"), rc.PROTOCOL_ERROR)
    refused(connected(4), frame(0x30, s(topic) + b"payload"), rc.PROTOCOL_ERROR)


@pytest.mark.parametrize("topic", [b"a\x00b", b"a\xffb", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xf4\x90\x80\x80"])
def test_bad_utf8_in_a_topic_name(topic: bytes) -> None:
    refused(connected(5), frame(0x30, s(topic) + b"\x00"), rc.MALFORMED_PACKET)


@pytest.mark.parametrize(
    ("properties", "code"),
    [
        (b"\x11\x00\x00\x00\x01", rc.MALFORMED_PACKET),  # session expiry is not a PUBLISH property
        (b"\x7f\x00", rc.MALFORMED_PACKET),  # no such property
        (b"\x02\x00\x00\x00\x01\x02\x00\x00\x00\x02", rc.PROTOCOL_ERROR),  # message expiry twice
        (b"\x01\x02", rc.PROTOCOL_ERROR),  # payload format indicator 2
        (b"\x03" + s(b"\xff"), rc.MALFORMED_PACKET),  # content type not UTF-8
        (b"\x26" + s(b"k") + s(b"v\x00"), rc.MALFORMED_PACKET),  # U+0000 in a user property
        (b"\x02\x00\x00", rc.MALFORMED_PACKET),  # a four-byte integer cut short by the block's end
    ],
)
def test_bad_properties(properties: bytes, code: int) -> None:
    body = s(b"t") + encode_varint(len(properties)) + properties + b"payload"
    refused(connected(5), frame(0x30, body), code)


def test_repeated_user_properties_are_fine() -> None:
    properties = b"\x26" + s(b"k") + s(b"v") + b"\x26" + s(b"k") + s(b"v")
    server = connected(5)
    server.receive_data(frame(0x30, s(b"t") + encode_varint(len(properties)) + properties))
    packet = server.next_packet()
    assert isinstance(packet, Publish) and packet.properties.user_properties == [("k", "v"), ("k", "v")]


def test_bad_reason_codes() -> None:
    refused(connected(5), frame(0x40, b"\x00\x01\x92"), rc.PROTOCOL_ERROR)  # PUBACK: a PUBREL code
    refused(connected(5), frame(0xE0, b"\x01"), rc.PROTOCOL_ERROR)
    refused(connected(5), frame(0xF0, b"\x05"), rc.PROTOCOL_ERROR)


def test_trailing_bytes() -> None:
    refused(connected(4), frame(0x40, b"\x00\x01\x00"), rc.MALFORMED_PACKET)  # PUBACK in 3.1.1 is two bytes
    refused(connected(5), frame(0xC0, b"\x00"), rc.MALFORMED_PACKET)
    refused(connected(4), frame(0xE0, b"\x00"), rc.MALFORMED_PACKET)
    refused(connected(4), frame(0xF0, b""), rc.MALFORMED_PACKET)  # AUTH does not exist in 3.1.1


def test_dup_on_qos_0() -> None:
    refused(connected(5), frame(0x38, s(b"t") + b"\x00"), rc.PROTOCOL_ERROR)


def test_empty_topic_without_alias() -> None:
    refused(connected(5), frame(0x30, s(b"") + b"\x00x"), rc.PROTOCOL_ERROR)
    refused(connected(4), frame(0x30, s(b"") + b"x"), rc.PROTOCOL_ERROR)


def test_subscription_identifier_from_a_client() -> None:
    refused(connected(5), frame(0x30, s(b"t") + b"\x02\x0b\x01"), rc.PROTOCOL_ERROR)


def test_packet_too_large_is_refused_from_the_header() -> None:
    server = connected(5, max_packet_size=1000)
    server.receive_data(b"\x30")
    assert server.next_packet() is None
    refused(server, b"\xe6\x07", rc.PACKET_TOO_LARGE)  # remaining length 998 + 3 header bytes
    server = connected(5, max_packet_size=1000)
    server.receive_data(b"\x30\xe5\x07" + s(b"t") + b"\x00" + b"x" * 994)
    assert isinstance(server.next_packet(), Publish)  # exactly 1000 bytes
    # A large CONNECT is refused before the handshake too.
    refused(MqttConnection(max_packet_size=100), b"\x10\xff\xff\x7f", rc.PACKET_TOO_LARGE)


def test_our_connack_lowers_the_limit() -> None:
    server = MqttConnection(max_packet_size=10_000)
    server.receive_data(encode(Connect("c", protocol_level=5), 5))
    server.next_packet()
    server.send(Connack(properties=Properties(maximum_packet_size=500)))
    assert server.max_packet_size == 500
    refused(server, encode(Publish("t", b"x" * 500), 5), rc.PACKET_TOO_LARGE)


def test_topic_aliases() -> None:
    server = connected(5, alias_maximum=2)
    server.receive_data(encode(Publish("a/b", b"1", properties=Properties(topic_alias=2)), 5))
    server.receive_data(encode(Publish("", b"2", properties=Properties(topic_alias=2)), 5))
    server.receive_data(encode(Publish("c", b"3", properties=Properties(topic_alias=2)), 5))  # rebinds
    server.receive_data(encode(Publish("", b"4", properties=Properties(topic_alias=2)), 5))
    topics = []
    while isinstance(packet := server.next_packet(), Publish):
        assert packet.properties.topic_alias is None
        topics.append(packet.topic)
    assert topics == ["a/b", "a/b", "c", "c"]
    refused(
        connected(5, alias_maximum=2), encode(Publish("t", properties=Properties(topic_alias=3)), 5), 0x94
    )
    refused(
        connected(5, alias_maximum=2), encode(Publish("t", properties=Properties(topic_alias=0)), 5), 0x94
    )
    refused(connected(5, alias_maximum=2), encode(Publish("", properties=Properties(topic_alias=1)), 5), 0x94)
    refused(
        connected(5), encode(Publish("t", properties=Properties(topic_alias=1)), 5), 0x94
    )  # none announced


def test_peer_limits_are_recorded() -> None:
    server = MqttConnection()
    props = Properties(maximum_packet_size=4096, topic_alias_maximum=7)
    server.receive_data(encode(Connect("c", protocol_level=5, properties=props), 5))
    server.next_packet()
    assert (server.peer_max_packet_size, server.peer_topic_alias_maximum) == (4096, 7)


def test_client_role() -> None:
    client = MqttConnection(server=False)
    refused(client, b"\x20\x02\x00\x00", rc.PROTOCOL_ERROR)  # nothing before our CONNECT
    client = MqttConnection(server=False)
    client.send(Connect("c"))
    refused(client, b"\x30\x03\x00\x01t", rc.PROTOCOL_ERROR)  # CONNACK first
    client = MqttConnection(server=False)
    client.send(Connect("c"))
    client.receive_data(b"\x20\x02\x00\x00")
    assert client.next_packet() == Connack()
    refused(client, encode(Subscribe(1, [("a", SubscriptionOptions())]), 4), rc.PROTOCOL_ERROR)


def test_a_client_announces_its_own_limits() -> None:
    client = MqttConnection(server=False)
    client.send(
        Connect("c", protocol_level=5, properties=Properties(maximum_packet_size=64, topic_alias_maximum=1))
    )
    client.receive_data(
        encode(Connack(properties=Properties(topic_alias_maximum=5, maximum_packet_size=999)), 5)
    )
    assert client.next_packet() is not None
    assert (client.peer_topic_alias_maximum, client.peer_max_packet_size) == (5, 999)
    client.receive_data(encode(Publish("t", properties=Properties(topic_alias=1)), 5))
    assert isinstance(client.next_packet(), Publish)
    refused(client, encode(Publish("t", b"x" * 64), 5), rc.PACKET_TOO_LARGE)


def test_nothing_after_disconnect() -> None:
    server = connected(5)
    server.receive_data(b"\xe0\x00")
    assert server.next_packet() is not None
    refused(server, b"\xc0\x00", rc.PROTOCOL_ERROR)


def test_authentication_data_without_a_method() -> None:
    props = b"\x04\x16\x00\x01x"
    refused(
        MqttConnection(), frame(0x10, s(b"MQTT") + bytes((5, 2, 0, 60)) + props + s(b"c")), rc.PROTOCOL_ERROR
    )
