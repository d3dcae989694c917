"""AWS REST-JSON (Lambda, IoT, iot-data...), sans IO: params from a request, a response from a result.

Theory of operation. As in REST-XML, each input/output member sits at one location: a URI label,
the query string, a header, a header prefix family, the status code, or the body. An operation's
plan, built once, keys every bound member by its wire name with its converter (`http_members`,
converters from `http_bindings`); the body is either the ``payload`` member (a structure or
document as JSON, a blob as raw bytes, a string as text) or, without one, the remaining members
as one JSON object, read and written by a REST-JSON `ShapeCodec` (blobs base64, timestamps epoch seconds unless
``timestampFormat`` says otherwise, floats' NaN/Infinity as strings).

Entry points:

* ``parse_request(op, labels, query, headers, body) -> params``: `labels` from
  `RestRouter.match`, `query` the raw query string (or decoded pairs), `headers` with any case.
  Timestamps come back as aware UTC datetimes. Raises SerializationException.
* ``serialize_response(op, result) -> (status, headers, body)``: `body` is None when the
  payload is a blob that is not bytes (a stream) or an event stream: the caller sends it.
* ``serialize_error(service, code, message, fields=None, status=None) -> (status, headers, body)``:
  ``x-amzn-errortype`` plus ``__type`` in the body, the error shape's status and its members.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from headwater.protocol import http_bindings as hb
from headwater.protocol.errors import AwsError
from headwater.protocol.http_members import (
    RequestBindings,
    ResponseBindings,
    bind_request,
    bind_response,
    in_request_body,
    in_response_body,
    request_bindings,
    response_bindings,
)
from headwater.protocol.json_codec import json_shape_codec
from headwater.protocol.modeled_errors import QUERY_ERROR_HEADER, body_fields, describe
from headwater.protocol.scalar_text import Parse, as_datetime, parse_timestamp
from headwater.protocol.shapes import Converter, serialization_error, type_error

CONTENT_TYPE = "application/json"
Headers = list[tuple[str, str]]


def _read_timestamp(v: Any) -> Any:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return as_datetime(v)
    if type(v) is str:
        try:
            return parse_timestamp(v)
        except ValueError:
            raise serialization_error(f"'{v}' can not be converted to an Date") from None
    raise type_error("an Date", v)


def _timestamp_writer(shape: Shape) -> Converter:
    fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
    if fmt == "unixTimestamp":
        return hb.epoch_seconds
    return hb.timestamp_formatter(shape, fmt)


codec = json_shape_codec(lambda shape: _read_timestamp, _timestamp_writer)


@dataclass(frozen=True, slots=True)
class _Input:
    bound: RequestBindings
    payload: str
    payload_kind: str  # "json" | "blob" | "string" | "body" | "none"
    body_members: frozenset[str]


def _label(member: Shape, wire: str) -> Parse:
    return hb.scalar_parser(member, wire, "uri")


def _query(member: Shape, wire: str) -> Parse:
    return hb.scalar_parser(member, wire, "query")


@cache
def _input_plan(op: OperationModel) -> _Input:
    shape = op.input_shape
    members = shape.members if shape is not None else {}
    bound = request_bindings(members, _label, _query, hb.header_parser, every_pair_to_map=True)
    payload = shape.serialization.get("payload", "") if shape is not None else ""
    if payload:
        target = members[payload]
        kind = {"blob": "blob", "string": "string"}.get(target.type_name, "json")
    else:
        kind = "body" if any(in_request_body(m) for m in members.values()) else "none"
    body = frozenset(name for name, m in members.items() if in_request_body(m))
    return _Input(bound, payload, kind, body)


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise serialization_error() from None


def parse_request(
    op: OperationModel,
    labels: Mapping[str, str],
    query: str | Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The operation's params from a routed request (see the module docstring)."""
    plan = _input_plan(op)
    params: dict[str, Any] = {}
    bind_request(plan.bound, params, labels, query, headers)
    kind = plan.payload_kind
    if kind == "blob":
        if body:
            params[plan.payload] = bytes(body)
    elif kind == "string":
        if body:
            params[plan.payload] = body.decode("utf-8", errors="replace")
    elif kind == "json":
        if body and body.strip():
            # a payload or body kind means the operation has an input shape (see _input_plan)
            shape = cast(StructureShape, op.input_shape).members[plan.payload]
            params[plan.payload] = codec.reader(shape)(_loads(body))
    elif kind == "body" and body and body.strip():
        data = _loads(body)
        read = codec.reader(cast(StructureShape, op.input_shape))(data)
        params.update((k, v) for k, v in read.items() if k in plan.body_members)
    return params


