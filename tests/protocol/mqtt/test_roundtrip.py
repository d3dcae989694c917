"""Every packet type, in each protocol version, encoded by one role and decoded by the other."""

from __future__ import annotations

import pytest

from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.packets import Connack, Connect, Packet, Properties, Publish
from tests.protocol.mqtt.samples import from_client, from_server


def _decode_all(connection: MqttConnection, data: bytes) -> list[Packet]:
    connection.receive_data(data)
    packets = []
    while (packet := connection.next_packet()) is not None:
        packets.append(packet)
    return packets


@pytest.mark.parametrize("level", [3, 4, 5])
def test_client_packets_round_trip(level: int) -> None:
    client, server = MqttConnection(server=False), MqttConnection()
    packets = from_client(level)
    data = b"".join(client.send(packet) for packet in packets)
    assert client.protocol_level == level
    assert _decode_all(server, data) == packets
    assert server.protocol_level == level


@pytest.mark.parametrize("level", [3, 4, 5])
def test_server_packets_round_trip(level: int) -> None:
    client, server = MqttConnection(server=False), MqttConnection()
    server.receive_data(
        client.send(Connect("c", protocol_level=level, properties=Properties(topic_alias_maximum=8)))
    )
    assert server.next_packet() is not None
    packets = from_server(level)
    received = _decode_all(client, b"".join(server.send(packet) for packet in packets))
    # The client resolved the topic alias and took it out of the properties: it never leaves the hop.
    packets[1].properties.topic_alias = None
    assert received == packets


@pytest.mark.parametrize("level", [3, 4, 5])
def test_byte_at_a_time(level: int) -> None:
    client, server = MqttConnection(server=False), MqttConnection()
    packets = from_client(level)
    data = b"".join(client.send(packet) for packet in packets)
    received: list[Packet] = []
    for i in range(len(data)):
        server.receive_data(data[i : i + 1])
        while (packet := server.next_packet()) is not None:
            received.append(packet)
    assert received == packets


def test_many_small_packets_in_one_read_and_one_big_packet_in_many() -> None:
    client, server = MqttConnection(server=False), MqttConnection()
    server.receive_data(client.send(Connect("c", protocol_level=5)))
    assert server.next_packet() is not None
    small = client.send(Publish("t", b"x", qos=1, packet_id=1))
    server.receive_data(small * 100_000)
    count = 0
    while server.next_packet() is not None:
        count += 1
    assert count == 100_000
    big = client.send(Publish("t", b"y" * 5_000_000))
    for i in range(0, len(big), 1000):
        assert server.next_packet() is None
        server.receive_data(big[i : i + 1000])
    packet = server.next_packet()
    assert isinstance(packet, Publish) and len(packet.payload) == 5_000_000


def test_connack_before_the_level_is_known_is_311() -> None:
    assert MqttConnection().send(Connack(reason_code=1)) == b"\x20\x02\x00\x01"
