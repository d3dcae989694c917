"""The Lambda Runtime API listener: loopback HTTP/1.1 for function workers' runtime clients.

Theory of operation. Every worker gets an address of its own (`open`: a listening socket on
127.0.0.1 with a port the kernel picks), handed to it as ``AWS_LAMBDA_RUNTIME_API``. Which worker
calls is then known from the socket alone, so AWS's runtime clients run unmodified (a path prefix
would break clients that split the variable into host and port) and a worker can never answer
another worker's invocation. A connection reads requests with the sans-IO
`protocol.lambda_runtime.RequestReader`, asks the worker's `RuntimeChannel` (the functions service)
and writes the answer; ``next`` is a long poll that waits on the channel. `close` (the worker exited
or was killed) stops the socket and its connections. Nothing here listens until a worker starts,
and nothing is reachable from outside the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from headwater.protocol import lambda_runtime as api
from headwater.services.ports import RuntimeChannel

log = logging.getLogger("headwater.listeners.runtime_api")
HOST = "127.0.0.1"
READ_SIZE = 256 * 1024


class RuntimeApiListener:
    name = "lambda-runtime-api"

    def __init__(self) -> None:
        self._servers: dict[str, tuple[asyncio.Server, set[asyncio.Task[None]]]] = {}
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
        tasks: set[asyncio.Task[None]] = set()

        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await _serve(channel, reader, writer)
            finally:
                tasks.discard(task)

        server = await asyncio.start_server(connected, HOST, 0)
        port = server.sockets[0].getsockname()[1]
        address = f"{HOST}:{port}"
        self._servers[address] = (server, tasks)
        return address

    async def close(self, address: str) -> None:
        entry = self._servers.pop(address, None)
        if entry is None:
            return
        server, tasks = entry
        server.close()
        for task in list(tasks):
            task.cancel()
        for task in list(tasks):
            with contextlib.suppress(BaseException):
                await task


async def _serve(channel: RuntimeChannel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    framing = api.RequestReader()
    try:
        while True:
            try:
                request = framing.next()
            except api.FramingError as exc:
                writer.write(api.render(400, api.error_body("InvalidRequest", str(exc)), close=True))
                await writer.drain()
                return
            if request is None:
                data = await reader.read(READ_SIZE)
                if not data:
                    return
                framing.feed(data)
                continue
            writer.write(await _answer(channel, request))
            await writer.drain()
            if not request.keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _answer(channel: RuntimeChannel, request: api.Request) -> bytes:
    call = api.route(request.method, request.path)
    json_type = [("Content-Type", "application/json")]
    if isinstance(call, int):
        message = "Method Not Allowed" if call == 405 else "Not Found"
        return api.render(call, api.error_body("InvalidRequest", message), json_type)
    if call.kind is api.Kind.NEXT:
        payload, headers = await channel.next()
        return api.render(200, payload, headers)
    try:
        status, body = channel.post(call, request.headers, request.body)
    except Exception:  # the worker's fault must never reach the server: the runtime exits on 500
        log.exception("runtime API %s failed", call.kind.value)
        status, body = 500, api.error_body("ServiceException", "internal error")
    return api.render(status, body, json_type)
