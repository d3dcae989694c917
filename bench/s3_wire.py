"""Raw S3 over HTTP for the S3 benchmark: REST requests on a plain socket, bodies from prebuilt buffers.

`RawS3` keeps one HTTP/1.1 connection per thread and writes each request head as one buffer. Headers are
SigV4-signed once per HTTP method with botocore (`X-Amz-Content-SHA256: UNSIGNED-PAYLOAD`, so no body is ever
hashed) and reused for every path and query: the signature then no longer matches the request, which no server
measured here checks (Headwater runs `--auth open`; moto and LocalStack do not verify). That keeps signing and
hashing off the hot path: a boto3 `put_object` costs ~1 ms of client CPU, several times this.

Bodies go out as a list of buffers (an object's 24-byte id header, then a tail shared by every object of a
phase) without concatenating them; a large GET is read straight into caller-owned buffers (`recv_into`), so a
64 MiB body is neither copied nor allocated per request, and checking it is one `memcmp` (`bytes == bytes`).
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bench.wire import ACCESS_KEY, REGION, SECRET_KEY

Buffer = bytes | bytearray | memoryview
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")
_ETAG = re.compile(rb'\r\netag:\s*"?([^"\r]*)"?')
_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_SMALL_SEND = 64 * 1024  # bodies up to this go out in the same sendall as the head


def signed_head(host: str, port: int, method: str) -> bytes:
    """Headers after the request line (no Content-Length, no blank line), signed once for `method`."""
    request = AWSRequest(
        method=method,
        url=f"http://{host}:{port}/bench",
        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    lines = [b"Host: %s:%d" % (host.encode(), port)]
    lines += [f"{k}: {v}".encode() for k, v in request.headers.items() if k.lower() != "content-length"]
    return b"\r\n".join(lines) + b"\r\n"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    head: bytes  # the status line and headers, lower-cased
    body: bytes  # b"" when the body went into the caller's buffers
    length: int  # body bytes received, wherever they went

    @property
    def etag(self) -> str | None:
        match = _ETAG.search(self.head)
        return match.group(1).decode() if match else None


class RawS3:
    """One persistent HTTP/1.1 connection to an S3 endpoint (one per thread: not thread-safe)."""

    def __init__(self, host: str, port: int, timeout: float = 120.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._heads: dict[str, bytes] = {}
        self._sock: socket.socket | None = None
        self._buf = bytearray()

    def request(
        self, method: str, target: str, body: Sequence[Buffer] = (), into: Sequence[bytearray] = ()
    ) -> Answer:
        """One request; `target` is the path and query, already URL-encoded. A 2xx answer whose body is
        exactly as long as the `into` buffers together is read into them. Transport failures raise OSError
        (and close the connection)."""
        head = self._heads.get(method)
        if head is None:
            head = self._heads[method] = signed_head(self.host, self.port, method)
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buf.clear()
        length = sum(len(part) for part in body)
        start = b"%s %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (
            method.encode(),
            target.encode(),
            head,
            length,
        )
        try:
            if length <= _SMALL_SEND:
                self._sock.sendall(b"".join([start, *body]))
            else:
                self._sock.sendall(start)
                for part in body:
                    self._sock.sendall(part)
            return self._response(method, into)
        except OSError:
            self.close()
            raise

    def _fill(self) -> None:
        assert self._sock is not None
        data = self._sock.recv(1 << 18)
        if not data:
            raise ConnectionError("connection closed by the server")
        self._buf += data

    def _take(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def _line(self) -> bytes:
        while (end := self._buf.find(b"\r\n")) < 0:
            self._fill()
        return self._take(end + 2)[:-2]

    def _read_into(self, buffers: Sequence[bytearray]) -> None:
        assert self._sock is not None
        for buffer in buffers:
            view, got = memoryview(buffer), 0
            if self._buf:  # what arrived with the head
                got = min(len(self._buf), len(view))
                view[:got] = self._buf[:got]
                del self._buf[:got]
            while got < len(view):
                n = self._sock.recv_into(view[got:], len(view) - got)
                if not n:
                    raise ConnectionError("connection closed by the server mid-body")
                got += n

    def _response(self, method: str, into: Sequence[bytearray]) -> Answer:
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = self._take(end + 4).lower()
        status = int(head[9:12])
        if status == 100:  # `Expect` is never sent, but skipping an unasked 100 is harmless
            return self._response(method, into)
        if method == "HEAD" or status in (204, 304):
            return Answer(status, head, b"", 0)
        match = _CONTENT_LENGTH.search(head)
        if match:
            length = int(match.group(1))
            if into and 200 <= status < 300 and length == sum(len(b) for b in into):
                self._read_into(into)
                body = b""
            else:
                body = self._take(length)
        elif b"transfer-encoding: chunked" in head:
            chunks = []
            while size := int(self._line().split(b";")[0], 16):
                chunks.append(self._take(size))
                self._take(2)
            while self._line():  # trailers, then the blank line
                pass
            body = b"".join(chunks)
            length = len(body)
        else:  # delimited by the connection closing
            with contextlib.suppress(ConnectionError):
                while True:
                    self._fill()
            body = bytes(self._buf)
            self.close()
            return Answer(status, head, body, len(body))
        if b"\r\nconnection: close" in head:
            self.close()
        return Answer(status, head, body, length)

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        self._buf.clear()


def describe(answer: Answer) -> str:
    """A short reason for an unexpected answer: the status and the S3 error code if there is one."""
    code = _CODE.search(answer.body) if answer.body else None
    return f"HTTP {answer.status}" + (f" {code.group(1).decode()}" if code else "")
