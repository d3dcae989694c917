"""One MQTT network connection as a sans-IO state machine (in the manner of h11): bytes in, packets out;
packets in, bytes out. It owns no socket, no clock and no task.

Theory of operation
-------------------
`receive_data` appends what the transport read to one `bytearray`; `next_packet` parses from a read
offset and returns one packet at a time, or None when the next packet is not complete yet. Consumed
bytes are dropped only when the buffer is empty or the consumed prefix is both large and the larger
half, so many small packets in one read cost one pass, and a big packet arriving in many reads
costs amortized appends (the fixed header is re-read, at most five bytes, each time).

Everything checkable from the fixed header is checked as soon as it is there, before the packet is
buffered: the type and its flag bits, whether this peer may send that type now (a server first
accepts only CONNECT, then never CONNECT again; a client first only CONNACK or AUTH), and the
declared length against `max_packet_size` (0x95), so a peer cannot make us hold a packet we will
refuse. Then `decoder.decode` parses the body for `protocol_level`. After a DISCONNECT nothing more
is accepted: its sender closes the connection.

The protocol level: a server learns it from the CONNECT (it is set before the rest of the CONNECT
is checked, so a listener can answer a bad CONNECT in the right version); a client sets it by
sending its CONNECT. 3 (MQTT 3.1) is decoded and answered like 4 (3.1.1). `send` encodes for it.

Connection-scoped MQTT 5 state lives here because it is part of the wire, not of the session:
topic aliases and packet sizes. What we announced (our CONNACK as a server, our CONNECT as a
client) bounds the aliases the peer may use, and its Maximum Packet Size lowers `max_packet_size`.
An inbound PUBLISH that sets an alias is resolved here: its topic filled in and its `topic_alias`
property cleared, since an alias never travels beyond the hop. The peer's own limits
(`peer_max_packet_size`, `peer_topic_alias_maximum`) are recorded for whoever sends to it: `send`
encodes whatever it is given, so the broker drops a message larger than the peer takes
[MQTT-3.1.2-25] and picks the aliases it uses towards the peer.

Errors: `next_packet` raises `MqttProtocolError` and the connection stays failed (every later call
raises the same error, and later bytes are dropped); the caller sends what the error says (a
DISCONNECT or CONNACK with its reason code in MQTT 5, the CONNACK return code `connack_code` or
nothing in 3.1.1) and closes.
"""

from __future__ import annotations

from typing import NoReturn

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.decoder import check_first_byte, connect_level, decode, decode_publish
from headwater.protocol.mqtt.encoder import encode, encode_puback, encode_publish
from headwater.protocol.mqtt.packets import (
    AUTH,
    CONNACK,
    CONNECT,
    DISCONNECT,
    MQTT_5,
    MQTT_311,
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
    Connack,
    Connect,
    MqttProtocolError,
    Packet,
    Puback,
    Publish,
)
from headwater.protocol.mqtt.wire import MAX_VARINT

__all__ = ["MqttConnection", "encode"]

_FROM_CLIENT = frozenset((CONNECT, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, PINGREQ,
                          DISCONNECT, AUTH))  # fmt: skip
_FROM_SERVER = frozenset((CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP,
                          DISCONNECT, AUTH))  # fmt: skip
_COMPACT_AT = 65_536  # drop a consumed prefix at least this long when it is the larger half


def _first_bytes(packet_types: frozenset[int]) -> bytes:
    """A 256-entry table: 1 for each first byte of a fixed header this state accepts."""
    table = bytearray(256)
    for first_byte in range(256):
        try:
            check_first_byte(first_byte)
        except MqttProtocolError:
            continue
        table[first_byte] = first_byte >> 4 in packet_types
    return bytes(table)


# What may come next, by role and state; a first byte outside the table gets its exact error from
# `_refuse`. One table lookup keeps the check off the PUBLISH path's cost.
_SERVER_FIRST = _first_bytes(frozenset((CONNECT,)))
_SERVER_THEN = _first_bytes(_FROM_CLIENT - {CONNECT})
_CLIENT_FIRST = _first_bytes(frozenset((CONNACK, AUTH)))
_CLIENT_THEN = _first_bytes(_FROM_SERVER - {CONNACK})
_NOTHING = bytes(256)


