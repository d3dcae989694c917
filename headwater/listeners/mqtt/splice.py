"""Forwards a device gateway HTTPS connection to the HTTP listener on loopback, both ways.

Port 443 (ALPN http/1.1 or none) and 8443 serve the whole HTTP API besides what the gateway
handles itself (the WebSocket at /mqtt, X.509 HTTPS publish): those bytes, from the request the
gateway did not take on, go as they are to the main listener (over TLS when it serves TLS), so
SigV4 signatures, which cover the Host header, verify unchanged there. Flow control follows both
transports' buffers: a side that cannot keep up pauses the other's reading.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import cast

from headwater.listeners.mqtt.stream import Stream

log = logging.getLogger("headwater.listeners.mqtt")

BAD_GATEWAY = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: 38\r\n"
    b'Connection: close\r\n\r\n{"message":"the API is not reachable"}'
)


class Splice:
    """The client's side (a `Handler` of the client's stream)."""

    def __init__(self, stream: Stream, host: str, port: int, tls: bool, first: bytes) -> None:
        self.stream = stream
        self.upstream: asyncio.Transport | None = None
        self._pending: list[bytes] = [first] if first else []
        self._closed = False
        self._opening = asyncio.ensure_future(self._open(host, port, tls))

    async def _open(self, host: str, port: int, tls: bool) -> None:
        context: ssl.SSLContext | None = None
        if tls:  # our own listener's certificate, on loopback: nothing to verify
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_connection(
                lambda: _Upstream(self), host, port, ssl=context, server_hostname="localhost" if tls else None
            )
        except (OSError, ssl.SSLError) as exc:
            log.warning("device gateway: cannot reach the HTTP listener at %s:%d: %s", host, port, exc)
            self.stream.write(BAD_GATEWAY)
            self.stream.close()
            return
        if self._closed:
            transport.close()
            return
        self.upstream = transport
        for data in self._pending:
            self.upstream.write(data)
        self._pending.clear()

    def feed(self, data: bytes) -> None:
        if self.upstream is None:
            self._pending.append(data)
            if sum(map(len, self._pending)) > 1 << 20:  # the upstream is slow to accept: wait for it
                self.stream.pause_reading()
            return
        self.upstream.write(data)

    def lost(self) -> None:
        self._closed = True
        if self.upstream is not None:
            self.upstream.close()
        elif not self._opening.done():
            self._opening.cancel()

    def upstream_lost(self) -> None:
        self.upstream = None
        if not self._closed:
            self.stream.close()


class _Upstream(asyncio.Protocol):
    def __init__(self, splice: Splice) -> None:
        self.splice = splice
        self.transport: asyncio.Transport | None = None
        self._waiting = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.splice.stream.resume_reading()

    def data_received(self, data: bytes) -> None:
        stream = self.splice.stream
        stream.write(data)
        if not stream.writable.is_set() and not self._waiting and self.transport is not None:
            self._waiting = True
            self.transport.pause_reading()
            asyncio.ensure_future(self._resume_when_drained())

    async def _resume_when_drained(self) -> None:
        await self.splice.stream.writable.wait()
        self._waiting = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def pause_writing(self) -> None:
        self.splice.stream.pause_reading()

    def resume_writing(self) -> None:
        self.splice.stream.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.splice.upstream_lost()
