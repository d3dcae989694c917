"""Invoke's fast path reads requests and renders answers exactly as the generic REST-JSON codec does,
and hands every request of another shape to it."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.protocol import rest_json
from headwater.protocol.models import service_model
from headwater.services.functions.fast_invoke import params_of, render

OP = service_model("lambda").operation_model("Invoke")


def generic(headers: dict[str, str], body: bytes, name: str = "fn") -> dict[str, Any]:
    params = rest_json.parse_request(OP, {"FunctionName": name}, "", headers, body)
    return {k: v for k, v in params.items() if v not in (None, b"")}


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, b'{"a": 1}'),
        ({}, b""),
        ({"x-amz-invocation-type": "RequestResponse"}, b"{}"),
        ({"x-amz-invocation-type": "Event"}, b"[1, 2]"),
        ({"x-amz-invocation-type": "DryRun", "x-amz-log-type": "Tail"}, b"{}"),
        ({"x-amz-log-type": "None"}, b'"x"'),
    ],
)
def test_fast_params_match_the_generic_codec(headers: dict[str, str], body: bytes) -> None:
    fast = params_of({"FunctionName": "fn"}, "", headers, body)
    assert fast is not None
    assert {k: v for k, v in fast.items() if v != b""} == generic(headers, body)


@pytest.mark.parametrize(
    ("name", "query", "headers"),
    [
        ("arn:aws:lambda:us-east-1:000000000000:function:fn", "", {}),
        ("fn:alias", "", {}),
        ("fn", "Qualifier=1", {}),
        ("x" * 65, "", {}),
        ("fn", "", {"x-amz-invocation-type": "Sometimes"}),
        ("fn", "", {"x-amz-log-type": "tail"}),
        ("fn", "", {"x-amz-client-context": "e30="}),
    ],
)
def test_other_shapes_take_the_generic_path(name: str, query: str, headers: dict[str, str]) -> None:
    assert params_of({"FunctionName": name}, query, headers, b"{}") is None


@pytest.mark.parametrize(
    "answer",
    [
        {"StatusCode": 200, "Payload": b'{"a": 1}', "ExecutedVersion": "$LATEST"},
        {"StatusCode": 200, "Payload": b"", "ExecutedVersion": "$LATEST", "FunctionError": "Unhandled"},
        {"StatusCode": 200, "Payload": b"null", "ExecutedVersion": "$LATEST", "LogResult": "U1RBUlQ="},
        {"StatusCode": 202},
        {"StatusCode": 204},
    ],
)
def test_fast_answers_match_the_generic_codec(answer: dict[str, Any]) -> None:
    status, headers, body = rest_json.serialize_response(OP, answer)
    assert render(answer) == (status, headers, body or b"")
