"""Smithy RPC v2 CBOR (botocore's ``smithy-rpc-v2-cbor``: Snowball, CloudWatch...), sans IO.

Theory of operation. A request is ``POST .../service/<ServiceName>/operation/<OperationName>``
with a ``smithy-protocol: rpc-v2-cbor`` header and the input structure as one CBOR map (no
body for an empty input). `<ServiceName>` is the model's ``targetPrefix`` (botocore's serializer
writes it there; `service_name`). Unlike Kinesis's legacy ``application/x-amz-cbor-1.1``
(`cbor_codec`), this protocol follows RFC 8949: a timestamp is tag 1 over epoch *seconds* (an
integer, or a float with a fraction), blobs are byte strings, NaN and the infinities are CBOR
floats, and big numbers come as tags 2/3 (cbor2 hands back Python ints). Responses carry
``Content-Type: application/cbor`` and ``smithy-protocol: rpc-v2-cbor``; an error is a map with
``__type`` (the error's name) and its members, at the error's HTTP status.

Parsed timestamps are epoch seconds (floats), as `json_codec` gives: a service that speaks both
(Snowball lists ``["smithy-rpc-v2-cbor", "json"]``) sees the same params either way.

Entry points: ``route(method, path, headers) -> (service name, operation) | None``,
``parse_request(op, body) -> params``, ``serialize_response(op, result) -> (status, headers,
body)``, ``serialize_error(service, code, message, fields=None, status=None)``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel

from headwater.protocol.cbor_codec import decode
from headwater.protocol.modeled_errors import ErrorWriter
from headwater.protocol.shapes import ShapeCodec, to_epoch_seconds, type_error

CONTENT_TYPE = "application/cbor"
PROTOCOL_HEADER = "smithy-protocol"
PROTOCOL = "rpc-v2-cbor"
Headers = list[tuple[str, str]]

_PATH = re.compile(r"(?:/[^?]*)?/service/([^/?]+)/operation/([^/?]+)")


def service_name(model: ServiceModel) -> str:
    """The `<ServiceName>` path segment clients send for `model`."""
    return str(model.metadata.get("targetPrefix") or model.service_name)


def route(method: str, path: str, headers: Mapping[str, str]) -> tuple[str, str] | None:
    """``(service name, operation name)`` of an RPC v2 CBOR request, else None."""
    if method.upper() != "POST":
        return None
    protocol = headers.get(PROTOCOL_HEADER)
    if protocol is None:
        protocol = next((v for k, v in headers.items() if k.lower() == PROTOCOL_HEADER), None)
    if protocol != PROTOCOL:
        return None
    found = _PATH.fullmatch(path.partition("?")[0])
    return (found.group(1), found.group(2)) if found else None


# --- the dialect -----------------------------------------------------------------------------


def _read_timestamp(v: Any) -> float:
    if isinstance(v, dt.datetime):  # tag 1 (and tag 0), decoded by cbor2
        return (v if v.tzinfo else v.replace(tzinfo=dt.UTC)).timestamp()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    raise type_error("an Date", v)


def _read_blob(v: Any) -> bytes:
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v)
    raise type_error("a Blob", v)


def _write_blob(v: Any) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)


def _write_timestamp(v: Any) -> cbor2.CBORTag:
    seconds = to_epoch_seconds(v)
    if isinstance(seconds, float) and seconds.is_integer():
        seconds = int(seconds)
    return cbor2.CBORTag(1, seconds)


_codec = ShapeCodec(
    blob_reader=lambda shape: _read_blob,
    timestamp_reader=lambda shape: _read_timestamp,
    blob_writer=lambda shape: _write_blob,
    timestamp_writer=lambda shape: _write_timestamp,
)


# --- API -------------------------------------------------------------------------------------


def parse_request(op: OperationModel, body: bytes) -> dict[str, Any]:
    """The operation's input; raises SerializationException for a body that is not its CBOR map."""
    if not body:
        return {}
    return _codec.read_params(op.input_shape, decode(body))


def _headers(service: ServiceModel | None = None) -> Headers:
    return [("Content-Type", CONTENT_TYPE), (PROTOCOL_HEADER, PROTOCOL)]


def serialize_response(op: OperationModel, result: Mapping[str, Any]) -> tuple[int, Headers, bytes]:
    """``(200, headers, body)``; an operation without output answers an empty body."""
    shape = op.output_shape
    if shape is None:
        return 200, [(PROTOCOL_HEADER, PROTOCOL)], b""
    return 200, _headers(), cbor2.dumps(_codec.write(shape, result))


# An error response: `code` is the error's shape name, `fields` its other members.
serialize_error = ErrorWriter(_codec.write, cbor2.dumps, _headers).serialize
