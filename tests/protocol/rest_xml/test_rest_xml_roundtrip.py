"""REST-XML round trips against botocore's own code, for every S3 operation we route.

Requests: botocore's rest-xml serializer and request preparation build the HTTP request a client
sends (path-style URL, then moved to a virtual-hosted Host); `s3_target` must route it to the same
operation and `parse_request` give back the params. Responses: `serialize_response` of a sample
result, parsed by botocore's RestXMLParser, must give back the result. Blob payloads (PutObject's
Body, GetObject's Body) are the gateway's business and are left out; an event stream too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.awsrequest import HeadersDict, prepare_request_dict
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from headwater.protocol.models import service_model
from headwater.protocol.rest_xml import codec as rest_xml
from headwater.protocol.rest_xml.s3_routing import routed_operations, s3_target

S3 = service_model("s3")
OPERATIONS = sorted(routed_operations())
BUCKET = "my-bucket.with.dots"
KEY = "dir//a b+c%2F/é€😀?#&=/"  # a botocore client percent-encodes it all but "/"
BODY_TEXT = "a\"b&c<d>e'f é 😀 \n x"  # an XML parser would fold a raw \r that botocore leaves unescaped
RESULT_TEXT = BODY_TEXT + "\r\r\n end"  # our writer escapes \r, so responses may carry it
HEADER_TEXT = "ascii-only; a=b (c) 1"
WHEN = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
WHEN_MS = WHEN.replace(microsecond=123000)

# Deprecated operations sharing their request with the current one: S3 answers the current one.
REPLACED = {
    "GetBucketLifecycle": "GetBucketLifecycleConfiguration",
    "PutBucketLifecycle": "PutBucketLifecycleConfiguration",
    "GetBucketNotification": "GetBucketNotificationConfiguration",
    "PutBucketNotification": "PutBucketNotificationConfiguration",
}

BOTOCORE_CANNOT_READ = {
    # botocore reads it with a handler of its own: tests/protocol/test_rest_xml.py
    "GetBucketLocation",
    # the deprecated shape names both Event and Events <Event>; botocore's parser hands back raw
    # elements for it (GetBucketNotificationConfiguration is the current form, and round-trips)
    "GetBucketNotification",
    # an event stream: the gateway frames result["Payload"] itself (body None, asserted above)
    "SelectObjectContent",
}


def sample(shape: Shape, where: str, text: str = BODY_TEXT, path: tuple[str, ...] = (), salt: int = 0) -> Any:
    """A value for `shape`; `where` is "body", "header" or "query" (what the wire can carry)."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure":
        if shape.name in path:
            return {}  # a recursive shape: stop here
        path = (*path, shape.name)
        out = {}
        for name, member in shape.members.items():
            if name == "Event" and "Events" in shape.members:
                continue  # the deprecated notification shapes name both <Event>: only Events reads back
            location = member.serialization.get("location") or where
            if member.serialization.get("eventstream"):
                continue
            if location == "headers":
                out[name] = {"color": "blue", "x-y": HEADER_TEXT}
            elif location == "uri":
                out[name] = BUCKET if member.serialization.get("name") == "Bucket" else KEY
            else:
                out[name] = sample(member, location, text, path, salt)
        return out
    if kind == "list":
        return [sample(shape.member, where, text, path, i) for i in range(2)]
    if kind == "map":
        return {f"key{i}": sample(shape.value, where, text, path, i) for i in range(2)}
    if kind == "string":
        if meta.get("enum"):
            return meta["enum"][salt % len(meta["enum"])]
        value = f"{HEADER_TEXT if where == 'header' else text}{salt}"
        return value[: meta.get("max", len(value))].ljust(meta.get("min", 0), "x")
    if kind in ("integer", "long"):
        return max(meta.get("min", 0), min(meta.get("max", 1 << 40), 7 + salt))
    if kind in ("float", "double"):
        return 2.5 + salt
    if kind == "boolean":
        return salt % 2 == 0
    if kind == "timestamp":
        whole_seconds = where != "body" or shape.serialization.get("timestampFormat") == "rfc822"
        return WHEN if whole_seconds else WHEN_MS
    if kind == "blob":
        return bytes([0, 255, 10, 13, salt])
    raise AssertionError(f"no sample for {kind}")


def client_request(
    op: OperationModel, params: dict[str, Any]
) -> tuple[str, str, list[tuple[str, str]], dict[str, str], bytes]:
    """(method, raw path, decoded query, lower-case headers, body) as a botocore client sends them."""
    request = create_serializer("rest-xml").serialize_to_request(params, op)
    prepare_request_dict(request, "http://localhost:4566")
    url = urlsplit(request["url"])
    query = parse_qsl(url.query, keep_blank_values=True)
    headers = {name.lower(): str(value) for name, value in request["headers"].items()}
    body = request["body"]
    body = body.encode() if isinstance(body, str) else body or b""
    return request["method"], url.path, query, headers, body


def virtual_hosted(raw_path: str) -> tuple[str, str]:
    """A path-style path as the Host and path of a virtual-hosted request."""
    _, bucket, rest = raw_path.split("/", 2) if raw_path.count("/") > 1 else (*raw_path.split("/"), "")
    return f"{bucket}.s3.localhost.localstack.cloud:4566", "/" + rest


def blob_payload(op: OperationModel, shape: Shape | None) -> str | None:
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload and (
        shape.members[payload].type_name == "blob" or shape.members[payload].serialization.get("eventstream")
    ):
        return payload
    return None


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("style", ["path", "virtual"])
def test_request_round_trip(operation: str, style: str) -> None:
    op = S3.operation_model(operation)
    params = sample(op.input_shape, "body") if op.input_shape is not None else {}
    method, path, query, headers, body = client_request(op, params)
    host = "localhost:4566"
    if style == "virtual" and "Bucket" in params:
        host, path = virtual_hosted(path)
    target = s3_target(method, host, path, query, headers)
    assert target.operation == REPLACED.get(operation, operation)
    assert target.bucket == params.get("Bucket")
    parsed = rest_xml.parse_request(op, target, query, headers, body)
    skipped = blob_payload(op, op.input_shape)
    if skipped:
        assert rest_xml.request_payload(op) == (skipped, True)
        params.pop(skipped)
    assert parsed == params


@pytest.mark.parametrize("operation", OPERATIONS)
def test_response_round_trip(operation: str) -> None:
    op = S3.operation_model(operation)
    shape = op.output_shape
    result = sample(shape, "body", RESULT_TEXT) if shape is not None else {}
    status, headers, body = rest_xml.serialize_response(op, result)
    assert status == op.http.get("responseCode", 200)
    skipped = blob_payload(op, shape)
    if skipped:
        assert body is None
        result.pop(skipped, None)
        body = b""
    if operation in BOTOCORE_CANNOT_READ:
        return
    response = {"status_code": status, "headers": HeadersDict(headers), "body": body}
    parsed = create_parser("rest-xml").parse(response, shape)
    parsed.pop("ResponseMetadata")
    if skipped:
        parsed.pop(skipped, None)
    assert parsed == result
