"""An SQS endpoint that answers from memory, to measure the SQS load generator's own ceiling.

Just enough HTTP/1.1 (Content-Length, X-Amz-Target) and canned AWS JSON 1.0 answers shaped like the real
ones: every SendMessageBatch / DeleteMessageBatch entry succeeds; every ReceiveMessage returns 10 messages
of 1 KiB whose ids count up from (0, 0), so a consumer's ledger sees a stream of new messages.

Run: python -m bench.sqs_trivial --port P
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re

from bench.sqs_wire import filler
from bench.wire import HEADER_SIZE, encode_header

_TARGET = re.compile(rb"x-amz-target:\s*amazonsqs\.(\w+)")
_LENGTH = re.compile(rb"content-length:\s*(\d+)")
MD5 = "0" * 32


def _entries_reply(count: int, with_message_id: bool) -> bytes:
    extra = {"MessageId": "00000000-0000-0000-0000-000000000000", "MD5OfMessageBody": MD5}
    entries = [{"Id": str(i), **(extra if with_message_id else {})} for i in range(count)]
    return json.dumps({"Successful": entries, "Failed": []}).encode()


SEND_REPLIES = [_entries_reply(n, True) for n in range(11)]
DELETE_REPLIES = [_entries_reply(n, False) for n in range(11)]
SEND_ONE = json.dumps({"MessageId": "00000000-0000-0000-0000-000000000000", "MD5OfMessageBody": MD5}).encode()


class _Protocol(asyncio.Protocol):
    counter = 0  # next message sequence number, shared by every connection
    tail = filler(1024 - HEADER_SIZE)

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
            target = _TARGET.search(head)
            self.respond(target.group(1) if target else b"", body)

    def receive_reply(self) -> bytes:
        first, _Protocol.counter = _Protocol.counter, _Protocol.counter + 10
        messages = b",".join(
            b'{"MessageId":"m%d","ReceiptHandle":"rh%d","MD5OfBody":"%s","Body":"%s%s"}'
            % (seq, seq, MD5.encode(), encode_header(0, seq), self.tail)
            for seq in range(first, first + 10)
        )
        return b'{"Messages":[' + messages + b"]}"

    def respond(self, operation: bytes, body: bytes) -> None:
        if operation == b"sendmessagebatch":
            reply = SEND_REPLIES[min(body.count(b'"Id"'), 10)]
        elif operation == b"deletemessagebatch":
            reply = DELETE_REPLIES[min(body.count(b'"Id"'), 10)]
        elif operation == b"receivemessage":
            reply = self.receive_reply()
        elif operation == b"sendmessage":
            reply = SEND_ONE
        else:
            reply = b"{}"
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n%s"
            % (len(reply), reply)
        )


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Protocol, "127.0.0.1", port)
    print(f"trivial SQS server on http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(serve(args.port))
    except ImportError:
        asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