# --- responses -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Output:
    status: int
    bound: ResponseBindings
    payload: str
    payload_kind: str  # "json" | "blob" | "string" | "eventstream" | "body" | "none"
    body_members: frozenset[str]
    content_type: str


@cache
def _output_plan(op: OperationModel) -> _Output:
    return _plan_for(op.output_shape, int(op.http.get("responseCode", 200)))


def _plan_for(shape: StructureShape | None, status: int) -> _Output:
    members = shape.members if shape is not None else {}
    bound = response_bindings(members, hb.header_formatter)
    payload = shape.serialization.get("payload", "") if shape is not None else ""
    content_type = CONTENT_TYPE
    if payload:
        target = members[payload]
        if target.serialization.get("eventstream"):
            kind, content_type = "eventstream", "application/vnd.amazon.eventstream"
        elif target.type_name in ("blob", "string"):
            kind = target.type_name
            default = "application/octet-stream" if kind == "blob" else "text/plain"
            content_type = target.metadata.get("mediaType", default)
        else:
            kind = "json"
    else:
        kind = "body" if any(in_response_body(m) for m in members.values()) else "none"
    body = frozenset(name for name, m in members.items() if in_response_body(m))
    return _Output(status, bound, payload, kind, body, content_type)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _render(
    shape: StructureShape | None, plan: _Output, result: Mapping[str, Any]
) -> tuple[int, Headers, bytes | None]:
    status, headers, body_values = bind_response(plan.bound, result, plan.status, plan.body_members)
    kind = plan.payload_kind
    body: bytes | None = b""
    if kind == "body":
        body = _dumps(codec.write(cast(StructureShape, shape), body_values))  # "body": it has body members
    elif kind == "json":
        value = result.get(plan.payload)
        if value is not None and shape is not None:
            body = _dumps(codec.write(shape.members[plan.payload], value))
    elif kind in ("blob", "string"):
        value = result.get(plan.payload)
        if isinstance(value, str):
            body = value.encode()
        elif isinstance(value, bytes | bytearray | memoryview):
            body = bytes(value)
        elif value is not None:
            body = None  # a stream: the caller sends it
    elif kind == "eventstream":
        body = None
    if (body or body is None) and not any(h[0].lower() == "content-type" for h in headers):
        headers.append(("Content-Type", plan.content_type))
    return status, headers, body


def serialize_response(op: OperationModel, result: Mapping[str, Any]) -> tuple[int, Headers, bytes | None]:
    """``(status, headers, body)`` for an operation's result (see the module docstring)."""
    return _render(op.output_shape, _output_plan(op), result)


def serialize_error(
    service: ServiceModel,
    code: str,
    message: str,
    fields: Mapping[str, Any] | None = None,
    status: int | None = None,
) -> tuple[int, Headers, bytes]:
    """An error response: `code` is the error's shape name, `fields` its other members."""
    error = describe(service, code, status)
    values = body_fields(error, message, fields)
    headers: Headers = [("x-amzn-errortype", code)]
    document: dict[str, Any] = {"__type": code}
    if error.shape is not None:
        _, extra, body = _render(error.shape, _plan_for(error.shape, error.status), values)
        headers.extend(h for h in extra if h[0].lower() != "content-type")
        if body:
            document.update(json.loads(body))
    else:
        document.update(values)
    if error.query_header:
        headers.append((QUERY_ERROR_HEADER, error.query_header))
    headers.append(("Content-Type", CONTENT_TYPE))
    return error.status, headers, _dumps(document)


def error_response(service: ServiceModel, error: AwsError) -> tuple[int, Headers, bytes]:
    """`serialize_error` for an AwsError (its status and extra headers kept)."""
    status, headers, body = serialize_error(service, error.code, error.message, status=error.status)
    return status, headers + list(error.headers.items()), body
