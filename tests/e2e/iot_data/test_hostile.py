"""Bad input never costs the server: every iot-data operation with each member bent on its own
(`support/fuzz_sweep.py`: null, thousands of digits, wrong types, oversized or non-UTF-8 values) and
hand-made hostile requests (topics with NUL, invalid percent-escapes, huge headers) answer a 4xx
(or 501) or are served, and the server stays healthy."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from headwater.protocol.models import service_model
from tests.e2e.support.fuzz import requests_for, signed
from tests.e2e.support.fuzz_sweep import bends_for
from tests.e2e.support.server import Server

NAMES: dict[str, str] = {}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(15.0)) as client:
        yield client


def status_of(http: httpx.Client, method: str, url: str, headers: dict[str, str], body: bytes) -> int | None:
    try:
        return http.request(method, url, headers=headers, content=body).status_code
    except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError, ValueError):
        return None  # httpx would not send it: nothing for the server to answer


def test_every_operation_and_every_member_bent(server: Server, http: httpx.Client) -> None:
    server.reset()
    model = service_model("iot-data")
    wires = [("as built", wire) for wire in requests_for(model, NAMES)]
    assert {wire.operation for _, wire in wires} == set(model.operation_names)
    failures = []
    for what, wire in [*wires, *bends_for(model, NAMES)]:
        status = status_of(http, *signed(wire, server.endpoint))
        if status is not None and status >= 500 and status != 501:
            failures.append(f"{wire.operation} {what}: {status}")
    assert failures == []
    assert http.get(f"{server.endpoint}/_headwater/health").json()["status"] == "running"


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/topics/a%00b", {}),
        ("POST", "/topics/%ZZ", {}),  # kept as it is: the topic "%ZZ"
        ("POST", "/topics/%C3%28", {}),  # not UTF-8 once decoded: U+FFFD stands in, as for every label
        ("POST", "/topics/a?qos=99999999999999999999999999", {}),
        ("POST", "/topics/a?messageExpiry=-5", {}),
        ("POST", "/topics/" + "a/" * 5000, {}),
        ("POST", "/topics/a", {"x-amz-mqtt5-user-properties": "W3siYSI6IFsxXX1d"}),  # [{"a": [1]}]
        ("POST", "/topics/a", {"x-amz-mqtt5-user-properties": "A" * 60000}),
        ("POST", "/topics/a", {"x-amz-mqtt5-correlation-data": "%%%"}),
        ("GET", "/retainedMessage/%00", {}),
        ("GET", "/retainedMessage?maxResults=0", {}),
        ("GET", "/retainedMessage?nextToken=%FF%FE", {}),
        ("DELETE", "/connections/" + "c" * 300, {}),
        ("DELETE", "/connections/c?cleanSession=maybe", {}),
    ],
)
def test_hostile_requests_never_fail_the_server(
    server: Server, http: httpx.Client, method: str, path: str, headers: dict[str, str]
) -> None:
    request = AWSRequest(
        method, server.endpoint + path, data=b"x" if method == "POST" else b"", headers=headers
    )
    SigV4Auth(Credentials("test", "test"), "iotdata", "us-east-1").add_auth(request)
    prepared = request.prepare()
    status = status_of(http, method, prepared.url, dict(prepared.headers), b"x" if method == "POST" else b"")
    assert status is None or status < 500, status
    assert http.get(f"{server.endpoint}/_headwater/health").json()["status"] == "running"
