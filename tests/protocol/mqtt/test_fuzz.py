"""Hypothesis feeds random and mutated bytes, split at random points, to both roles: the connection
only ever returns packets (or None for "more bytes") or raises MqttProtocolError, always finishes, and
what it returns re-encodes to bytes that decode to the same packet."""

from __future__ import annotations

import contextlib
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.decoder import decode
from headwater.protocol.mqtt.encoder import encode
from headwater.protocol.mqtt.packets import Connect, MqttProtocolError, Packet, Properties
from headwater.protocol.mqtt.wire import read_varint
from tests.protocol.mqtt.samples import from_client, from_server

# HEADWATER_FUZZ_EXAMPLES=20000 for a long run by hand; `make test` keeps it to a few seconds.
FUZZ = settings(
    max_examples=int(os.environ.get("HEADWATER_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _stream(level: int, server: bool) -> bytes:
    packets = from_client(level) if server else from_server(level)
    return b"".join(encode(packet, level) for packet in packets)


STREAMS = {(level, server): _stream(level, server) for level in (3, 4, 5) for server in (True, False)}
CONNECTS = {level: encode(Connect("fuzz", protocol_level=level), level) for level in (3, 4, 5)}


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few bytes flipped, replaced, inserted or deleted, or cut short."""
    out = bytearray(data)
    for _ in range(draw(st.integers(0, 6))):
        if not out:
            break
        i = draw(st.integers(0, len(out) - 1))
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if action == "flip":
            out[i] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            out[i] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
        elif action == "insert":
            out[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del out[i : i + draw(st.integers(1, 4))]
        else:
            del out[i:]
    return bytes(out)


def _feed(connection: MqttConnection, data: bytes, cuts: list[int]) -> list[Packet]:
    """Feed `data` in pieces split at `cuts`; every packet, until an MqttProtocolError ends it."""
    packets: list[Packet] = []
    bounds = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
    try:
        for start, end in zip(bounds, bounds[1:], strict=False):
            connection.receive_data(data[start:end])
            for _ in range(len(data) + 1):  # each packet takes at least two bytes: no endless loop
                packet = connection.next_packet()
                if packet is None:
                    break
                packets.append(packet)
            else:
                raise AssertionError("next_packet never asked for more bytes")
    except MqttProtocolError as exc:
        assert isinstance(exc.reason_code, int) and 0x80 <= exc.reason_code <= 0xA2
    return packets


def _reencodes(packets: list[Packet], level: int) -> None:
    for packet in packets:
        data = encode(packet, level)
        _, start = read_varint(data, 1)
        assert decode(data[0], data[start:], level) == packet


@FUZZ
@given(st.sampled_from([3, 4, 5]), st.booleans(), st.data(), st.lists(st.integers(0, 10_000), max_size=8))
def test_mutated_streams(level: int, server: bool, data: st.DataObject, cuts: list[int]) -> None:
    stream = data.draw(mutated(STREAMS[(level, server)]))
    connection = MqttConnection(
        server=server, max_packet_size=data.draw(st.sampled_from([268_435_455, 64, 300]))
    )
    if not server:
        connection.send(Connect("fuzz", protocol_level=level, properties=Properties(topic_alias_maximum=8)))
    packets = _feed(connection, stream, cuts)
    _reencodes(packets, connection.protocol_level or 4)


@FUZZ
@given(st.sampled_from([3, 4, 5]), st.binary(max_size=300), st.lists(st.integers(0, 400), max_size=6))
def test_random_bytes_after_a_connect(level: int, noise: bytes, cuts: list[int]) -> None:
    connection = MqttConnection()
    packets = _feed(connection, CONNECTS[level] + noise, cuts)
    _reencodes(packets, level)


@FUZZ
@given(st.binary(max_size=200), st.lists(st.integers(0, 300), max_size=6))
def test_random_bytes(noise: bytes, cuts: list[int]) -> None:
    _feed(MqttConnection(), noise, cuts)
    client = MqttConnection(server=False)
    client.send(Connect("fuzz", protocol_level=5))
    _feed(client, noise, cuts)


def test_every_truncation_and_extension_of_every_packet() -> None:
    """Deterministic companion to the random runs: every sample packet's body cut at every length, and
    with a byte added, decodes or raises MqttProtocolError."""
    for level in (3, 4, 5):
        for packet in from_client(level) + from_server(level):
            data = encode(packet, level)
            _, start = read_varint(data, 1)
            body = data[start:]
            for cut in [*range(len(body)), len(body) + 1]:
                candidate = body[:cut] if cut <= len(body) else body + b"\x00"
                with contextlib.suppress(MqttProtocolError):
                    decode(data[0], candidate, level)
