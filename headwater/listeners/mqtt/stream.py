"""One accepted socket (plain or TLS) as a `Wire`, feeding whichever handler serves it.

The handler changes as the connection is understood: nothing during the TLS handshake, then an
MQTT connection, an HTTP front (WebSocket, HTTPS publish) or a splice to the HTTP listener.

Pausing a TLS stream. A handler pauses reading while the broker works on a packet (a CONNECT, a
QoS 1 PUBLISH being stored). On plain TCP the transport stops reading and the kernel keeps the
rest, FIN included, in order. uvloop's TLS transport keeps reading the socket while paused and, on
a TCP FIN without close_notify (how MQTT clients close after DISCONNECT), discards what it
decrypted but had not delivered: the DISCONNECT would be lost, the will published and the
disconnect reported as CONNECTION_LOST. So a paused TLS stream keeps taking the data into a
backlog of its own (up to `TLS_HOLD_BYTES`, then the transport is paused for real), hands it over
on resume, and tells the handler the connection is lost only after that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, Protocol, cast

log = logging.getLogger("headwater.listeners.mqtt")

TLS_HOLD_BYTES = 256 * 1024  # what a paused TLS stream holds itself before pausing its transport


class Handler(Protocol):
    def feed(self, data: bytes) -> None: ...

    def lost(self) -> None: ...


class Stream(asyncio.Protocol):
    def __init__(self, connections: set[Stream], on_made: Any) -> None:
        self.transport: asyncio.Transport | None = None
        self.handler: Handler | None = None
        self.closed = False
        self._connections = connections
        self._on_made = on_made
        self._paused = False
        self._early: list[bytes] = []  # bytes that arrived before a handler was attached
        self._tls = False
        self._held = False  # a TLS stream's pause: data goes to `_backlog`
        self._backlog: list[bytes] = []
        self._backlog_bytes = 0
        self._lost_held = False  # the connection ended while data was held: `lost` after it
        self.writable = asyncio.Event()  # cleared while the transport's buffer is over its high mark
        self.writable.set()

    # --- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not its subclasses
        self._tls = transport.get_extra_info("ssl_object") is not None
        self._connections.add(self)
        self._on_made(self)

    def data_received(self, data: bytes) -> None:
        if self.handler is None:  # TLS may deliver a first record before the dispatch decided
            self._early.append(data)
            return
        if self._held:
            self._backlog.append(data)
            self._backlog_bytes += len(data)
            if self._backlog_bytes > TLS_HOLD_BYTES and not self._paused and self.transport is not None:
                self._paused = True
                self.transport.pause_reading()
            return
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        assert self.handler is not None
        try:
            self.handler.feed(data)
        except Exception:  # one client's trouble ends that client only
            log.exception("device gateway connection failed")
            self.abort()

    def attach(self, handler: Handler) -> None:
        """`handler` serves the connection from now on (and gets what arrived before it)."""
        self.handler = handler
        early, self._early = self._early, []
        for data in early:
            if self.handler is not handler or self.closed:
                return
            self.data_received(data)

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.writable.set()
        self._connections.discard(self)
        if self._held and self._backlog and self.handler is not None:
            self._lost_held = True  # the handler gets what arrived first (resume_reading), then this
            return
        self._deliver_lost()

    def _deliver_lost(self) -> None:
        if self.handler is not None:
            handler, self.handler = self.handler, None
            try:
                handler.lost()
            except Exception:
                log.exception("device gateway connection cleanup failed")

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    # --- Wire ---------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed and data:
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def buffered(self) -> int:
        if self.transport is None or self.closed:
            return 0
        return self.transport.get_write_buffer_size()

    def drained(self) -> Awaitable[None] | None:
        return None if self.writable.is_set() else self._until_writable()

    async def _until_writable(self) -> None:
        await self.writable.wait()

    def pause_reading(self) -> None:
        if self._tls:
            self._held = True
            return
        if self.transport is not None and not self._paused and not self.closed:
            self._paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._tls:
            self._release()
            return
        if self.transport is not None and self._paused and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    def _release(self) -> None:
        """Hands the held data over until the handler pauses again; then the transport reads again,
        and a loss that came meanwhile is told."""
        if not self._held:
            return
        self._held = False
        while self._backlog and not self._held and self.handler is not None:
            data = self._backlog.pop(0)
            self._backlog_bytes -= len(data)
            self._feed(data)
        if self._held:
            return
        if self._paused and not self.closed and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        if self._lost_held:
            self._lost_held = False
            self._deliver_lost()

    def remote_address(self) -> str:
        return self._address("peername") or "unknown"

    def local_address(self) -> str | None:
        """The "ip:port" the client connected to (iot-data GetConnection's target)."""
        return self._address("sockname")

    def _address(self, which: str) -> str | None:
        peer = self.transport.get_extra_info(which) if self.transport is not None else None
        if isinstance(peer, tuple) and len(peer) >= 2:
            host = peer[0]
            return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
        return None
