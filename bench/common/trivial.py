"""What the benchmarks' in-memory servers share: the command line, the event loop, and request framing.

Each service's trivial server answers just the calls its benchmark makes, from memory, with canned bodies
shaped like the real ones: what a client measures against it is the client's own ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Callable

from bench.common.servers import HOST

_LENGTH = re.compile(rb"content-length:\s*(\d+)")


class Framed(asyncio.Protocol):
    """Requests with Content-Length bodies, in turn on one connection; `respond` answers each."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (end := self.buf.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buf[:end]).lower()
            match = _LENGTH.search(head)
            length = int(match.group(1)) if match else 0
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            self.respond(head, body)

    def respond(self, head: bytes, body: bytes) -> None:
        raise NotImplementedError

    def reply(self, content_type: bytes, parts: list[bytes]) -> None:
        """200 with the body in `parts` (written without joining them)."""
        assert self.transport is not None
        length = sum(len(p) for p in parts)
        start = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (content_type, length)
        self.transport.writelines([start, *parts])


def main(
    label: str,
    protocol: Callable[[argparse.Namespace], Callable[[], asyncio.BaseProtocol]],
    more: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """Parse --port (and `more` flags), serve `protocol(args)` on loopback until killed (uvloop if any)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    if more:
        more(parser)
    args = parser.parse_args()

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(protocol(args), HOST, args.port)
        print(f"{label} on http://{HOST}:{args.port}", flush=True)
        async with server:
            await server.serve_forever()

    try:
        import uvloop

        uvloop.run(serve())
    except ImportError:
        asyncio.run(serve())
