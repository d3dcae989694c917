"""The raw log's entry format: one entry per PutRecord/PutRecordBatch call, so an acknowledgement is
one durable append whatever the batch size.

An entry's payload is a little-endian u32 record count, a u32 length per record, then the records'
bytes back to back; its timestamp is the arrival time. A record's RecordId is derived from where it
is stored (the partition, the entry's offset and its index in the entry), so ingest writes no id and
the delivery loop rebuilds the same id after a restart.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

_COUNT = struct.Struct("<I")


def encode(datas: Sequence[bytes]) -> bytes:
    count = len(datas)
    # one join, one copy of the records (`header + b"".join(...)` copied them twice)
    return b"".join([struct.pack(f"<I{count}I", count, *map(len, datas)), *datas])


def layout(payload: bytes) -> tuple[tuple[int, ...], int]:
    """(the records' lengths, where the first record starts): `payload[start:]` is every record
    back to back, which is how a delivery without processing takes an entry, with no per-record
    objects."""
    (count,) = _COUNT.unpack_from(payload)
    return struct.unpack_from(f"<{count}I", payload, 4), 4 + 4 * count


def decode(payload: bytes) -> list[bytes]:
    (count,) = _COUNT.unpack_from(payload)
    lengths = struct.unpack_from(f"<{count}I", payload, 4)
    position = 4 + 4 * count
    out: list[bytes] = []
    for length in lengths:
        end = position + length
        out.append(payload[position:end])
        position = end
    return out


def id_base(partition: str, offset: int) -> str:
    """The shared start of the RecordIds of one entry (`record_id` adds the index)."""
    return f"{partition[-24:]}{offset:016x}"


SUFFIXES = tuple(f"{i:04x}" for i in range(500))  # a PutRecordBatch's indexes, formatted once


def record_id(base: str, index: int) -> str:
    return f"{base}{index:04x}"


def record_ids(base: str, count: int) -> list[str]:
    if count <= len(SUFFIXES):
        return [base + suffix for suffix in SUFFIXES[:count]]
    return [record_id(base, i) for i in range(count)]
