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
from collections.abc import Awaitable, Callable
from json.encoder import encode_basestring_ascii as _quote  # type: ignore[attr-defined]
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


_RECORD = b'{"SequenceNumber":"%s","ApproximateArrivalTimestamp":%s,"Data":"%s","PartitionKey":%s%s}'
_KMS = b',"EncryptionType":"KMS"'


def _encode_get_records(result: dict[str, Any]) -> bytes:
    """GetRecords' output with records formatted straight into bytes: json.dumps over 10 MiB of
    base64 strings was most of the cost of a drain."""
    items = [
        _RECORD
        % (
            item["SequenceNumber"].encode(),
            repr(item["ApproximateArrivalTimestamp"]).encode(),
            b2a_base64(item["Data"], newline=False),
            _quote(item["PartitionKey"]).encode(),
            _KMS if "EncryptionType" in item else b"",
        )
        for item in result.pop("Records")
    ]
    rest = _dumps(result).encode()
    return b"".join((b'{"Records":[', b",".join(items), b"]", b"," + rest[1:] if len(rest) > 2 else b"}"))


def kinesis_fast_paths(core: KinesisCore) -> dict[tuple[str, str], FastPath]:
    async def put_records(body: bytes, ctx: RequestContext) -> bytes:
        result = await records.put_records(core, _parse_put_records(body), ctx)
        return _dumps(result).encode()

    async def put_record(body: bytes, ctx: RequestContext) -> bytes:
        result = await records.put_record(core, _parse_put_record(body), ctx)
        return _dumps(result).encode()

    async def get_records(body: bytes, ctx: RequestContext) -> bytes:
        return _encode_get_records(await records.get_records(core, _parse_get_records(body), ctx))

    return {
        ("kinesis", "PutRecords"): put_records,
        ("kinesis", "PutRecord"): put_record,
        ("kinesis", "GetRecords"): get_records,
    }
