"""The AppendDelimiterToRecord processor: a new line after every record, so the records of an
object can be told apart (Firehose concatenates them with nothing between by default). It takes
no parameter; a base64 `Delimiter` is honoured if one is given."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from headwater.services.firehose.processing import param
from headwater.services.firehose.records import Processed, Record


def delimiter_of(params: Mapping[str, str]) -> bytes:
    encoded = param(params, "Delimiter")
    if not encoded:
        return b"\n"
    try:
        return base64.b64decode(encoded, validate=True) or b"\n"
    except (binascii.Error, ValueError):
        return b"\n"  # validated at create time; a stage never fails over configuration


def process(records: list[Record], params: Mapping[str, str]) -> Processed:
    delimiter = delimiter_of(params)
    return Processed(
        records=[
            Record(r.record_id, r.data + delimiter, r.arrival_ms, r.kinesis, r.partition_keys)
            for r in records
        ]
    )


async def apply(records: list[Record], params: Mapping[str, str]) -> Processed:
    return process(records, params)
