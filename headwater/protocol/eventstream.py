"""Encoder for ``application/vnd.amazon.eventstream`` frames (SubscribeToShard and friends).

Theory of operation. A frame is::

    prelude   total length (u32 BE) | headers length (u32 BE) | CRC32 of those 8 bytes
    headers   repeated: name length (u8) | name (UTF-8) | type (u8) | typed value
    payload   opaque bytes
    trailer   CRC32 of everything before it (prelude and its CRC included)

Header value types: 0 true, 1 false (no value bytes), 2 byte (i8), 3 short (i16), 4 integer (i32),
5 long (i64), 6 bytes (u16 length), 7 string (u16 length, UTF-8), 8 timestamp (i64 epoch millis),
9 uuid (16 bytes). botocore's ``EventStreamBuffer`` is the decoder we are tested against.

Python ints default to type 4 (int32); wrap them in `Byte`, `Short`, `Long` or `Timestamp` for the
other integer types. The three frame builders cache their encoded header block, so pushing an event
costs two CRC passes and one join.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Sequence
from functools import lru_cache

CONTENT_TYPE = "application/vnd.amazon.eventstream"

# Limits of the format (the AWS event-stream spec; botocore enforces the headers one on decode).
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 16 * 1024 * 1024

_PRELUDE = struct.Struct(">II")
_U32 = struct.Struct(">I")


class Byte(int):
    """A header value encoded as a signed 8-bit integer (type 2)."""

    __slots__ = ()


class Short(int):
    """A header value encoded as a signed 16-bit integer (type 3)."""

    __slots__ = ()


class Long(int):
    """A header value encoded as a signed 64-bit integer (type 5)."""

    __slots__ = ()


class Timestamp(int):
    """A header value encoded as a timestamp: signed 64-bit milliseconds since the epoch (type 8)."""

    __slots__ = ()


HeaderValue = str | bytes | bool | int | uuid.UUID

# Exact-type dispatch for the int wrappers: (type byte, struct format).
_INT_TYPES: dict[type, tuple[int, str]] = {
    Byte: (2, ">b"),
    Short: (3, ">h"),
    int: (4, ">i"),
    Long: (5, ">q"),
    Timestamp: (8, ">q"),
}


def _encode_value(value: HeaderValue) -> bytes:
    # bool first: it is an int subclass.
    if isinstance(value, bool):
        return b"\x00" if value else b"\x01"
    if isinstance(value, str):
        data = value.encode("utf-8")
        return b"\x07" + _short_len(data) + data
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return b"\x06" + _short_len(data) + data
    if isinstance(value, uuid.UUID):
        return b"\x09" + value.bytes
    if isinstance(value, int):
        type_byte, fmt = _INT_TYPES.get(type(value), _INT_TYPES[int])
        try:
            return bytes((type_byte,)) + struct.pack(fmt, value)
        except struct.error:
            raise ValueError(f"header value {value!r} does not fit its type {type_byte}") from None
    raise TypeError(f"unsupported event-stream header value type {type(value).__name__}")


def _short_len(data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise ValueError(f"header value is {len(data)} bytes, over the 65535 limit")
    return len(data).to_bytes(2, "big")


def encode_headers(headers: Sequence[tuple[str, HeaderValue]]) -> bytes:
    """The header block of a frame, in the order given (names must be unique)."""
    parts: list[bytes] = []
    for name, value in headers:
        raw = name.encode("utf-8")
        if not 0 < len(raw) <= 255:
            raise ValueError(f"header name {name!r} must be 1..255 bytes")
        parts.append(bytes((len(raw),)))
        parts.append(raw)
        parts.append(_encode_value(value))
    block = b"".join(parts)
    if len(block) > MAX_HEADERS_LENGTH:
        raise ValueError(f"headers are {len(block)} bytes, over the {MAX_HEADERS_LENGTH} limit")
    return block


def frame(header_block: bytes, payload: bytes) -> bytes:
    """One complete frame from an already encoded header block and a payload."""
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"payload is {len(payload)} bytes, over the {MAX_PAYLOAD_LENGTH} limit")
    prelude = _PRELUDE.pack(16 + len(header_block) + len(payload), len(header_block))
    head = prelude + _U32.pack(zlib.crc32(prelude))
    # The message CRC runs over the prelude and its CRC too; feed it incrementally so the
    # payload is never copied just to be checksummed.
    crc = zlib.crc32(payload, zlib.crc32(header_block, zlib.crc32(head)))
    return b"".join((head, header_block, payload, _U32.pack(crc)))


def encode_message(headers: Sequence[tuple[str, HeaderValue]], payload: bytes) -> bytes:
    return frame(encode_headers(headers), payload)


@lru_cache(maxsize=256)
def _event_headers(event_type: str, content_type: str) -> bytes:
    return encode_headers(
        ((":event-type", event_type), (":content-type", content_type), (":message-type", "event"))
    )


@lru_cache(maxsize=256)
def _exception_headers(code: str, content_type: str) -> bytes:
    return encode_headers(
        ((":exception-type", code), (":content-type", content_type), (":message-type", "exception"))
    )


def event_frame(event_type: str, payload: bytes, content_type: str) -> bytes:
    """A modelled event (``:message-type=event``), e.g. ``initial-response`` or ``SubscribeToShardEvent``."""
    return frame(_event_headers(event_type, content_type), payload)


def exception_frame(code: str, payload: bytes, content_type: str) -> bytes:
    """A modelled error of the stream's union (``ResourceNotFoundException``...); the payload is its body."""
    return frame(_exception_headers(code, content_type), payload)


def error_frame(code: str, message: str) -> bytes:
    """An unmodelled error: code and message travel in headers, the payload is empty."""
    return encode_message(
        ((":error-code", code), (":error-message", message), (":message-type", "error")), b""
    )
