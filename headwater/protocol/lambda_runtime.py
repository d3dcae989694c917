"""The Lambda Runtime API (version 2018-06-01), sans IO: HTTP/1.1 requests in, calls out; answers
in, response bytes out.

Theory of operation. A function worker's runtime interface client (awslambdaric, aws-lambda-ric, a
`bootstrap` script with curl) talks plain HTTP/1.1 to ``$AWS_LAMBDA_RUNTIME_API``: it long-polls
``GET /2018-06-01/runtime/invocation/next`` for an event, then posts the result to
``.../invocation/{id}/response`` or ``.../invocation/{id}/error``; a runtime that fails before its
first poll posts ``/2018-06-01/runtime/init/error``. `RequestReader` frames requests from the bytes
a connection delivers (Content-Length or chunked bodies, keep-alive, pipelining), `route` names the
call, and `render` frames the answer. The statuses are AWS's: 200 for an event, 202 for an accepted
post, 400 for a malformed one, 403 for a request id that is not this worker's current invocation
(or an init error after init), 413 for a response over the limit, 500 when the runtime must exit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum

PREFIX = "/2018-06-01/runtime/"
MAX_HEAD = 64 * 1024
# the largest body accepted at all (a response over the 6 MB limit is read, then refused with 413)
MAX_BODY = 16 * 1024 * 1024
ERROR_TYPE = "lambda-runtime-function-error-type"

REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}
REASONS |= {405: "Method Not Allowed", 413: "Request Entity Too Large", 500: "Internal Server Error"}


class Kind(Enum):
    NEXT = "next"
    RESPONSE = "response"
    ERROR = "error"
    INIT_ERROR = "init-error"


class FramingError(Exception):
    """The bytes are not an HTTP/1.1 request this API can read: answer 400 and close."""


@dataclass(slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    keep_alive: bool = True


@dataclass(frozen=True, slots=True)
class Call:
    kind: Kind
    request_id: str = ""


@dataclass(slots=True)
class RequestReader:
    """Incremental request framing: `feed` bytes, then take complete requests from `next`."""

    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next(self) -> Request | None:
        """The next complete request, None until more bytes arrive; FramingError when malformed."""
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD:
                raise FramingError("request head too large")
            return None
        lines = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise FramingError("bad request line") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise FramingError("bad header line")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            framed = _dechunk(self._buffer, start)
            if framed is None:
                return None
            body, consumed = framed
        else:
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                raise FramingError("bad content-length") from None
            if length < 0 or length > MAX_BODY:
                raise FramingError("bad content-length")
            if len(self._buffer) - start < length:
                return None
            body, consumed = bytes(self._buffer[start : start + length]), start + length
        del self._buffer[:consumed]
        connection = headers.get("connection", "").lower()
        keep = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        return Request(method.upper(), target.partition("?")[0], headers, body, keep)


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    body = bytearray()
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        try:
            size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        except ValueError:
            raise FramingError("bad chunk size") from None
        at = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", at - 2)
            return (bytes(body), trailer_end + 4) if trailer_end >= 0 else None
        if len(buffer) < at + size + 2:
            return None
        body += buffer[at : at + size]
        if len(body) > MAX_BODY:
            raise FramingError("body too large")
        at += size + 2


def route(method: str, path: str) -> Call | int:
    """The call a request makes, or the HTTP status for one this API does not have (404, 405)."""
    if not path.startswith(PREFIX):
        return 404
    rest = path[len(PREFIX) :].strip("/").split("/")
    if rest == ["invocation", "next"]:
        return Call(Kind.NEXT) if method == "GET" else 405
    if rest == ["init", "error"]:
        return Call(Kind.INIT_ERROR) if method == "POST" else 405
    if len(rest) == 3 and rest[0] == "invocation" and rest[2] in ("response", "error") and rest[1]:
        if method != "POST":
            return 405
        return Call(Kind.RESPONSE if rest[2] == "response" else Kind.ERROR, rest[1])
    return 404


def render(
    status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None, close: bool = False
) -> bytes:
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers or ()]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def status_body(status: str) -> bytes:
    """The body of an accepted post: ``{"status": "OK"}``."""
    return json.dumps({"status": status}).encode()


def error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def event_headers(
    request_id: str,
    deadline_ms: int,
    function_arn: str,
    trace_id: str,
    client_context: str | None,
    cognito_identity: str | None,
) -> list[tuple[str, str]]:
    """The headers of a ``next`` answer, as Lambda sends them."""
    headers = [
        ("Content-Type", "application/json"),
        ("Lambda-Runtime-Aws-Request-Id", request_id),
        ("Lambda-Runtime-Deadline-Ms", str(deadline_ms)),
        ("Lambda-Runtime-Invoked-Function-Arn", function_arn),
        ("Lambda-Runtime-Trace-Id", trace_id),
    ]
    if client_context:
        headers.append(("Lambda-Runtime-Client-Context", client_context))
    if cognito_identity:
        headers.append(("Lambda-Runtime-Cognito-Identity", cognito_identity))
    return headers
