"""The Kinesis Producer Library's aggregated record format, sans I/O (decode and encode).

Theory of operation
-------------------
The KPL packs many user records into one Kinesis record:

    F3 89 9A C2 | protobuf AggregatedRecord | MD5(protobuf) (16 bytes)

    message AggregatedRecord {
      repeated string partition_key_table     = 1;
      repeated string explicit_hash_key_table = 2;
      repeated Record records                 = 3;
    }
    message Record {
      required uint64 partition_key_index     = 1;
      optional uint64 explicit_hash_key_index = 2;
      required bytes  data                    = 3;
      repeated Tag    tags                    = 4;
    }
    message Tag { required string key = 1; optional string value = 2; }

A consumer (the KCL, Firehose with a Kinesis source) de-aggregates: a record without the magic,
too short, whose digest does not match or whose protobuf does not parse is not an aggregate and
is passed through whole as one user record with the Kinesis record's own partition key. The
protobuf codec here is the small subset these messages need (varints and length-delimited
fields); unknown fields are skipped by wire type, as protobuf parsers do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

MAGIC = b"\xf3\x89\x9a\xc2"
DIGEST_SIZE = 16


class _Malformed(Exception):
    pass


@dataclass(frozen=True, slots=True)
class UserRecord:
    partition_key: str
    data: bytes
    explicit_hash_key: str | None = None
    tags: tuple[tuple[str, str | None], ...] = ()


# --- protobuf wire format -------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise _Malformed("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes, pos: int, end: int) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of one message: ints for varints, bytes for
    length-delimited fields; fixed32/fixed64 fields are skipped."""
    out: list[tuple[int, int | bytes]] = []
    while pos < end:
        key, pos = _read_varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _Malformed("field number 0")
        if wire == 0:
            value, pos = _read_varint(buf, pos, end)
            out.append((number, value))
        elif wire == 2:
            length, pos = _read_varint(buf, pos, end)
            if pos + length > end:
                raise _Malformed("truncated field")
            out.append((number, buf[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > end:
                raise _Malformed("truncated fixed field")
        else:
            raise _Malformed(f"unsupported wire type {wire}")
    return out


def _field_bytes(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _field_int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise _Malformed("expected a string")
    try:
        return value.decode()
    except UnicodeDecodeError:
        raise _Malformed("invalid UTF-8") from None


# --- aggregated records ---------------------------------------------------------------------


def is_aggregated(blob: bytes) -> bool:
    """The magic and a matching digest (the protobuf may still fail to parse)."""
    if len(blob) < len(MAGIC) + DIGEST_SIZE or not blob.startswith(MAGIC):
        return False
    body = blob[len(MAGIC) : -DIGEST_SIZE]
    return hashlib.md5(body, usedforsecurity=False).digest() == blob[-DIGEST_SIZE:]


def _parse(body: bytes) -> list[UserRecord]:
    keys: list[str] = []
    hash_keys: list[str] = []
    raw_records: list[bytes] = []
    for number, value in _fields(body, 0, len(body)):
        if number == 1:
            keys.append(_text(value))
        elif number == 2:
            hash_keys.append(_text(value))
        elif number == 3:
            if not isinstance(value, bytes):
                raise _Malformed("record is not a message")
            raw_records.append(value)
    records: list[UserRecord] = []
    for raw in raw_records:
        pk_index: int | None = None
        ehk_index: int | None = None
        data: bytes | None = None
        tags: list[tuple[str, str | None]] = []
        for number, value in _fields(raw, 0, len(raw)):
            if number not in (1, 2, 3, 4):
                continue  # an unknown field, skipped as protobuf does
            if isinstance(value, int):
                if number == 1:
                    pk_index = value
                elif number == 2:
                    ehk_index = value
                else:
                    raise _Malformed(f"field {number} of Record is not length-delimited")
            elif number in (1, 2):
                raise _Malformed(f"field {number} of Record is not a varint")
            elif number == 3:
                data = value
            else:
                tag = dict(_fields(value, 0, len(value)))
                if 1 not in tag:
                    raise _Malformed("tag without a key")
                tags.append((_text(tag[1]), _text(tag[2]) if 2 in tag else None))
        if pk_index is None or data is None or pk_index >= len(keys):
            raise _Malformed("record without a valid partition key index or data")
        if ehk_index is not None and ehk_index >= len(hash_keys):
            raise _Malformed("explicit hash key index out of range")
        ehk = hash_keys[ehk_index] if ehk_index is not None else None
        records.append(UserRecord(keys[pk_index], data, ehk, tuple(tags)))
    return records


def decode(blob: bytes) -> list[UserRecord] | None:
    """The user records of an aggregate, or None when `blob` is not a well-formed aggregate."""
    if not is_aggregated(blob):
        return None
    try:
        return _parse(blob[len(MAGIC) : -DIGEST_SIZE])
    except _Malformed:
        return None


def deaggregate(
    blob: bytes, *, partition_key: str = "", explicit_hash_key: str | None = None
) -> list[UserRecord]:
    """As the KCL does: the user records of an aggregate, else the blob itself as one record
    with the Kinesis record's own keys."""
    records = decode(blob)
    if records is None:
        return [UserRecord(partition_key, blob, explicit_hash_key)]
    return records


def encode(records: Sequence[UserRecord]) -> bytes:
    """One aggregated record (key tables deduplicated in first-use order)."""
    keys: dict[str, int] = {}
    hash_keys: dict[str, int] = {}
    body = bytearray()
    packed: list[bytes] = []
    for r in records:
        rec = _field_int(1, keys.setdefault(r.partition_key, len(keys)))
        if r.explicit_hash_key is not None:
            rec += _field_int(2, hash_keys.setdefault(r.explicit_hash_key, len(hash_keys)))
        rec += _field_bytes(3, r.data)
        for key, value in r.tags:
            tag = _field_bytes(1, key.encode())
            if value is not None:
                tag += _field_bytes(2, value.encode())
            rec += _field_bytes(4, tag)
        packed.append(rec)
    for key in keys:
        body += _field_bytes(1, key.encode())
    for key in hash_keys:
        body += _field_bytes(2, key.encode())
    for rec in packed:
        body += _field_bytes(3, rec)
    return MAGIC + bytes(body) + hashlib.md5(body, usedforsecurity=False).digest()
