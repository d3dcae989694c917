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
    return struct.pack(f"<I{count}I", count, *map(len, datas)) + b"".join(datas)


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


def record_id(base: str, index: int) -> str:
    return f"{base}{index:04x}"
