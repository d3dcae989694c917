"""A streamed request body over ASGI `receive`: what S3 uploads read instead of a buffered body.

The body arrives in the ASGI server's chunks; aws-chunked framing (signed chunks or trailing
checksums) is removed on the way through, so the service sees only object bytes, with the trailers
once the last chunk is in. A body shorter or longer than declared, or a client that goes away,
ends the iteration with an error: the service then aborts its blob, and nothing partial is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from headwater.listeners.http.asgi import Receive
from headwater.protocol.auth.aws_chunked import ChunkedDecoder
from headwater.protocol.errors import AwsError


class ClientGone(AwsError):
    """The client disconnected before the body was complete."""

    def __init__(self) -> None:
        super().__init__("IncompleteBody", "The request body terminated unexpectedly", 400)


def incomplete_body() -> AwsError:
    return AwsError(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
    )


class StreamedBody:
    def __init__(
        self,
        receive: Receive,
        *,
        length: int | None,
        wire_length: int | None,
        decoder: ChunkedDecoder | None = None,
        sha256_hex: str | None = None,
    ) -> None:
        self._receive = receive
        self.length = length  # decoded length the client declared
        self._wire_length = wire_length  # Content-Length of the framing, when given
        self._decoder = decoder
        self._sha256 = sha256_hex.lower() if sha256_hex else None
        self.trailers: dict[str, str] = {}
        self.started = False
        self.exhausted = False  # the last ASGI body message (or a disconnect) has been received
        self.received = 0  # bytes off the wire so far

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self.started:
            raise RuntimeError("a request body can be read once")
        self.started = True
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        decoder = self._decoder
        digest = hashlib.sha256() if self._sha256 else None
        received = 0  # bytes off the wire
        delivered = 0  # object bytes after framing
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.exhausted = True
                raise ClientGone
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            self.received = received
            if self._wire_length is not None and received > self._wire_length:
                raise incomplete_body()
            if chunk:
                if digest is not None:
                    digest.update(chunk)
                if decoder is None:
                    delivered += len(chunk)
                    yield chunk
                else:
                    for piece in decoder.feed(chunk):
                        delivered += len(piece)
                        yield piece
            if not message.get("more_body", False):
                self.exhausted = True
                break
        if decoder is not None:
            self.trailers = decoder.finish()
        if self._wire_length is not None and received != self._wire_length:
            raise incomplete_body()
        if self.length is not None and delivered != self.length:
            raise incomplete_body()
        if digest is not None and digest.hexdigest() != self._sha256:
            raise AwsError(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                400,
                details={
                    "ClientComputedContentSHA256": self._sha256 or "",
                    "S3ComputedContentSHA256": digest.hexdigest(),
                },
            )

    async def read_all(self, limit: int) -> bytes:
        """The whole body (small bodies only: form fields, XML documents)."""
        parts: list[bytes] = []
        size = 0
        async for chunk in self:
            size += len(chunk)
            if size > limit:
                raise AwsError("MaxMessageLengthExceeded", "Your request was too big.", 400)
            parts.append(chunk)
        return b"".join(parts)


async def read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    """A whole request body (JSON and Query requests), at most `limit` bytes (413 beyond it).
    ClientGone if the client left before it was complete: a truncated body is never acted on (it
    may still parse: a CreateStream cut short)."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise AwsError("RequestEntityTooLarge", "Request entity too large", 413)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise AwsError("RequestEntityTooLarge", "Request entity too large", 413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]
