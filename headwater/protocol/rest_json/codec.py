"""AWS REST-JSON (Lambda, IoT, iot-data...), sans IO: params from a request, a response from a result.

Theory of operation. As in REST-XML, each input/output member sits at one location: a URI label,
the query string, a header, a header prefix family, the status code, or the body. An operation's
plan, built once, keys every bound member by its wire name with its converter
(`http_bindings`); the body is either the ``payload`` member (a structure or document as JSON, a
blob as raw bytes, a string as text) or, without one, the remaining members as one JSON object,
read and written by a REST-JSON `ShapeCodec` (blobs base64, timestamps epoch seconds unless
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
from urllib.parse import parse_qsl

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from headwater.protocol import http_bindings as hb
from headwater.protocol.errors import AwsError
from headwater.protocol.json_codec import json_shape_codec
from headwater.protocol.modeled_errors import QUERY_ERROR_HEADER, body_fields, describe
from headwater.protocol.scalar_text import Format, Parse, as_datetime, parse_timestamp
from headwater.protocol.shapes import Converter, serialization_error, type_error

CONTENT_TYPE = "application/json"
_BOUND_OUT = ("header", "headers", "statusCode")
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


def _in_body(member: Shape) -> bool:
    return member.serialization.get("location") is None


@dataclass(frozen=True, slots=True)
class _Input:
    labels: tuple[tuple[str, str, Parse], ...]  # (member, label, converter)
    query: dict[str, tuple[str, Parse, bool]]  # key -> (member, converter, is a list)
    query_map: tuple[str, Parse, bool] | None  # (member, value converter, values are lists)
    headers: dict[str, tuple[str, Parse]]  # lower-case name -> (member, converter)
    prefixed: tuple[tuple[str, str], ...]  # (member, lower-case prefix)
    payload: str
    payload_kind: str  # "json" | "blob" | "string" | "body" | "none"
    body_members: frozenset[str]


@cache
def _input_plan(op: OperationModel) -> _Input:
    shape = op.input_shape
    members = shape.members if shape is not None else {}
    labels, headers, query, prefixed = [], {}, {}, []
    query_map = None
    for name, member in members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            labels.append((name, wire, hb.scalar_parser(member, wire, "uri")))
        elif location == "header":
            headers[wire.lower()] = (name, hb.header_parser(member, wire))
        elif location == "headers":
            prefixed.append((name, wire.lower()))
        elif location == "querystring":
            if member.type_name == "map":
                value = cast(MapShape, member).value
                is_list = value.type_name == "list"
                query_map = (
                    name,
                    hb.scalar_parser(cast(ListShape, value).member if is_list else value, name, "query"),
                    is_list,
                )
            else:
                is_list = member.type_name == "list"
                item_shape = cast(ListShape, member).member if is_list else member
                convert = hb.scalar_parser(item_shape, wire, "query")
                query[wire] = (name, convert, is_list)
    payload = shape.serialization.get("payload", "") if shape is not None else ""
    if payload:
        target = members[payload]
        kind = {"blob": "blob", "string": "string"}.get(target.type_name, "json")
    else:
        kind = "body" if any(_in_body(m) for m in members.values()) else "none"
    body = frozenset(name for name, m in members.items() if _in_body(m))
    return _Input(tuple(labels), query, query_map, headers, tuple(prefixed), payload, kind, body)


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
    for name, label, convert in plan.labels:
        if label in labels:
            params[name] = convert(labels[label])
    if plan.query or plan.query_map:
        pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
        for key, text in pairs:
            entry = plan.query.get(key)
            if entry is not None:
                name, convert, is_list = entry
                if is_list:
                    params.setdefault(name, []).append(convert(text))
                elif name not in params:
                    params[name] = convert(text)
            if plan.query_map is not None:  # every pair, bound ones too (Smithy's REST-JSON tests)
                name, convert, is_list = plan.query_map
                found = params.setdefault(name, {})
                if is_list:
                    found.setdefault(key, []).append(convert(text))
                else:
                    found.setdefault(key, convert(text))
    for header, text in headers.items():
        lower = header.lower()
        bound = plan.headers.get(lower)
        if bound is not None:
            params[bound[0]] = bound[1](text)
            continue
        for name, prefix in plan.prefixed:
            if lower.startswith(prefix):
                params.setdefault(name, {})[lower[len(prefix) :]] = text
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
    headers: dict[str, tuple[str, Format]]  # member -> (header, formatter)
    prefixed: dict[str, str]  # member -> header prefix
    status_member: str
    payload: str
    payload_kind: str  # "json" | "blob" | "string" | "eventstream" | "body" | "none"
    body_members: frozenset[str]
    content_type: str


@cache
def _output_plan(op: OperationModel) -> _Output:
    return _plan_for(op.output_shape, int(op.http.get("responseCode", 200)))


def _plan_for(shape: StructureShape | None, status: int) -> _Output:
    members = shape.members if shape is not None else {}
    headers: dict[str, tuple[str, Format]] = {}
    prefixed: dict[str, str] = {}
    status_member = ""
    for name, member in members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "header":
            headers[name] = (wire, hb.header_formatter(member))
        elif location == "headers":
            prefixed[name] = wire
        elif location == "statusCode":
            status_member = name
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
        kind = (
            "body"
            if any(m.serialization.get("location") not in _BOUND_OUT for m in members.values())
            else "none"
        )
    # Labels and query members of a structure used as an output travel in the body.
    body = frozenset(name for name, m in members.items() if m.serialization.get("location") not in _BOUND_OUT)
    return _Output(status, headers, prefixed, status_member, payload, kind, body, content_type)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _render(
    shape: StructureShape | None, plan: _Output, result: Mapping[str, Any]
) -> tuple[int, Headers, bytes | None]:
    status = plan.status
    headers: Headers = []
    body_values: dict[str, Any] = {}
    for name, value in result.items():
        if value is None:
            continue
        entry = plan.headers.get(name)
        if entry is not None:
            headers.append((entry[0], entry[1](value)))
        elif name in plan.prefixed:
            prefix = plan.prefixed[name]
            headers.extend((prefix + str(k), str(v)) for k, v in value.items() if v is not None)
        elif name == plan.status_member:
            status = int(value)
        elif name in plan.body_members:
            body_values[name] = value
    kind = plan.payload_kind
    body: bytes | None = b""
    if kind == "body":
        write = codec.writer(cast(StructureShape, shape))  # "body": the shape has body members
        body = _dumps(write(body_values) if write is not None else body_values)
    elif kind == "json":
        value = result.get(plan.payload)
        if value is not None and shape is not None:
            write = codec.writer(shape.members[plan.payload])
            body = _dumps(value if write is None else write(value))
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
