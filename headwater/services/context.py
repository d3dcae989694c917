"""What a service operation learns about the request that called it, and how it streams events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RequestContext:
    account: str
    region: str
    request_id: str
    # "json", "cbor", "query", "rest-json" or "rpc-v2-cbor": which codec the response (and any event
    # payloads) will use
    protocol: str = "json"
    host: str = "localhost"
    scheme: str = "http"  # of the request: queue URLs echo it
    http_version: str = "1.1"
    # the access key id the request was signed with (None: unsigned); STS tells who that is
    access_key: str | None = None


@dataclass(slots=True)
class EventStream:
    """An operation's event-stream output: the initial response, then (event type, payload) pairs.

    The gateway sends `initial` as the `initial-response` event, then each event as it arrives. An
    AwsError raised by `events` becomes an exception frame. When the response ends (or the client
    goes) `events` is closed and `on_close` runs, even if the stream never started.
    """

    events: AsyncIterator[tuple[str, Mapping[str, Any]]]
    initial: Mapping[str, Any] = field(default_factory=dict)
    on_close: Callable[[], None] | None = None


class RequestBody(Protocol):
    """A streamed request body (S3 uploads), already decoded from aws-chunked framing and with every
    chunk signature checked. Iterate it once; `trailers` (lower-cased names, e.g.
    ``x-amz-checksum-crc32``) is complete only after the last chunk."""

    length: int | None  # the decoded length the client declared, when it did
    trailers: dict[str, str]

    def __aiter__(self) -> AsyncIterator[bytes]: ...


@dataclass(slots=True)
class ResponseBody:
    """A streamed response body (S3 downloads): `length` bytes from `chunks` (None: not known ahead,
    sent chunked, as S3 Select's event stream is). `close` runs when the
    response ends, also when the client went away mid-body."""

    chunks: AsyncIterator[bytes]
    length: int | None
    close: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class RawResponse:
    """An answer an operation renders itself (S3 browser POST uploads, CORS preflights)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
