"""Raw SQS over HTTP for the SQS benchmark: AWS JSON 1.0 on the shared raw socket, bodies with patchable ids.

`RawSqs` is `bench.common.wire.RawConnection` with one request head per operation, signed once and reused
(the payload hash no longer matches later bodies; no server measured here checks). Cheap per request, which
matters at 10 messages per request on 2 shared cores.

A message body is ASCII: the 24-byte id header (`bench.common.wire.encode_header`: producer, sequence) then
filler from the base64 alphabet, so it needs no JSON escaping and the id is the first 24 characters of `Body`.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass

from bench.common.wire import HEADER_SIZE, RawConnection, encode_header, head_lines, sign

TARGET_PREFIX = "AmazonSQS."
CONTENT_TYPE = "application/x-amz-json-1.0"
_HANDLE = re.compile(rb'"ReceiptHandle"\s*:\s*"((?:[^"\\]|\\.)*)"')
_BODY_ID = re.compile(rb'"Body"\s*:\s*"([^"\\]{%d})' % HEADER_SIZE)
_FAILED_ENTRY = re.compile(rb'"Failed"\s*:\s*\[\s*\{')


class RawSqs(RawConnection):
    """One persistent HTTP/1.1 connection to an SQS endpoint (one per thread: not thread-safe)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        super().__init__(host, port, timeout)
        self._heads: dict[str, bytes] = {}

    def call(self, operation: str, body: bytes) -> tuple[int, bytes]:
        """POST one request; returns (status, body). Transport failures raise OSError (connection closed)."""
        head = self._heads.get(operation)
        if head is None:
            wanted = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation}
            signed = sign("sqs", "POST", f"http://{self.host}:{self.port}/", wanted, body)
            head = self._heads[operation] = head_lines(self.host, self.port, signed)
        answer = self.send("POST", "/", head, (body,))
        return answer.status, answer.body


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
