"""The raw log entry a Kinesis source writes: one per page read from one shard.

The payload starts exactly as a PutRecordBatch entry (`batches.encode` of the records' bytes, KPL
aggregates already unpacked), so the delivery worker's byte path reads it unchanged; a trailer
after the last record's bytes carries each record's Kinesis metadata (shard, partition key,
sequence and subsequence numbers, the stream's arrival time) for the stages that show it (the
Lambda transformation's `kinesisRecordMetadata`). `batches.decode` never looks past the records.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence

from headwater.services.firehose import batches
from headwater.services.firehose.records import KinesisMetadata

_COUNT = struct.Struct("<I")
# per record: partition key, sequence number, subsequence number, arrival (epoch ms)
Meta = tuple[str, str, int, int]


def encode(shard_id: str, datas: Sequence[bytes], metas: Sequence[Meta]) -> bytes:
    trailer = json.dumps({"s": shard_id, "r": metas}, separators=(",", ":")).encode()
    return batches.encode(datas) + trailer


def metadata(payload: bytes) -> list[KinesisMetadata]:
    """The Kinesis metadata of every record of an entry, in order ([] for a DirectPut entry)."""
    (count,) = _COUNT.unpack_from(payload)
    lengths = struct.unpack_from(f"<{count}I", payload, 4)
    start = 4 + 4 * count + sum(lengths)
    if start >= len(payload):
        return []
    trailer = json.loads(payload[start:])
    shard = trailer["s"]
    return [KinesisMetadata(shard, key, number, sub, at) for key, number, sub, at in trailer["r"]]
