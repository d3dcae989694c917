"""One accepted socket (plain or TLS) as a `Wire`, feeding whichever handler serves it.

The handler changes as the connection is understood: nothing during the TLS handshake, then an
MQTT connection, an HTTP front (WebSocket, HTTPS publish) or a splice to the HTTP listener.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, Protocol, cast

log = logging.getLogger("headwater.listeners.mqtt")


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
        self.writable = asyncio.Event()  # cleared while the transport's buffer is over its high mark
        self.writable.set()

    # --- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not its subclasses
        self._connections.add(self)
        self._on_made(self)

    def data_received(self, data: bytes) -> None:
        if self.handler is None:  # TLS may deliver a first record before the dispatch decided
            self._early.append(data)
            return
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
        if self.transport is not None and not self._paused and not self.closed:
            self._paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and self._paused and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    def remote_address(self) -> str:
        peer = self.transport.get_extra_info("peername") if self.transport is not None else None
        if isinstance(peer, tuple) and len(peer) >= 2:
            host = peer[0]
            return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
        return "unknown"
