"""The Runtime API's sans-IO framing and routes."""

from __future__ import annotations

import pytest

from headwater.protocol import lambda_runtime as api


def test_requests_are_framed_across_feeds_and_pipelined() -> None:
    reader = api.RequestReader()
    reader.feed(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n")
    assert reader.next() is None
    reader.feed(
        b"\r\nPOST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel"
    )
    first = reader.next()
    assert first is not None and (first.method, first.path, first.body) == (
        "GET",
        api.PREFIX + "invocation/next",
        b"",
    )
    assert reader.next() is None
    reader.feed(b"lo")
    second = reader.next()
    assert second is not None and second.body == b"hello" and second.keep_alive
    assert reader.next() is None


def test_chunked_bodies_and_connection_close() -> None:
    reader = api.RequestReader()
    reader.feed(
        b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
    )
    request = reader.next()
    assert request is not None and request.body == b"abcde" and not request.keep_alive


@pytest.mark.parametrize(
    "head",
    [
        b"NONSENSE\r\n\r\n",
        b"GET / HTTP/1.1\r\nbroken header\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
    ],
)
def test_malformed_requests_raise(head: bytes) -> None:
    reader = api.RequestReader()
    reader.feed(head)
    with pytest.raises(api.FramingError):
        reader.next()


def test_routes() -> None:
    assert api.route("GET", "/2018-06-01/runtime/invocation/next") == api.Call(api.Kind.NEXT)
    assert api.route("POST", "/2018-06-01/runtime/invocation/r-1/response") == api.Call(
        api.Kind.RESPONSE, "r-1"
    )
    assert api.route("POST", "/2018-06-01/runtime/invocation/r-1/error") == api.Call(api.Kind.ERROR, "r-1")
    assert api.route("POST", "/2018-06-01/runtime/init/error") == api.Call(api.Kind.INIT_ERROR)
    assert api.route("POST", "/2018-06-01/runtime/invocation/next") == 405
    assert api.route("GET", "/2018-06-01/runtime/invocation/r-1/response") == 405
    assert api.route("GET", "/2018-06-01/runtime/other") == 404
    assert api.route("GET", "/") == 404


def test_render_and_event_headers() -> None:
    raw = api.render(202, b'{"status": "OK"}', [("Content-Type", "application/json")])
    assert raw.startswith(b"HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n")
    assert raw.endswith(b'\r\n\r\n{"status": "OK"}')
    headers = dict(api.event_headers("id", 5, "arn", "Root=1", '{"c": 1}', None))
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "id" and headers["Lambda-Runtime-Deadline-Ms"] == "5"
    assert (
        headers["Lambda-Runtime-Client-Context"] == '{"c": 1}'
        and "Lambda-Runtime-Cognito-Identity" not in headers
    )
