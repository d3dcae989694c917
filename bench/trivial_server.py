"""A server that answers PutRecords and GetRecords from memory, to measure the load generator's own ceiling.

It parses just enough HTTP/1.1 (Content-Length, X-Amz-Target) and replies with canned bodies shaped like
the real ones: every PutRecords succeeds with one entry per record; GetRecords returns `--batch` 1 KiB
records while the iterator (`it-<n>`) counts down, then one empty, caught-up batch.

Run: python -m bench.trivial_server --port P [--batch 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re

from bench.wire import encode_header, filler

_ITERATOR = re.compile(rb'"ShardIterator"\s*:\s*"it-(\d+)"')


def put_records_reply(count: int) -> bytes:
    entry = {"SequenceNumber": "4961" + "0" * 52, "ShardId": "shardId-000000000000"}
    return json.dumps({"FailedRecordCount": 0, "Records": [entry] * count}).encode()


EMPTY_GET = b'{"Records":[],"NextShardIterator":"it-0","MillisBehindLatest":0}'


def get_records_prefix(batch: int) -> bytes:
    """A GetRecords reply up to its records' closing bracket; the iterator is appended per request."""
    tail = filler()
    records = ",".join(
        f'{{"SequenceNumber":"{i:056d}","ApproximateArrivalTimestamp":1.7e9,'
        f'"Data":"{base64.b64encode(encode_header(9999, i) + tail).decode()}","PartitionKey":"k"}}'
        for i in range(batch)
    )
    return b'{"Records":[' + records.encode() + b"]"


class _Protocol(asyncio.Protocol):
    def __init__(self, get_prefix: bytes) -> None:
        self.get_prefix = get_prefix
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            length = int(re.search(rb"content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            self.respond(head, body)

    def respond(self, head: bytes, body: bytes) -> None:
        parts: list[bytes]
        if b"kinesis_20131202.putrecords" in head:
            parts = [put_records_reply(body.count(b'"PartitionKey"'))]
        elif b"kinesis_20131202.getrecords" in head:
            match = _ITERATOR.search(body)
            remaining = int(match.group(1)) if match else 0
            if remaining > 0:
                parts = [
                    self.get_prefix,
                    b',"NextShardIterator":"it-%d","MillisBehindLatest":5}' % (remaining - 1),
                ]
            else:
                parts = [EMPTY_GET]
        else:
            parts = [b"{}"]
        assert self.transport is not None
        length = sum(len(p) for p in parts)
        self.transport.writelines(
            [
                b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n"
                % length
            ]
            + parts
        )


async def serve(port: int, batch: int) -> None:
    prefix = get_records_prefix(batch)
    server = await asyncio.get_running_loop().create_server(lambda: _Protocol(prefix), "127.0.0.1", port)
    print(f"trivial server on http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(serve(args.port, args.batch))
    except ImportError:
        asyncio.run(serve(args.port, args.batch))


if __name__ == "__main__":
    main()
