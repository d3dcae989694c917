"""Runs one vector through Headwater, per protocol: requests parsed, responses rendered.

`parse_input(protocol, op, serialized)` feeds a vector's serialized request (method, uri,
headers, body) to Headwater's request parser and returns the params. `render_output(protocol,
op, result)` and `render_error(protocol, op, code, message, fields)` give a response dict in the
shape botocore's response parsers take (status_code, headers, body).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from botocore.awsrequest import HeadersDict
from botocore.model import OperationModel

from headwater.protocol import json_codec, query_codec, rest_json, rpcv2_cbor
from headwater.protocol.rest_router import RestRouter
from headwater.protocol.rest_xml import codec as rest_xml
from headwater.protocol.rest_xml import errors as rest_xml_errors


def _body(serialized: Mapping[str, Any], protocol: str) -> bytes:
    body = serialized.get("body") or ""
    if protocol == "smithy-rpc-v2-cbor":
        return base64.b64decode(body)
    return body.encode("utf-8")


def _route(op: OperationModel, serialized: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    uri = serialized.get("uri", "/")
    path, _, query = uri.partition("?")
    found = RestRouter(op.service_model).match(serialized.get("method", "POST"), path, query)
    assert found is not None, f"no route for {serialized.get('method')} {uri}"
    assert found.operation.name == op.name
    return found.labels, query


def parse_input(protocol: str, op: OperationModel, serialized: Mapping[str, Any]) -> dict[str, Any]:
    body = _body(serialized, protocol)
    headers = {k.lower(): v for k, v in serialized.get("headers", {}).items()}
    if protocol == "json":
        return json_codec.parse_request(op, body)
    if protocol == "query":
        query = serialized.get("uri", "/").partition("?")[2]
        return query_codec.parse_request(op, query_codec.decode_fields(query.encode(), body))
    if protocol == "rest-json":
        labels, query = _route(op, serialized)
        return rest_json.parse_request(op, labels, query, headers, body)
    if protocol == "rest-xml":
        labels, query = _route(op, serialized)
        pairs = parse_qsl(query, keep_blank_values=True)
        params = rest_xml.parse_request(op, labels, pairs, headers, body)
        payload = rest_xml.request_payload(op)
        if payload and payload[1] and body:
            params[payload[0]] = body  # the gateway's part: a blob payload is the body itself
        return params
    if protocol == "smithy-rpc-v2-cbor":
        routed = rpcv2_cbor.route(serialized.get("method", "POST"), serialized["uri"], headers)
        assert routed == (rpcv2_cbor.service_name(op.service_model), op.name), routed
        return rpcv2_cbor.parse_request(op, body)
    raise AssertionError(f"no adapter for {protocol}")


def _response(status: int, headers: Any, body: bytes | None) -> dict[str, Any]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out = HeadersDict()
    for name, value in pairs:
        out[name] = value
    return {"status_code": status, "headers": out, "body": body or b""}


def render_output(protocol: str, op: OperationModel, result: Mapping[str, Any]) -> dict[str, Any]:
    if protocol == "json":
        body = json_codec.serialize_response(op, result)
        return _response(200, {"Content-Type": json_codec.content_type(op)}, body)
    if protocol == "query":
        return _response(200, {"Content-Type": "text/xml"}, query_codec.serialize_response(op, result, "rid"))
    if protocol == "rest-json":
        status, headers, body = rest_json.serialize_response(op, result)
        if body is None:
            body = _raw_payload(op, result)
        return _response(status, headers, body)
    if protocol == "rest-xml":
        status, headers, body = rest_xml.serialize_response(op, result)
        if body is None:
            body = _raw_payload(op, result)
        return _response(status, headers, body)
    if protocol == "smithy-rpc-v2-cbor":
        return _response(*rpcv2_cbor.serialize_response(op, result))
    raise AssertionError(f"no adapter for {protocol}")


def _raw_payload(op: OperationModel, result: Mapping[str, Any]) -> bytes:
    """What the gateway streams for a blob payload (the codecs hand it back untouched)."""
    assert op.output_shape is not None
    value = result.get(op.output_shape.serialization["payload"], b"")
    return value.encode() if isinstance(value, str) else bytes(value)


def render_error(
    protocol: str, op: OperationModel, code: str, wire_code: str, message: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """`code` is the error shape's name (what a service raises), `wire_code` what an XML protocol
    writes in ``<Code>`` (the model's ``error.code`` where it has one)."""
    service = op.service_model
    if protocol == "json":
        return _response(*json_codec.serialize_modeled_error(service, code, message, fields))
    if protocol == "query":
        body = query_codec.serialize_error(wire_code, message, "rid")
        return _response(400, {"Content-Type": "text/xml"}, body)
    if protocol == "rest-json":
        return _response(*rest_json.serialize_error(service, code, message, fields))
    if protocol == "rest-xml":
        extra = {k: str(v) for k, v in fields.items() if k not in ("message", "Message")}
        body = rest_xml_errors.serialize_error(wire_code, message, "rid", "hid", extra)
        return _response(400, {"Content-Type": "application/xml"}, body)
    if protocol == "smithy-rpc-v2-cbor":
        return _response(*rpcv2_cbor.serialize_error(service, code, message, fields))
    raise AssertionError(f"no adapter for {protocol}")
