"""The Decompression processor: CloudWatch Logs subscription records arrive gzip-compressed
(`CompressionFormat` GZIP, the only value AWS accepts), and this stage gunzips each one.

A record that is not valid gzip cannot go on: it goes to the error output with error output type
`decompression-failed`, keeping its original bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from headwater.services.firehose.processing import param
from headwater.services.firehose.records import Failure, Processed, Record

ERROR_OUTPUT_TYPE = "decompression-failed"
MAX_DECOMPRESSED = 64 * 1024 * 1024  # a bound so a gzip bomb cannot take the server's memory


def _gunzip(data: bytes) -> bytes:
    d = zlib.decompressobj(31)
    out = d.decompress(data, MAX_DECOMPRESSED)
    if d.unconsumed_tail:
        raise ValueError(f"decompressed record is over {MAX_DECOMPRESSED} bytes")
    if not d.eof:
        raise ValueError("truncated gzip data")
    return out


def process(records: list[Record], params: Mapping[str, str]) -> Processed:
    fmt = (param(params, "CompressionFormat", "GZIP") or "GZIP").upper()
    out = Processed(records=[])
    for record in records:
        try:
            if fmt != "GZIP":
                raise ValueError(f"unsupported CompressionFormat {fmt}")
            data = _gunzip(record.data)
        except (zlib.error, ValueError) as exc:
            out.failures.append(
                Failure(
                    record,
                    ERROR_OUTPUT_TYPE,
                    "Decompression.InvalidData",
                    f"Could not decompress record: {exc}",
                )
            )
            continue
        out.records.append(
            Record(record.record_id, data, record.arrival_ms, record.kinesis, record.partition_keys)
        )
    return out


async def apply(records: list[Record], params: Mapping[str, str]) -> Processed:
    return process(records, params)
