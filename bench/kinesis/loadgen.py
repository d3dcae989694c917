"""The ingest load generator: N producer threads, each sending pre-built PutRecords bodies back to back.

A body is built once per producer (500 records of 1 KiB, JSON, base64 data); per request only the 24-byte
header of each record (its unique id) and its partition key (the same id, so keys are unique and spread
evenly over the hash space by MD5) are patched in place. The threads spend their time in socket calls,
which release the GIL; the per-request Python work is ~1 ms. The ceiling (bench/kinesis/__main__.py)
measures what this generator can push against a server that answers from memory.
"""

from __future__ import annotations

import base64
import json
import re

from bench.common.ledger import ACKED, REJECTED, Ledger
from bench.common.load import ProducerStats, SendResult, StopWhen, run_senders
from bench.common.wire import HEADER_B64, HEADER_SIZE, encode_header
from bench.kinesis.wire import RawKinesis, filler, record_data_b64

PARTITION_KEY_SIZE = 16  # producer (4) + sequence (12): the header's first 16 bytes
_FAILED = re.compile(rb'"FailedRecordCount"\s*:\s*(\d+)')


def failed_count(answer: bytes) -> int:
    """FailedRecordCount without parsing the whole answer (the common case is 0); -1 if absent."""
    at = answer.find(b'"FailedRecordCount"')
    match = _FAILED.match(answer, at) if at >= 0 else None
    return int(match.group(1)) if match else -1


class PutRecordsTemplate:
    """A PutRecords body with slots for each record's id (in Data) and partition key."""

    def __init__(self, stream: str, count: int) -> None:
        self.count = count
        parts: list[bytes] = [b'{"StreamName":"%s","Records":[' % stream.encode()]
        size = len(parts[0])
        self.data_offsets: list[int] = []
        self.key_offsets: list[int] = []
        placeholder = encode_header(0, 0)
        for i in range(count):
            head = b'{"Data":"' if i == 0 else b',{"Data":"'
            data = record_data_b64(placeholder, filler()).encode()
            middle = b'","PartitionKey":"'
            key = placeholder[:PARTITION_KEY_SIZE]
            tail = b'"}'
            self.data_offsets.append(size + len(head))
            self.key_offsets.append(size + len(head) + len(data) + len(middle))
            for chunk in (head, data, middle, key, tail):
                parts.append(chunk)
                size += len(chunk)
        parts.append(b"]}")
        self.buffer = bytearray(b"".join(parts))

    def render(self, producer: int, first_seq: int) -> bytes:
        headers = b"".join(encode_header(producer, first_seq + i) for i in range(self.count))
        encoded = base64.b64encode(headers)
        buf = self.buffer
        for i, (d, k) in enumerate(zip(self.data_offsets, self.key_offsets, strict=True)):
            buf[d : d + HEADER_B64] = encoded[i * HEADER_B64 : (i + 1) * HEADER_B64]
            h = i * HEADER_SIZE
            buf[k : k + PARTITION_KEY_SIZE] = headers[h : h + PARTITION_KEY_SIZE]
        return bytes(buf)


def _settle(producer: int, seq: int, n: int, answer: bytes, ledger: Ledger, stats: ProducerStats) -> int:
    """Record a 200 answer's per-record outcome; returns how many records it acknowledged."""
    if failed_count(answer) == 0:
        ledger.mark(producer, seq, n, ACKED)
        return n
    try:
        entries = json.loads(answer)["Records"]
    except (ValueError, KeyError, TypeError):
        stats.uncertain += n
        stats.errors.append(f"unreadable PutRecords answer: {answer[:200]!r}")
        return 0
    acked = 0
    for i, entry in enumerate(entries):
        ok = "ErrorCode" not in entry
        ledger.set_state(producer, seq + i, ACKED if ok else REJECTED)
        acked += ok
    stats.rejected += n - acked
    return acked


def ingest(
    host: str,
    port: int,
    stream: str,
    ledger: Ledger,
    producers: int,
    batch: int,
    until: StopWhen,
) -> SendResult:
    templates = [PutRecordsTemplate(stream, batch) for _ in range(producers)]
    clients = [RawKinesis(host, port) for _ in range(producers)]
    return run_senders(clients, templates, "PutRecords", _settle, ledger, until)
