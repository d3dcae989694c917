"""The Runtime API listener over real loopback sockets, with a channel standing in for a worker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from headwater.listeners.runtime_api import RuntimeApiListener
from headwater.protocol import lambda_runtime as api
from headwater.services.ports import Deliver


class Channel:
    def __init__(self) -> None:
        self.events: list[bytes] = []
        self.parked: Deliver | None = None
        self.posts: list[tuple[api.Kind, str, str | None, bytes]] = []

    def park(self, deliver: Deliver) -> Callable[[], None]:
        if self.events:
            deliver(self.events.pop(0), api.event_headers("req-1", 99, "arn:f", "Root=1", None, None))
        else:
            self.parked = deliver
        return lambda: setattr(self, "parked", None)

    def put(self, payload: bytes) -> None:
        deliver, self.parked = self.parked, None
        if deliver is None:
            self.events.append(payload)
        else:
            deliver(payload, api.event_headers("req-1", 99, "arn:f", "Root=1", None, None))

    def post(self, call: api.Call, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        self.posts.append((call.kind, call.request_id, headers.get(api.ERROR_TYPE), body))
        return (202, b"{}") if call.request_id in ("req-1", "") else (403, b"{}")


async def _exchange(address: str, raw: bytes) -> bytes:
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(raw)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    return data


def test_long_poll_posts_and_errors() -> None:
    async def scenario() -> None:
        listener = RuntimeApiListener()
        await listener.start()
        channel = Channel()
        address = await listener.open(channel)
        poll = asyncio.ensure_future(
            _exchange(address, b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        )
        await asyncio.sleep(0.05)
        assert not poll.done()  # a long poll: nothing until there is an event
        channel.put(b'{"a": 1}')
        answer = await poll
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"Lambda-Runtime-Aws-Request-Id: req-1" in answer
        assert answer.endswith(b'{"a": 1}')
        post = b"POST /2018-06-01/runtime/invocation/req-1/error HTTP/1.1\r\n"
        post += b"Lambda-Runtime-Function-Error-Type: Oops\r\nContent-Length: 2\r\n\r\n{}"
        assert (await _exchange(address, post)).startswith(b"HTTP/1.1 202 Accepted")
        assert channel.posts == [(api.Kind.ERROR, "req-1", "Oops", b"{}")]
        wrong = b"POST /2018-06-01/runtime/invocation/other/response HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
        assert (await _exchange(address, wrong)).startswith(b"HTTP/1.1 403 Forbidden")
        missing = b"GET /2018-06-01/runtime/nothing HTTP/1.1\r\n\r\n"
        assert (await _exchange(address, missing)).startswith(b"HTTP/1.1 404 Not Found")
        assert (await _exchange(address, b"garbage\r\n\r\n")).startswith(b"HTTP/1.1 400 Bad Request")
        await listener.stop()
        try:
            await _exchange(address, b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n")
            closed = False
        except (ConnectionError, OSError):
            closed = True
        assert closed

    asyncio.run(scenario())
