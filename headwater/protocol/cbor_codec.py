"""AWS CBOR 1.1 bodies: the legacy CBOR flavour of the ``json`` protocol the AWS Java SDKs speak.

The Java SDK v1 and v2 talk to Kinesis in ``application/x-amz-cbor-1.1`` by default: the same
documents as AWS JSON 1.1, but blobs are CBOR byte strings and timestamps are CBOR tag 1 wrapping
an *integer number of epoch milliseconds* (the SDK's ``SdkCborGenerator`` writes
``writeTag(1); writeNumber(date.getTime())``, and its unmarshaller reads the number back as
milliseconds). RFC 8949 says tag 1 holds seconds, so cbor2 refuses such payloads by default; we
install a tag-1 semantic decoder that hands the raw number back and convert it here.

What we accept for a timestamp member: tag 1 over an integer (milliseconds when its magnitude
exceeds 1e11, i.e. past 1973 in ms / year 5138 in seconds; otherwise seconds), tag 1 over a float
(seconds), the same numbers untagged (magnitude rule), a tag-0 date string, or an ISO-8601 string.
What we emit: tag 1 over integer milliseconds, which is what the Java SDK reads.

botocore never speaks this dialect: its ``json`` protocol parser is JSON only, and its CBOR
parser (``BaseCBORParser``, used solely by ``smithy-rpc-v2-cbor``) follows RFC 8949 and reads a
tag-1 number as *seconds* (``_parse_datetime`` hands it to ``parse_timestamp``). So an
rpc-v2-cbor codec, if we ever add one, must emit seconds, not the milliseconds used here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import cbor2
from botocore.model import OperationModel, Shape

from headwater.protocol.shapes import (
    ShapeCodec,
    error_document,
    parse_iso8601,
    serialization_error,
    to_epoch_millis,
    type_error,
)

CONTENT_TYPE = "application/x-amz-cbor-1.1"

_MILLIS_THRESHOLD = 1e11


class _Epoch:
    """A tag-1 value, handed back raw by the decoder (it would refuse the Java SDK's millis)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _decode_tag1(value: Any, *_: Any) -> _Epoch:
    return _Epoch(value)


_SEMANTIC = {1: _decode_tag1}


def _read_timestamp(v: Any) -> float:
    tagged = type(v) is _Epoch
    if tagged:
        v = v.value
    if type(v) is int:
        return v / 1000 if abs(v) > _MILLIS_THRESHOLD else float(v)
    if type(v) is float:
        return v if tagged or abs(v) <= _MILLIS_THRESHOLD else v / 1000
    if tagged:
        raise type_error("an Date", v)
    if isinstance(v, dt.datetime):  # tag 0 (RFC 3339 text), decoded by cbor2
        return (v if v.tzinfo else v.replace(tzinfo=dt.UTC)).timestamp()
    if type(v) is str:
        try:
            return parse_iso8601(v)
        except ValueError:
            raise serialization_error(f"'{v}' can not be converted to an Date") from None
    raise type_error("an Date", v)


def _read_blob(v: Any) -> bytes:
    if type(v) is bytes:
        return v
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v)
    raise type_error("a Blob", v)


def _write_blob(v: Any) -> bytes:
    if type(v) is bytes:
        return v
    if isinstance(v, str):
        return v.encode()
    return bytes(v)


def _write_timestamp(v: Any) -> cbor2.CBORTag:
    return cbor2.CBORTag(1, to_epoch_millis(v))


_codec = ShapeCodec(
    blob_reader=lambda shape: _read_blob,
    timestamp_reader=lambda shape: _read_timestamp,
    blob_writer=lambda shape: _write_blob,
    timestamp_writer=lambda shape: _write_timestamp,
)


def decode(body: bytes, semantic_decoders: Mapping[int, Callable[..., Any]] | None = None) -> Any:
    """A CBOR request body (None for undefined); SerializationException when it does not decode.

    strict_hashable_types: only text/byte-string map keys, so no hash-flooding through crafted
    keys; max_depth bounds recursion. Shared with `rpcv2_cbor`."""
    try:
        data = cbor2.loads(
            body, semantic_decoders=semantic_decoders, strict_hashable_types=True, max_depth=64
        )
    except Exception:  # the decoder's failures vary (CBORDecodeError, ValueError, OverflowError...)
        raise serialization_error() from None
    return None if data is cbor2.undefined else data


def parse_request(op: OperationModel, body: bytes) -> dict[str, Any]:
    """The operation's input as a dict keyed by member names; raises SerializationException."""
    if not body:
        return {}
    return _codec.read_params(op.input_shape, decode(body, _SEMANTIC))


def serialize_shape(shape: Shape, value: Any) -> bytes:
    """One value of `shape` (e.g. an event-stream event's structure) as CBOR bytes."""
    return cbor2.dumps(_codec.write(shape, value))


def serialize_response(op: OperationModel, result: Mapping[str, Any]) -> bytes:
    """The operation's output; empty for operations without one (as AWS answers CreateStream)."""
    shape = op.output_shape
    if shape is None:
        return b""
    return serialize_shape(shape, result)


def serialize_error(code: str, message: str) -> bytes:
    return cbor2.dumps(error_document(code, message))
