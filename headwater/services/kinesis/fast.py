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
from base64 import b64decode, b64encode
from collections.abc import Awaitable, Callable
from typing import Any

from headwater.protocol import json_codec
from headwater.protocol.models import operation_model, service_model
from headwater.protocol.validation import java_namespace, validate
from headwater.services.context import RequestContext
from headwater.services.kinesis import records
from headwater.services.kinesis.service import KinesisCore

FastPath = Callable[[bytes, RequestContext], Awaitable[bytes]]

STREAM_MEMBERS = ("StreamName", "StreamARN", "StreamId")
NAMESPACE = java_namespace(service_model("kinesis"))
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _generic(operation: str, body: bytes) -> dict[str, Any]:
    op = operation_model("kinesis", operation)
    params = json_codec.parse_request(op, body)
    validate(op.input_shape, params, namespace=NAMESPACE)
    return params


def _decode_blob(value: Any) -> bytes:
    if type(value) is not str:
        raise TypeError
    return b64decode(value, validate=True)


def _strings(params: dict[str, Any], names: tuple[str, ...]) -> None:
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
        if type(params.get("ShardIterator")) is not str or (limit is not None and type(limit) is not int):
            raise TypeError
    except (ValueError, TypeError, RecursionError):
        return _generic("GetRecords", body)
    validate(_shape("GetRecords"), params, namespace=NAMESPACE)
    return params


def _shape(operation: str) -> Any:
    return operation_model("kinesis", operation).input_shape


def _render_records(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in items:
        item["Data"] = b64encode(item["Data"]).decode()
    return items


def kinesis_fast_paths(core: KinesisCore) -> dict[tuple[str, str], FastPath]:
    async def put_records(body: bytes, ctx: RequestContext) -> bytes:
        result = await records.put_records(core, _parse_put_records(body), ctx)
        return _dumps(result).encode()

    async def put_record(body: bytes, ctx: RequestContext) -> bytes:
        result = await records.put_record(core, _parse_put_record(body), ctx)
        return _dumps(result).encode()

    async def get_records(body: bytes, ctx: RequestContext) -> bytes:
        result = await records.get_records(core, _parse_get_records(body), ctx)
        _render_records(result["Records"])
        return _dumps(result).encode()

    return {
        ("kinesis", "PutRecords"): put_records,
        ("kinesis", "PutRecord"): put_record,
        ("kinesis", "GetRecords"): get_records,
    }
