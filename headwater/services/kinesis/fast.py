"""Hand-tuned JSON codecs for the hot data-plane operations: PutRecord, PutRecords, GetRecords.

The generic model-driven codec walks shapes for every value; these decode with `json.loads` and
`b64decode` directly and encode with `json.dumps`, then call the very same service functions, and the
model validator still checks every input. Anything the fast decoder does not expect (a wrong type, a
bad base64 blob) goes to the generic codec, so error codes and messages are the generic path's exactly.
tests/services/kinesis/test_fast.py checks both paths give the same answers on the same inputs.
"""

from __future__ import annotations

import binascii
import json
from base64 import b64decode
from binascii import b2a_base64
from collections.abc import Awaitable, Callable, Sequence
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

from botocore.model import StructureShape

from headwater.engine.api import StoredEntry
from headwater.protocol import request_checks
from headwater.protocol.models import operation_model, service_model
from headwater.protocol.validation import java_namespace, validate
from headwater.services.context import RequestContext
from headwater.services.kinesis import records
from headwater.services.kinesis.payload import PLAIN, decode_payload
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Shard, Stream

FastPath = Callable[[bytes, RequestContext], Awaitable[bytes]]

STREAM_MEMBERS = ("StreamName", "StreamARN", "StreamId")
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
NAMESPACE = java_namespace(service_model("kinesis"))
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _generic(operation: str, body: bytes) -> dict[str, Any]:
    return request_checks.parse_json(operation_model("kinesis", operation), body)


def _decode_blob(value: Any) -> bytes:
    if type(value) is not str:
        raise TypeError
    return b64decode(value, validate=True)


def _no_nulls(params: dict[str, Any]) -> None:
    """A null member goes to the generic codec, which treats it as absent (so a required one gets
    "Member must not be null" and an optional one its default): handlers never see None."""
    if None in params.values():
        raise TypeError("null member")


def _strings(params: dict[str, Any], names: tuple[str, ...]) -> None:
    _no_nulls(params)
    for name in names:
        value = params.get(name)
        if value is not None and type(value) is not str:
            raise TypeError(name)


def _parse_put_records(body: bytes) -> dict[str, Any]:
    try:
        params = json.loads(body)
        if type(params) is not dict:
            raise TypeError
        _strings(params, STREAM_MEMBERS)
        entries = params["Records"]
        if type(entries) is not list:
            raise TypeError
        for entry in entries:
            if type(entry) is not dict:
                raise TypeError
            _strings(entry, ("PartitionKey", "ExplicitHashKey"))
            entry["Data"] = _decode_blob(entry["Data"])
    except (ValueError, TypeError, KeyError, RecursionError, binascii.Error):
        return _generic("PutRecords", body)
    validate(_shape("PutRecords"), params, namespace=NAMESPACE)
    return params


def _parse_put_record(body: bytes) -> dict[str, Any]:
    try:
        params = json.loads(body)
        if type(params) is not dict:
            raise TypeError
        _strings(params, (*STREAM_MEMBERS, "PartitionKey", "ExplicitHashKey", "SequenceNumberForOrdering"))
        params["Data"] = _decode_blob(params["Data"])
    except (ValueError, TypeError, KeyError, RecursionError, binascii.Error):
        return _generic("PutRecord", body)
    validate(_shape("PutRecord"), params, namespace=NAMESPACE)
    return params


def _parse_get_records(body: bytes) -> dict[str, Any]:
    try:
        params = json.loads(body)
        if type(params) is not dict:
            raise TypeError
        _strings(params, ("ShardIterator", "StreamARN", "StreamId"))
        limit = params.get("Limit")
        if type(params.get("ShardIterator")) is not str or (
            limit is not None and (type(limit) is not int or not INT32_MIN <= limit <= INT32_MAX)
        ):
            raise TypeError  # the generic codec wraps a number outside Java's int, as AWS does
    except (ValueError, TypeError, RecursionError):
        return _generic("GetRecords", body)
    validate(_shape("GetRecords"), params, namespace=NAMESPACE)
    return params


def _shape(operation: str) -> StructureShape:
    shape = operation_model("kinesis", operation).input_shape
    if shape is None:  # every operation with a fast path takes input
        raise LookupError(f"Kinesis {operation} has no input shape")
    return shape


_RECORD = b'{"SequenceNumber":"%s","ApproximateArrivalTimestamp":%s,"Data":"%s"%s%s}'
_NEXT_RECORD = b"," + _RECORD
_KMS = b',"EncryptionType":"KMS"'


def _render_json(
    core: KinesisCore, stream: Stream, shard: Shard, entries: Sequence[StoredEntry]
) -> tuple[list[bytes], int]:
    """Each record formatted straight from its stored payload into JSON bytes: building dicts and
    running json.dumps over 10 MiB of base64 was most of the cost of a drain."""
    items: list[bytes] = []
    size = 0
    sequence_number = shard.sequence_number
    for entry in entries:
        payload = entry.payload
        if payload[0] == PLAIN:
            key_end = 3 + int.from_bytes(payload[1:3], "big")
            key = payload[3:key_end].decode()
            data: bytes | memoryview = memoryview(payload)[key_end:]
            kms = b""
        else:
            key, data, _ = decode_payload(core, stream, payload)
            kms = _KMS
        size += len(data)
        items.append(
            (_NEXT_RECORD if items else _RECORD)
            % (
                sequence_number(entry.offset, entry.timestamp_ms).encode(),
                repr(entry.timestamp_ms / 1000).encode(),
                b2a_base64(data, newline=False),
                b',"PartitionKey":' + _quote(key).encode() if key else b"",
                kms,
            )
        )
    return items, size


def _encode_get_records(result: dict[str, Any]) -> bytes:
    items = result.pop("Records")
    rest = _dumps(result).encode()
    # items carry their separating commas: the 10 MiB body is copied once, by this join
    return b"".join((b'{"Records":[', *items, b"]", b"," + rest[1:] if len(rest) > 2 else b"}"))


def kinesis_fast_paths(core: KinesisCore) -> dict[tuple[str, str], FastPath]:
    async def put_records(body: bytes, ctx: RequestContext) -> bytes:
        result = await records.put_records(core, _parse_put_records(body), ctx)
        return _dumps(result).encode()

    async def put_record(body: bytes, ctx: RequestContext) -> bytes:
        result = await records.put_record(core, _parse_put_record(body), ctx)
        return _dumps(result).encode()

    async def get_records(body: bytes, ctx: RequestContext) -> bytes:
        result = await records.get_records(core, _parse_get_records(body), ctx, _render_json)
        return _encode_get_records(result)

    return {
        ("kinesis", "PutRecords"): put_records,
        ("kinesis", "PutRecord"): put_record,
        ("kinesis", "GetRecords"): get_records,
    }
