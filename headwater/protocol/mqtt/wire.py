"""MQTT's data representations (MQTT 5 section 1.5, the same in 3.1.1): the variable byte integer,
two- and four-byte integers, UTF-8 strings and binary data, read from and written to bytes.

Readers take the buffer and a position and return (value, next position). They raise
`MalformedError` for a value that runs past the end or breaks the encoding rules; the decoder turns
it into `MqttProtocolError(0x81)`. `struct.error` and `IndexError` from a short buffer mean the same
and the decoder catches them too, so the readers need not check every byte.
"""

from __future__ import annotations

import struct

MAX_VARINT = 268_435_455  # the largest value four bytes of variable byte integer hold

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
unpack_u16 = _U16.unpack_from
unpack_u32 = _U32.unpack_from
pack_u16 = _U16.pack
pack_u32 = _U32.pack


class MalformedError(Exception):
    """A value broke MQTT's encoding rules (a Malformed Packet, reason code 0x81)."""


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """A variable byte integer at `pos`: at most four bytes, low seven bits first."""
    value = 0
    shift = 0
    for i in range(pos, pos + 4):
        byte = buf[i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i + 1
        shift += 7
    raise MalformedError("a variable byte integer longer than four bytes")


def encode_varint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    if value < 0x4000:
        return bytes((value & 0x7F | 0x80, value >> 7))
    if value > MAX_VARINT or value < 0:
        raise ValueError(f"{value} does not fit a variable byte integer")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_binary(buf: bytes, pos: int) -> tuple[bytes, int]:
    """Binary data: a two-byte length, then that many bytes."""
    end = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
    if end > len(buf):
        raise MalformedError("a length runs past the end of the packet")
    return buf[pos + 2 : end], end


def read_str(buf: bytes, pos: int) -> tuple[str, int]:
    """A UTF-8 encoded string: well-formed UTF-8 (Python's strict decoder refuses surrogates and
    overlong forms) without U+0000 [MQTT-1.5.4-1, -2]."""
    end = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
    if end > len(buf):
        raise MalformedError("a string runs past the end of the packet")
    raw = buf[pos + 2 : end]
    if b"\x00" in raw:
        raise MalformedError("a string holds U+0000")
    try:
        return raw.decode(), end
    except UnicodeDecodeError:
        raise MalformedError("a string is not well-formed UTF-8") from None


def encode_str(value: str) -> bytes:
    raw = value.encode()
    if len(raw) > 0xFFFF:
        raise ValueError("an MQTT string is at most 65,535 bytes")
    return pack_u16(len(raw)) + raw


def encode_binary(value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise ValueError("MQTT binary data is at most 65,535 bytes")
    return pack_u16(len(value)) + value


def fixed_header(first_byte: int, body_length: int) -> bytes:
    """The fixed header of a packet whose variable header and payload are `body_length` bytes."""
    if body_length < 0x80:
        return bytes((first_byte, body_length))
    return bytes((first_byte,)) + encode_varint(body_length)