def _long_length(buffer: bytearray, start: int) -> tuple[int, int] | None:
    """(remaining length, where the body starts) for a length of three or four bytes; None until
    they are there."""
    length = 0
    for i, index in enumerate(range(start + 1, start + 5)):
        if index >= len(buffer):
            return None
        byte = buffer[index]
        length |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            return length, index + 1
    raise MqttProtocolError(rc.MALFORMED_PACKET, "a remaining length longer than four bytes")


class MqttConnection:
    def __init__(self, *, server: bool = True, max_packet_size: int = MAX_VARINT) -> None:
        self.server = server
        self.max_packet_size = max_packet_size  # the largest whole packet we accept
        self.protocol_level: int | None = None
        self.peer_max_packet_size: int | None = None  # what the peer accepts (its Maximum Packet Size)
        self.peer_topic_alias_maximum = 0  # how many aliases we may use towards the peer
        self._buffer = bytearray()
        self._offset = 0
        self._error: MqttProtocolError | None = None
        self._handshaken = False  # a server got its CONNECT; a client got its CONNACK
        self._accept = _SERVER_FIRST if server else _NOTHING  # the first bytes we take next
        self._alias_maximum = 0  # how many aliases we accept, as we announced
        self._aliases: dict[int, str] = {}

    def receive_data(self, data: bytes) -> None:
        if self._error is None:  # a failed connection keeps nothing more
            self._buffer += data

    def next_packet(self) -> Packet | None:
        """The next complete packet, or None until more bytes arrive."""
        if self._error is not None:
            raise self._error
        try:  # (one function for the whole path: it runs once per packet)
            buffer = self._buffer
            start = self._offset
            available = len(buffer) - start
            if not available:
                return None
            first_byte = buffer[start]
            if not self._accept[first_byte]:
                self._refuse(first_byte)
            if available < 2:
                return None
            # The remaining length: a variable byte integer of at most four bytes, mostly one or two.
            length = buffer[start + 1]
            index = start + 2
            if length >= 0x80:
                if available < 3:
                    return None
                second = buffer[index]
                length = (length & 0x7F) | (second & 0x7F) << 7
                index += 1
                if second >= 0x80:
                    header = _long_length(buffer, start)
                    if header is None:
                        return None
                    length, index = header
            end = index + length
            if end - start > self.max_packet_size:
                raise MqttProtocolError(rc.PACKET_TOO_LARGE, f"a packet of {end - start} bytes is too large")
            if end > len(buffer):
                return None
            if length < 4096:
                body = bytes(buffer[index:end])
            else:  # one copy instead of two (the slice, then bytes of it)
                with memoryview(buffer) as view:
                    body = bytes(view[index:end])
            if end == len(buffer):
                buffer.clear()
                self._offset = 0
            elif end >= _COMPACT_AT and end * 2 > len(buffer):
                del buffer[:end]
                self._offset = 0
            else:
                self._offset = end
            if first_byte >> 4 == PUBLISH:
                if self.protocol_level == MQTT_5:
                    publish = decode_publish(first_byte, body, True)
                    self._inbound_publish(publish)
                    return publish
                return decode_publish(first_byte, body, False)
            return self._other(first_byte, body)
        except MqttProtocolError as exc:
            self._error = exc
            raise

    def send(self, packet: Packet) -> bytes:
        """The bytes of `packet` for this connection's protocol level (3.1.1 before it is known)."""
        packet_type = type(packet)
        if packet_type is Publish:  # the hot paths first: no dispatch
            return encode_publish(packet, self.protocol_level == MQTT_5)  # type: ignore[arg-type]
        if packet_type is Puback:
            return encode_puback(packet, self.protocol_level == MQTT_5)  # type: ignore[arg-type]
        if packet_type is Connect or packet_type is Connack:
            assert isinstance(packet, Connect | Connack)
            self._announce(packet)
        return encode(packet, self.protocol_level or MQTT_311)

    def _announce(self, packet: Connect | Connack) -> None:
        """Our CONNECT (client) or CONNACK (server) sets the limits the peer must keep to."""
        if isinstance(packet, Connect):
            self.protocol_level = packet.protocol_level
            if not self.server and not self._handshaken:
                self._accept = _CLIENT_FIRST
        props = packet.properties
        self._alias_maximum = props.topic_alias_maximum or 0
        if props.maximum_packet_size:
            self.max_packet_size = min(self.max_packet_size, props.maximum_packet_size)

    def _other(self, first_byte: int, body: bytes) -> Packet:
        """A packet other than PUBLISH, and what it changes in the connection's state."""
        packet_type = first_byte >> 4
        if packet_type == CONNECT:
            self.protocol_level = connect_level(body)
        packet = decode(first_byte, body, self.protocol_level or MQTT_311)
        if packet_type == DISCONNECT:
            self._accept = _NOTHING  # the sender closes the connection after it [MQTT-3.14.4-1]
        elif packet_type == CONNECT:
            assert isinstance(packet, Connect)
            self._handshaken = True
            self._accept = _SERVER_THEN
            self._peer_limits(packet.properties.maximum_packet_size, packet.properties.topic_alias_maximum)
        elif packet_type == CONNACK:
            assert isinstance(packet, Connack)
            self._handshaken = True
            self._accept = _CLIENT_THEN
            self._peer_limits(packet.properties.maximum_packet_size, packet.properties.topic_alias_maximum)
        return packet

    def _refuse(self, first_byte: int) -> NoReturn:
        """Raise the error for a first byte this state does not accept."""
        check_first_byte(first_byte)
        packet_type = first_byte >> 4
        if self.server:
            if packet_type not in _FROM_CLIENT:
                raise MqttProtocolError(rc.PROTOCOL_ERROR, f"a client may not send packet type {packet_type}")
            if (packet_type == CONNECT) == self._handshaken:
                message = "a second CONNECT" if self._handshaken else "the first packet must be CONNECT"
                raise MqttProtocolError(rc.PROTOCOL_ERROR, message)
        else:
            if self.protocol_level is None:
                raise MqttProtocolError(rc.PROTOCOL_ERROR, "data before our CONNECT")
            if packet_type not in _FROM_SERVER:
                raise MqttProtocolError(rc.PROTOCOL_ERROR, f"a server may not send packet type {packet_type}")
            if packet_type == CONNACK and self._handshaken:
                raise MqttProtocolError(rc.PROTOCOL_ERROR, "a second CONNACK")
            if not self._handshaken and packet_type not in (CONNACK, AUTH):
                raise MqttProtocolError(rc.PROTOCOL_ERROR, "the first packet must be CONNACK")
        raise MqttProtocolError(rc.PROTOCOL_ERROR, f"packet type {packet_type} is not expected now")

    def _inbound_publish(self, publish: Publish) -> None:
        props = publish.properties
        if self.server and props.subscription_identifiers:
            raise MqttProtocolError(rc.PROTOCOL_ERROR, "a client may not send a Subscription Identifier")
        alias = props.topic_alias
        if alias is None:
            return
        if not 0 < alias <= self._alias_maximum:
            raise MqttProtocolError(rc.TOPIC_ALIAS_INVALID, f"topic alias {alias} is out of range")
        if publish.topic:
            self._aliases[alias] = publish.topic
        else:
            topic = self._aliases.get(alias)
            if topic is None:
                raise MqttProtocolError(rc.TOPIC_ALIAS_INVALID, f"topic alias {alias} is not set")
            publish.topic = topic
        props.topic_alias = None

    def _peer_limits(self, maximum_packet_size: int | None, topic_alias_maximum: int | None) -> None:
        self.peer_max_packet_size = maximum_packet_size
        self.peer_topic_alias_maximum = topic_alias_maximum or 0
