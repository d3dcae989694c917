"""The Lambda Runtime API listener: loopback HTTP/1.1 for function workers' runtime clients.

Theory of operation. Every worker gets an address of its own (`open`: a listening socket on
127.0.0.1 with a port the kernel picks), handed to it as ``AWS_LAMBDA_RUNTIME_API``. Which worker
calls is then known from the socket alone, so AWS's runtime clients run unmodified (a path prefix
would break clients that split the variable into host and port) and a worker can never answer
another worker's invocation. A connection reads requests with the sans-IO
`protocol.lambda_runtime.RequestReader`, asks the worker's `RuntimeChannel` (the functions service)
and writes the answer; ``next`` is a long poll: the connection parks a callback with the channel,
which writes the event the moment the worker is handed an invocation (from inside that call, so an
invocation reaches a warm runtime without a task or a turn of the event loop). `close` (the worker exited
or was killed) stops the socket and its connections. Nothing here listens until a worker starts,
and nothing is reachable from outside the machine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from headwater.protocol import lambda_runtime as api
from headwater.services.ports import RuntimeChannel

log = logging.getLogger("headwater.listeners.runtime_api")
HOST = "127.0.0.1"


class RuntimeApiListener:
    name = "lambda-runtime-api"

    def __init__(self) -> None:
        self._servers: dict[str, tuple[asyncio.Server, set[_Connection]]] = {}
        self._stopped = False

    def preflight(self) -> None:
        """Nothing to check: every port is picked free by the kernel when a worker starts."""

    async def start(self) -> None:
        self._stopped = False

    async def stop(self) -> None:
        self._stopped = True
        for address in list(self._servers):
            await self.close(address)

    def endpoints(self) -> list[str]:
        return []  # per-worker loopback ports: nothing for the banner to show

    async def open(self, channel: RuntimeChannel) -> str:
        if self._stopped:
            raise RuntimeError("the runtime API listener is stopped")
        connections: set[_Connection] = set()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Connection(channel, connections), HOST, 0)
        port = server.sockets[0].getsockname()[1]
        address = f"{HOST}:{port}"
        self._servers[address] = (server, connections)
        return address

    async def close(self, address: str) -> None:
        entry = self._servers.pop(address, None)
        if entry is None:
            return
        server, connections = entry
        server.close()
        for connection in list(connections):
            connection.abort()


class _Connection(asyncio.Protocol):
    """One runtime client connection. A protocol rather than a stream task: a post is read,
    answered and written in the callback its bytes arrive in; a ``next`` parks `_deliver` with the
    channel (requests pipelined behind it wait for its answer)."""

    def __init__(self, channel: RuntimeChannel, connections: set[_Connection]) -> None:
        self._channel = channel
        self._connections = connections
        self._framing = api.RequestReader()
        self._transport: asyncio.Transport | None = None
        self._withdraw: Callable[[], None] | None = None  # set while a `next` waits
        self._keep_alive = True  # the waiting `next`'s
        self._serving = False
        self._closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not its subclasses
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._closing = True
        self._unpark()

    def abort(self) -> None:
        self._closing = True
        self._unpark()
        if self._transport is not None:
            self._transport.abort()

    def _unpark(self) -> None:
        withdraw, self._withdraw = self._withdraw, None
        if withdraw is not None:
            withdraw()

    def data_received(self, data: bytes) -> None:
        self._framing.feed(data)
        self._serve()

    def _serve(self) -> None:
        """Answers the complete requests buffered, in order, until one has to wait."""
        transport = self._transport
        assert transport is not None
        self._serving = True
        try:
            while self._withdraw is None and not self._closing:
                try:
                    request = self._framing.next()
                except api.FramingError as exc:
                    transport.write(api.render(400, api.error_body("InvalidRequest", str(exc)), close=True))
                    self._finish()
                    return
                if request is None:
                    return
                call = api.route(request.method, request.path)
                if not isinstance(call, int) and call.kind is api.Kind.NEXT:
                    self._park(request.keep_alive)
                    continue  # answered at once (an invocation waited), or parked: the loop ends
                transport.write(_answer(self._channel, call, request))
                if not request.keep_alive:
                    self._finish()
        finally:
            self._serving = False

    def _park(self, keep_alive: bool) -> None:
        self._keep_alive = keep_alive
        self._withdraw = _nothing  # waiting, until `_deliver` (perhaps within `park`) clears it
        try:
            withdraw = self._channel.park(self._deliver)
        except Exception:  # the worker's fault must never reach the server: the runtime exits on 500
            log.exception("runtime API next failed")
            self._withdraw = None
            self._fail()
            return
        if self._withdraw is _nothing:  # not delivered yet
            self._withdraw = withdraw

    def _deliver(self, payload: bytes, headers: list[tuple[str, str]]) -> None:
        self._withdraw = None
        transport = self._transport
        if self._closing or transport is None:
            return
        transport.write(api.render(200, payload, headers))
        if not self._keep_alive:
            self._finish()
        elif not self._serving:  # called from the channel: requests pipelined behind the `next`
            self._serve()

    def _fail(self) -> None:
        if self._transport is not None and not self._closing:
            self._transport.write(api.render(500, api.error_body("ServiceException", "internal error")))
            self._finish()

    def _finish(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.close()


def _nothing() -> None:
    """The withdrawal of a ``next`` being parked or already answered: nothing to withdraw."""


_JSON_TYPE = [("Content-Type", "application/json")]


def _answer(channel: RuntimeChannel, call: api.Call | int, request: api.Request) -> bytes:
    json_type = _JSON_TYPE
    if isinstance(call, int):
        message = "Method Not Allowed" if call == 405 else "Not Found"
        return api.render(call, api.error_body("InvalidRequest", message), json_type)
    try:
        status, body = channel.post(call, request.headers, request.body)
    except Exception:  # the worker's fault must never reach the server: the runtime exits on 500
        log.exception("runtime API %s failed", call.kind.value)
        status, body = 500, api.error_body("ServiceException", "internal error")
    return api.render(status, body, json_type)
