"""The ingest load generator: N producer threads, each sending pre-built PutRecords bodies back to back.

A body is built once per producer (500 records of 1 KiB, JSON, base64 data); per request only the 24-byte
header of each record (its unique id) and its partition key (the same id, so keys are unique and spread
evenly over the hash space by MD5) are patched in place. The threads spend their time in socket calls,
which release the GIL; the per-request Python work is ~1 ms. `ceiling` in kinesis_bench.py measures what
this generator can push against a server that answers from memory.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field

from bench.ledger import ACKED, REJECTED, UNCERTAIN, Ledger
from bench.wire import HEADER_B64, HEADER_SIZE, RawKinesis, encode_header, filler, record_data_b64

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


@dataclass(slots=True)
class ProducerStats:
    """Owned by one producer thread; read after it stops."""

    timeline: list[tuple[float, int]] = field(default_factory=list)  # (ack time, records acked by it)
    acked: int = 0
    rejected: int = 0
    uncertain: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IngestResult:
    started: float
    stopped: float
    timeline: list[tuple[float, int]]  # merged, sorted by time
    acked: int
    rejected: int
    uncertain: int
    requests: int
    errors: list[str]
    cpu_seconds: float  # this process's CPU time while ingesting

    def acked_by(self, t: float) -> int:
        return sum(n for ts, n in self.timeline if ts <= t)

    def time_at(self, count: int) -> float | None:
        """When the count-th record was acknowledged (None if never)."""
        total = 0
        for ts, n in self.timeline:
            total += n
            if total >= count:
                return ts
        return None

    def window_rates(self, window: int) -> list[float]:
        """Records/s over each successive `window` acknowledged records (the first from the start)."""
        rates: list[float] = []
        total, mark, since = 0, window, self.started
        for ts, n in self.timeline:
            total += n
            while total >= mark:
                rates.append(window / max(ts - since, 1e-9))
                since, mark = ts, mark + window
        return rates


class StopWhen:
    """Stop after `min_seconds` once `target` records are acked, or at `max_seconds` regardless."""

    def __init__(self, min_seconds: float, target: int, max_seconds: float) -> None:
        self.min_seconds, self.target, self.max_seconds = min_seconds, target, max(max_seconds, min_seconds)

    def done(self, elapsed: float, acked: int) -> bool:
        return elapsed >= self.max_seconds or (elapsed >= self.min_seconds and acked >= self.target)


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


def _produce(
    producer: int,
    client: RawKinesis,
    template: PutRecordsTemplate,
    ledger: Ledger,
    stats: ProducerStats,
    stop: threading.Event,
) -> None:
    seq = 0
    n = template.count
    while not stop.is_set():
        body = template.render(producer, seq)
        ledger.mark(producer, seq, n, UNCERTAIN)
        stats.requests += 1
        try:
            status, answer = client.call("PutRecords", body)
        except OSError as exc:
            stats.uncertain += n
            stats.errors.append(f"transport: {exc!r}")
            seq += n
            time.sleep(0.05)  # the server may be gone; do not spin
            continue
        now = time.perf_counter()
        acked = 0
        if status == 200:
            acked = _settle(producer, seq, n, answer, ledger, stats)
        elif 400 <= status < 500:
            ledger.mark(producer, seq, n, REJECTED)
            stats.rejected += n
            stats.errors.append(f"HTTP {status}: {answer[:200]!r}")
        else:
            stats.uncertain += n
            stats.errors.append(f"HTTP {status}: {answer[:200]!r}")
        stats.acked += acked
        stats.timeline.append((now, acked))
        seq += n


def ingest(
    host: str,
    port: int,
    stream: str,
    ledger: Ledger,
    producers: int,
    batch: int,
    until: StopWhen,
) -> IngestResult:
    templates = [PutRecordsTemplate(stream, batch) for _ in range(producers)]
    clients = [RawKinesis(host, port) for _ in range(producers)]
    stats = [ProducerStats() for _ in range(producers)]
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_produce, args=(p, clients[p], templates[p], ledger, stats[p], stop), daemon=True
        )
        for p in range(producers)
    ]
    cpu0 = time.process_time()
    started = time.perf_counter()
    for t in threads:
        t.start()
    while not until.done(time.perf_counter() - started, sum(s.acked for s in stats)):
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join()
    stopped = time.perf_counter()
    cpu = time.process_time() - cpu0
    for c in clients:
        c.close()
    timeline = sorted(entry for s in stats for entry in s.timeline)
    errors = [e for s in stats for e in s.errors]
    return IngestResult(
        started=started,
        stopped=stopped,
        timeline=timeline,
        acked=sum(s.acked for s in stats),
        rejected=sum(s.rejected for s in stats),
        uncertain=sum(s.uncertain for s in stats),
        requests=sum(s.requests for s in stats),
        errors=errors[:20],
        cpu_seconds=cpu,
    )
