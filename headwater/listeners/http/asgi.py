"""The ASGI vocabulary the HTTP listener's modules share: the callables' types, one way to send
a whole response, and the guard that keeps every HEAD answer bodiless."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def encode_headers(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Lower-cased latin-1 names, UTF-8 values (S3 metadata may carry any character)."""
    return [(name.lower().encode("latin-1"), value.encode("utf-8")) for name, value in headers]


async def respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, *, head: bool = False
) -> None:
    """Sends a whole response; Content-Length is added unless given (a HEAD answer keeps the length
    of the body it does not send)."""
    if not any(name == b"content-length" for name, _ in headers):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def bodiless(send: Send) -> Send:
    """`send` for a HEAD request: every body chunk goes out empty. HTTP/2 forbids DATA frames on a
    HEAD answer (clients reset the stream with PROTOCOL_ERROR), and whichever front end answers,
    the headers (Content-Length included) stay those a GET would have."""

    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            message = {**message, "body": b""}
        await send(message)

    return send_headers_only
