"""A server that answers PutRecords and GetRecords from memory, to measure the load generator's own ceiling.

It reads requests with bench.common.trivial (Content-Length framing), checks X-Amz-Target and replies with
canned bodies shaped like the real ones: every PutRecords succeeds with one entry per record; GetRecords
returns `--batch` 1 KiB records while the iterator (`it-<n>`) counts down, then one empty, caught-up batch.

Run: python -m bench.kinesis.trivial --port P [--batch 10000]
"""

from __future__ import annotations

import argparse
import base64
import json
import re
from collections.abc import Callable

from bench.common.trivial import Framed, main
from bench.common.wire import encode_header
from bench.kinesis.wire import filler

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


class _Protocol(Framed):
    def __init__(self, get_prefix: bytes) -> None:
        super().__init__()
        self.get_prefix = get_prefix

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
        self.reply(b"application/x-amz-json-1.1", parts)


def _protocol(args: argparse.Namespace) -> Callable[[], _Protocol]:
    prefix = get_records_prefix(args.batch)  # built once: every connection sends the same records
    return lambda: _Protocol(prefix)


if __name__ == "__main__":
    main("trivial server", _protocol, lambda p: p.add_argument("--batch", type=int, default=10_000))
