"""REST-JSON against botocore's own client serializer and parser, on real Lambda/IoT/iot-data operations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from headwater.protocol import rest_json
from headwater.protocol.models import service_model
from headwater.protocol.rest_router import RestRouter

CASES = [
    (
        "lambda",
        "Invoke",
        {"FunctionName": "fn:prod", "Payload": b'{"a": 1}', "Qualifier": "1", "LogType": "Tail"},
    ),
    ("lambda", "ListFunctions", {"MaxItems": 5, "Marker": "m/1"}),
    ("lambda", "GetFunction", {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"}),
    ("lambda", "UpdateFunctionCode", {"FunctionName": "f", "ZipFile": b"PK\x03\x04", "Publish": True}),
    ("lambda", "ListVersionsByFunction", {"FunctionName": "f"}),
    ("lambda", "TagResource", {"Resource": "arn:aws:lambda:us-east-1:1:function:f", "Tags": {"k": "v"}}),
    ("iot", "DescribeThing", {"thingName": "my thing"}),
    ("iot", "ListThings", {"attributeName": "a", "attributeValue": "b", "maxResults": 10}),
    ("iot", "CreateThing", {"thingName": "t", "attributePayload": {"attributes": {"x": "1"}}}),
    ("iot", "UpdateCertificate", {"certificateId": "ab" * 32, "newStatus": "INACTIVE"}),
    ("iot-data", "UpdateThingShadow", {"thingName": "t", "shadowName": "s", "payload": b'{"state":{}}'}),
    (
        "iot-data",
        "Publish",
        {"topic": "a/b/c", "qos": 1, "retain": True, "payload": b"hi", "userProperties": [{"a": "b"}]},
    ),
    ("iot-data", "GetRetainedMessage", {"topic": "a/b"}),
]


def _request(service: str, operation: str, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    model = service_model(service)
    op = model.operation_model(operation)
    request = create_serializer("rest-json").serialize_to_request(params, op)
    return op, request


@pytest.mark.parametrize(("service", "operation", "params"), CASES, ids=[f"{s}:{o}" for s, o, _ in CASES])
def test_botocore_requests_parse_back(service: str, operation: str, params: dict[str, Any]) -> None:
    op, request = _request(service, operation, params)
    path, _, literal = request["url_path"].partition("?")
    query = "&".join(q for q in (literal, urlencode(request["query_string"], doseq=True)) if q)
    found = RestRouter(op.service_model).match(request["method"], path, query)
    assert found is not None and found.operation.name == operation
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    parsed = rest_json.parse_request(op, found.labels, query, request["headers"], body)
    if "userProperties" in params:  # a jsonvalue header: botocore sends it as base64 JSON
        assert parsed.pop("userProperties") == params.pop("userProperties")
    assert parsed == params


def test_router_prefers_literals_and_query_literals() -> None:
    router = RestRouter(service_model("lambda"))
    found = router.match("GET", "/2015-03-31/functions/f/versions", "")
    assert found is not None and found.operation.name == "ListVersionsByFunction"
    found = router.match("GET", "/2015-03-31/functions/", "")
    assert found is not None and found.operation.name == "ListFunctions"
    assert router.match("DELETE", "/nowhere", "") is None
    iot = RestRouter(service_model("iot"))
    found = iot.match("GET", "/things/a%2Fb", "")
    assert (
        found is not None and found.operation.name == "DescribeThing" and found.labels == {"thingName": "a/b"}
    )


def _parse(op: Any, status: int, headers: list[tuple[str, str]], body: bytes | None) -> dict[str, Any]:
    response = {"status_code": status, "headers": dict(headers), "body": body or b""}
    parsed: dict[str, Any] = create_parser("rest-json").parse(response, op.output_shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


def test_responses_read_back_by_botocore() -> None:
    op = service_model("lambda").operation_model("Invoke")
    result = {"StatusCode": 202, "FunctionError": "Unhandled", "LogResult": "bG9n", "Payload": b"{}"}
    status, headers, body = rest_json.serialize_response(op, result)
    assert status == 202
    assert body == b"{}"  # the raw payload; botocore hands a non-streaming blob payload back as text
    assert _parse(op, status, headers, body) == {**result, "Payload": "{}"}
    op = service_model("iot").operation_model("DescribeThing")
    result = {"thingName": "t", "version": 3, "attributes": {"a": "b"}}
    assert _parse(op, *rest_json.serialize_response(op, result)) == result
    op = service_model("lambda").operation_model("GetFunctionConfiguration")
    when = "2024-01-02T03:04:05.000+0000"
    result = {"FunctionName": "f", "LastModified": when, "MemorySize": 128, "Timeout": 3}
    assert _parse(op, *rest_json.serialize_response(op, result)) == result
    op = service_model("iot").operation_model("ListThings")
    result = {"things": [{"thingName": "t", "version": 1}], "nextToken": "n"}
    assert _parse(op, *rest_json.serialize_response(op, result)) == result


def test_errors_read_back_by_botocore() -> None:
    model = service_model("lambda")
    status, headers, body = rest_json.serialize_error(
        model, "ResourceNotFoundException", "Function not found: f", {"Type": "User"}
    )
    assert status == 404
    response = {"status_code": status, "headers": dict(headers), "body": body}
    parsed = create_parser("rest-json").parse(response, None)
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed["Error"]["Message"] == "Function not found: f"
