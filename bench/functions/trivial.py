"""A Lambda endpoint that answers Invoke from memory (echoing the payload), for the client's ceiling.

Run: python -m bench.functions.trivial --port P
"""

from __future__ import annotations

from bench.common.trivial import Framed, main


class _Protocol(Framed):
    def respond(self, head: bytes, body: bytes) -> None:
        assert self.transport is not None
        start = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Amz-Executed-Version: $LATEST\r\n"
        self.transport.writelines([start, b"Content-Length: %d\r\n\r\n" % len(body), body])


if __name__ == "__main__":
    main("trivial Lambda server", lambda args: _Protocol)
