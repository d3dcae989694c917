"""De-aggregation: one record that carries many becomes many.

- `kpl`: records from a Kinesis source written by the KPL with aggregation are unpacked into their
  user records (`headwater.protocol.kpl`); each keeps the Kinesis metadata with its own partition
  key and subsequence number. Anything that is not a well-formed aggregate passes through whole,
  as the KCL does. This runs first and needs no processor.
- `process` (the RecordDeAggregation processor): `SubRecordType` JSON splits a record holding
  concatenated JSON values (`{..}{..}` or `{..}\\n{..}`) into one record per value, each the
  value's exact bytes; DELIMITED splits on the base64 `Delimiter` (default new line), dropping
  the delimiter and empty pieces. A record that is not valid JSON (or not UTF-8) goes to the
  error output as `processing-failed`, keeping its original bytes.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping

from headwater.protocol import kpl as kpl_format
from headwater.services.firehose.processing import param, sub_record_id
from headwater.services.firehose.records import Failure, Processed, Record

ERROR_OUTPUT_TYPE = "processing-failed"
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def split_json(data: bytes) -> list[bytes]:
    """The exact bytes of each top-level JSON value in `data`; ValueError if it is not a run of
    JSON values separated by optional whitespace."""
    text = data.decode()
    values: list[bytes] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        if pos == len(text):
            return values
        _, end = _DECODER.raw_decode(text, pos)
        values.append(text[pos:end].encode())
        pos = end


def split_delimited(data: bytes, delimiter: bytes) -> list[bytes]:
    return [piece for piece in data.split(delimiter) if piece]


def _delimiter(params: Mapping[str, str]) -> bytes:
    encoded = param(params, "Delimiter")
    if not encoded:
        return b"\n"
    try:
        return base64.b64decode(encoded, validate=True) or b"\n"
    except (binascii.Error, ValueError):
        return b"\n"  # validated at create time; a stage never fails over configuration


def _children(record: Record, pieces: list[bytes]) -> list[Record]:
    return [
        Record(
            sub_record_id(record.record_id, i),
            piece,
            record.arrival_ms,
            record.kinesis,
            record.partition_keys,
        )
        for i, piece in enumerate(pieces)
    ]


def process(records: list[Record], params: Mapping[str, str]) -> Processed:
    kind = (param(params, "SubRecordType", "JSON") or "JSON").upper()
    delimiter = _delimiter(params)
    out = Processed(records=[])
    for record in records:
        if kind == "DELIMITED":
            out.records.extend(_children(record, split_delimited(record.data, delimiter)))
            continue
        try:
            pieces = split_json(record.data)
        except (ValueError, UnicodeDecodeError) as exc:
            out.failures.append(
                Failure(
                    record,
                    ERROR_OUTPUT_TYPE,
                    "DeAggregation.InvalidJson",
                    f"Could not de-aggregate record: {exc}",
                )
            )
            continue
        out.records.extend(_children(record, pieces))
    return out


async def apply(records: list[Record], params: Mapping[str, str]) -> Processed:
    return process(records, params)


def kpl(records: list[Record]) -> Processed:
    out = Processed(records=[])
    for record in records:
        users = kpl_format.decode(record.data)
        if users is None:
            out.records.append(record)
            continue
        for i, user in enumerate(users):
            kinesis = record.kinesis
            if kinesis is not None:
                kinesis = dataclasses.replace(kinesis, partition_key=user.partition_key, subsequence_number=i)
            out.records.append(
                Record(
                    sub_record_id(record.record_id, i),
                    user.data,
                    record.arrival_ms,
                    kinesis,
                    record.partition_keys,
                )
            )
    return out
