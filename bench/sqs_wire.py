"""Raw SQS over HTTP for the SQS benchmark: AWS JSON 1.0 on a plain socket, bodies with patchable ids.

`RawSqs` keeps one HTTP/1.1 connection per thread and writes each request as one buffer: a request head
signed once per operation with botocore's SigV4 and reused (the payload hash no longer matches later bodies,
which no server measured here checks: Headwater runs with `--auth open`), the Content-Length, the body. It
reads answers with just enough HTTP (Content-Length, chunked, connection close). That is several times less
client CPU per request than `http.client`, which matters at 10 messages per request on 2 shared cores.

A message body is ASCII: a 24-byte id header (`bench.wire.encode_header`: producer, sequence) then filler
from the base64 alphabet, so it needs no JSON escaping and the id is the first 24 characters of `Body`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bench.wire import ACCESS_KEY, HEADER_SIZE, REGION, SECRET_KEY, encode_header

TARGET_PREFIX = "AmazonSQS."
CONTENT_TYPE = "application/x-amz-json-1.0"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")
_HANDLE = re.compile(rb'"ReceiptHandle"\s*:\s*"((?:[^"\\]|\\.)*)"')
_BODY_ID = re.compile(rb'"Body"\s*:\s*"([^"\\]{%d})' % HEADER_SIZE)
_FAILED_ENTRY = re.compile(rb'"Failed"\s*:\s*\[\s*\{')


def signed_head(host: str, port: int, operation: str, body: bytes) -> bytes:
    """Request line and headers (no Content-Length, no blank line) for one operation, signed once."""
    request = AWSRequest(
        method="POST",
        url=f"http://{host}:{port}/",
        data=body,
        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sqs", REGION).add_auth(request)
    lines = [b"POST / HTTP/1.1", b"Host: %s:%d" % (host.encode(), port)]
    lines += [f"{k}: {v}".encode() for k, v in request.headers.items() if k.lower() != "content-length"]
    return b"\r\n".join(lines) + b"\r\n"


class RawSqs:
    """One persistent HTTP/1.1 connection to an SQS endpoint (one per thread: not thread-safe)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._heads: dict[str, bytes] = {}
        self._sock: socket.socket | None = None
        self._buf = bytearray()

    def call(self, operation: str, body: bytes) -> tuple[int, bytes]:
        """POST one request; returns (status, body). Transport failures raise OSError (connection closed)."""
        head = self._heads.get(operation)
        if head is None:
            head = self._heads[operation] = signed_head(self.host, self.port, operation, body)
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            # Small requests (latency phase) must not wait on Nagle + delayed ACK.
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buf.clear()
        try:
            self._sock.sendall(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
            return self._response()
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

    def _response(self) -> tuple[int, bytes]:
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = self._take(end + 4).lower()
        status = int(head[9:12])
        if status == 100:  # not asked for, but harmless to skip
            return self._response()
        length = _CONTENT_LENGTH.search(head)
        if length:
            body = self._take(int(length.group(1)))
        elif b"transfer-encoding: chunked" in head:
            chunks = []
            while size := int(self._line().split(b";")[0], 16):
                chunks.append(self._take(size))
                self._take(2)
            while self._line():  # trailers, then the blank line
                pass
            body = b"".join(chunks)
        else:  # body delimited by the connection closing
            try:
                while True:
                    self._fill()
            except ConnectionError:
                pass
            body = bytes(self._buf)
            self.close()
            return status, body
        if b"\r\nconnection: close" in head:
            self.close()
        return status, body

    def abort(self) -> None:
        """From another thread: make a blocked call fail now (ends a long poll at the end of a phase)."""
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buf.clear()


def filler(size: int) -> bytes:
    """`size` random characters of the base64 alphabet: incompressible enough, and JSON-safe."""
    return base64.b64encode(os.urandom(size))[:size]


class SendBatchTemplate:
    """A SendMessageBatch body with a slot per entry for its id header (and, for FIFO, group and dedup id).

    Entry i of a batch starting at sequence s carries message (producer, s + i); in a FIFO queue its group
    is (s + i) % groups, so every producer spreads over every group and a group's messages from one
    producer carry ascending sequence numbers.
    """

    def __init__(self, queue_url: str, count: int, body_size: int, groups: int = 0) -> None:
        self.count, self.groups = count, groups
        self.width = len(str(max(groups - 1, 0)))
        placeholder = encode_header(0, 0)
        parts = [b'{"QueueUrl":"%s","Entries":[' % queue_url.encode()]
        size = len(parts[0])
        self.body_offsets: list[int] = []
        self.group_offsets: list[int] = []
        self.dedup_offsets: list[int] = []
        for i in range(count):
            chunks: list[bytes] = [b'%s{"Id":"%d","MessageBody":"' % (b"," if i else b"", i)]
            self.body_offsets.append(size + len(chunks[0]))
            chunks.append(placeholder + filler(body_size - HEADER_SIZE) + b'"')
            if groups:
                at = size + sum(map(len, chunks))
                chunks.append(b',"MessageGroupId":"g%s","MessageDeduplicationId":"' % (b"0" * self.width))
                self.group_offsets.append(at + len(b',"MessageGroupId":"g'))
                self.dedup_offsets.append(at + len(chunks[-1]))
                chunks.append(placeholder[:16] + b'"')
            chunks.append(b"}")
            for chunk in chunks:
                parts.append(chunk)
                size += len(chunk)
        parts.append(b"]}")
        self.buffer = bytearray(b"".join(parts))

    def render(self, producer: int, first_seq: int) -> bytes:
        buf = self.buffer
        for i, at in enumerate(self.body_offsets):
            header = encode_header(producer, first_seq + i)
            buf[at : at + HEADER_SIZE] = header
            if self.groups:
                g = self.group_offsets[i]
                buf[g : g + self.width] = b"%0*d" % (self.width, (first_seq + i) % self.groups)
                d = self.dedup_offsets[i]
                buf[d : d + 16] = header[:16]
        return bytes(buf)


def receive_body(queue_url: str, max_messages: int = 10, wait_seconds: int = 1) -> bytes:
    return json.dumps(
        {"QueueUrl": queue_url, "MaxNumberOfMessages": max_messages, "WaitTimeSeconds": wait_seconds}
    ).encode()


def delete_batch_body(queue_url: str, handles: list[bytes]) -> bytes:
    """`handles` as they appeared in the ReceiveMessage answer (JSON-escaped already, so copied verbatim)."""
    entries = b",".join(b'{"Id":"%d","ReceiptHandle":"%s"}' % (i, h) for i, h in enumerate(handles))
    return b'{"QueueUrl":"%s","Entries":[%s]}' % (queue_url.encode(), entries)


def send_message_body(queue_url: str, producer: int, seq: int, tail: bytes) -> bytes:
    return b'{"QueueUrl":"%s","MessageBody":"%s%s"}' % (
        queue_url.encode(),
        encode_header(producer, seq),
        tail,
    )


@dataclass(frozen=True, slots=True)
class Received:
    ids: bytes  # the messages' id headers, HEADER_SIZE bytes each, in answer order
    handles: list[bytes]  # raw (still JSON-escaped) receipt handles


def parse_receive(answer: bytes) -> Received:
    """ReceiveMessage's answer by regular expression; `json.loads` only when the two counts disagree."""
    ids, handles = _BODY_ID.findall(answer), _HANDLE.findall(answer)
    if len(ids) != len(handles):
        messages = json.loads(answer).get("Messages", [])
        ids = [m["Body"][:HEADER_SIZE].encode() for m in messages]
        handles = [json.dumps(m["ReceiptHandle"])[1:-1].encode() for m in messages]
    return Received(b"".join(ids), handles)


def failed_entries(answer: bytes) -> list[int]:
    """Entry indexes (our Ids) that a batch answer lists under Failed; [] in the common case, cheaply."""
    if not _FAILED_ENTRY.search(answer):
        return []
    return [int(entry["Id"]) for entry in json.loads(answer).get("Failed", [])]
