"""What every benchmark client shares: credentials, signing once, the id header, a raw HTTP/1.1 socket.

Headers are SigV4-signed once (per operation or method) with botocore and reused for every later request:
the bodies (and S3's paths) change afterwards, so the signature no longer matches them. No server measured
here checks (Headwater runs `--auth open`; the peers do not verify), and it keeps signing and hashing off
the hot path.

Every record, message and object body starts with a 24-byte ASCII id header (producer or client, sequence),
so what a server hands back can be matched to what was sent. It is 3-byte aligned: in base64 (Kinesis
`Data`) it is exactly the first 32 characters.

`RawConnection` is one persistent HTTP/1.1 connection on a plain socket (one per thread: not thread-safe).
A request head goes out as one buffer; answers are read with just enough HTTP (Content-Length, chunked,
connection close). That is several times less client CPU per request than `http.client`, which matters for
small requests on 2 shared cores. A large 2xx body can be read straight into caller-owned buffers.
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDHEADWATERBENCH"
SECRET_KEY = "headwater-bench-secret"
REGION = "us-east-1"

HEADER_SIZE = 24  # multiple of 3: its base64 is exactly HEADER_B64 characters
HEADER_B64 = HEADER_SIZE // 3 * 4

Buffer = bytes | bytearray | memoryview
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")
_ETAG = re.compile(rb'\r\netag:\s*"?([^"\r]*)"?')
_SMALL_SEND = 64 * 1024  # bodies up to this go out in the same sendall as the head


@dataclass(frozen=True, slots=True)
class RecordId:
    producer: int
    seq: int


def encode_header(producer: int, seq: int) -> bytes:
    """24 ASCII bytes: producer (4 digits), sequence (12 digits), 8 spare bytes."""
    return b"%04d%012d--------" % (producer, seq)


def decode_header(header: bytes) -> RecordId:
    return RecordId(int(header[0:4]), int(header[4:16]))


def sign(
    service: str, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
) -> dict[str, str]:
    """SigV4 headers for one request (without Content-Length), to be reused for later ones."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, REGION).add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "content-length"}


def head_lines(host: str, port: int, headers: Mapping[str, str]) -> bytes:
    """Host and `headers` as header lines, each ending in CRLF (no Content-Length, no blank line)."""
    lines = [b"Host: %s:%d" % (host.encode(), port)] + [f"{k}: {v}".encode() for k, v in headers.items()]
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


class RawConnection:
    """One persistent HTTP/1.1 connection (one per thread: not thread-safe)."""

    def __init__(self, host: str, port: int, timeout: float = 120.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._sock: socket.socket | None = None
        self._buf = bytearray()

    def send(
        self,
        method: str,
        target: str,
        headers: bytes,
        body: Sequence[Buffer] = (),
        into: Sequence[bytearray] = (),
    ) -> Answer:
        """One request; `headers` from `head_lines`, `target` already URL-encoded. A 2xx answer whose body
        is exactly as long as the `into` buffers together is read into them. Transport failures raise
        OSError (and close the connection)."""
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            # Small requests (latency phases) must not wait on Nagle + delayed ACK.
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buf.clear()
        length = sum(len(part) for part in body)
        start = b"%s %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (
            method.encode(),
            target.encode(),
            headers,
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

    def abort(self) -> None:
        """From another thread: make a blocked call fail now (ends a long poll at the end of a phase)."""
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        self._buf.clear()
