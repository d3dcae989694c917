"""The connection driver over the plain port: CONNECT first and in time, packets in order, awaited
storage, keep-alive, protocol errors with their reason codes, the broker closing a client."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from headwater.listeners.mqtt import connection
from headwater.protocol.mqtt import packets as p
from headwater.protocol.mqtt import reason_codes as rc
from tests.listeners.mqtt.fakes import Broker, Client, listener, port_of


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(broker: Broker, scenario: Any) -> None:
    async def main() -> None:
        gateway = listener(broker, None, mqtt_port=free_port())
        gateway.preflight()
        await gateway.start()
        try:
            await scenario(port_of(gateway, "plain"))
        finally:
            await gateway.stop()

    asyncio.run(main())


async def until(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_connect_publish_ping_disconnect() -> None:
    broker = Broker()

    async def scenario(port: int) -> None:
        client = await Client.open(port)
        assert await client.connect() == p.Connack(False, 0)
        client.send(p.Publish("a/b", b"x", qos=1, packet_id=7))
        assert await client.next() == p.Publish("a/b", b"x")  # the echo, then the stored ack
        assert await client.next() == p.Puback(7)
        client.send(p.Pingreq())
        assert await client.next() == p.Pingresp()
        client.send(p.Disconnect())
        assert await client.next() is None
        await until(lambda: broker.ended == [(0, True)])
        assert broker.peers[0].transport == "tcp" and broker.peers[0].remote_address.startswith("127.0.0.1:")

    run(broker, scenario)


def test_packets_keep_their_order_while_storage_is_awaited() -> None:
    broker = Broker()

    async def scenario(port: int) -> None:
        client = await Client.open(port)
        await client.connect()
        for packet_id in range(1, 21):
            client.send(p.Publish("t", str(packet_id).encode(), qos=1, packet_id=packet_id))
        acks = []
        while len(acks) < 20:
            packet = await client.next()
            if isinstance(packet, p.Puback):
                acks.append(packet.packet_id)
        assert acks == list(range(1, 21))
        assert [packet.payload for packet in broker.received] == [str(i).encode() for i in range(1, 21)]

    run(broker, scenario)


def test_a_client_that_never_sends_connect_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "CONNECT_TIMEOUT_S", 0.2)

    async def scenario(port: int) -> None:
        idle = await Client.open(port)
        other = await Client.open(port)
        assert await other.connect() == p.Connack(False, 0)  # the idle one costs the others nothing
        assert await idle.next() is None

    run(Broker(), scenario)


def test_keep_alive_is_held_to_one_and_a_half_times() -> None:
    broker = Broker(keep_alive=1)

    async def scenario(port: int) -> None:
        client = await Client.open(port)
        await client.connect(level=5)
        started = time.monotonic()
        packet = await client.next(timeout=5)
        assert packet == p.Disconnect(rc.KEEP_ALIVE_TIMEOUT)
        assert 1.4 <= time.monotonic() - started < 3
        await until(lambda: broker.ended == [(rc.KEEP_ALIVE_TIMEOUT, False)])

    run(broker, scenario)


def test_protocol_errors_end_the_connection_with_their_code() -> None:
    broker = Broker()

    async def scenario(port: int) -> None:
        client = await Client.open(port)
        await client.connect(level=5)
        client.send(p.Subscribe(1, [("ok", p.SubscriptionOptions())]))
        assert isinstance(await client.next(), p.Suback)
        client.writer.write(b"\x30\xff\xff\xff\xff\x7f")  # a remaining length of five bytes
        packet = await client.next()
        assert isinstance(packet, p.Disconnect) and packet.reason_code == rc.MALFORMED_PACKET
        assert await client.next() is None
        await until(lambda: broker.ended == [(rc.MALFORMED_PACKET, False)])
        garbage = await Client.open(port)  # not MQTT at all: closed without a word
        garbage.writer.write(b"GET / HTTP/1.1\r\n\r\n")
        assert await garbage.next() is None

    run(broker, scenario)


def test_a_bad_connect_gets_the_connack_code() -> None:
    async def scenario(port: int) -> None:
        client = await Client.open(port)
        client.codec.send(p.Connect("x"))  # (not sent) readies the client codec for a 3.1.1 CONNACK
        client.writer.write(b"\x10\x0c\x00\x04MQTT\x09\x02\x00\x3c\x00\x00")  # protocol level 9
        packet = await client.next()
        assert isinstance(packet, p.Connack) and packet.reason_code == rc.V3_UNACCEPTABLE_PROTOCOL_VERSION
        assert await client.next() is None

    run(Broker(), scenario)


def test_a_refused_connect_is_closed_after_its_connack() -> None:
    async def scenario(port: int) -> None:
        client = await Client.open(port)
        assert await client.connect() == p.Connack(False, 5)
        assert await client.next() is None

    run(Broker(refuse=True), scenario)


def test_the_broker_closes_a_client_with_a_reason() -> None:
    broker = Broker()

    async def scenario(port: int) -> None:
        client = await Client.open(port)
        await client.connect(level=5)
        outlet = broker.sessions[0].outlet
        assert outlet.protocol_level == 5 and outlet.buffered == 0
        outlet.close(rc.SESSION_TAKEN_OVER, "another client")
        packet = await client.next()
        assert packet.reason_code == rc.SESSION_TAKEN_OVER
        assert packet.properties.reason_string == "another client"
        await until(lambda: broker.ended == [(rc.SESSION_TAKEN_OVER, False)])

    run(broker, scenario)


def test_an_oversized_packet_is_refused_before_it_is_read() -> None:
    broker = Broker()

    async def scenario(port: int) -> None:
        client = await Client.open(port)
        await client.connect(level=5)
        client.send(p.Publish("big", b"x" * (200 * 1024)))
        packet = await client.next()
        assert isinstance(packet, p.Disconnect) and packet.reason_code == rc.PACKET_TOO_LARGE

    run(broker, scenario)
