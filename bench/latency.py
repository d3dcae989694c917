"""Put-to-get and put-to-push latency at a steady, low rate (50 records/s by default).

One producer thread sends PutRecord on a fixed schedule (no catch-up bursts: a late tick is skipped) and
notes each record's send time by its sequence number before sending; a consumer, in the same process, notes
when the record reaches it. Latency = arrival - send, both from `time.perf_counter`. The polling consumer
calls GetRecords back to back (limits are off, so nothing throttles it); the push consumer is boto3's
SubscribeToShard event stream over HTTP/1.1, as an application would use it.
"""

from __future__ import annotations

import base64
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.drain import get_records_body, parse_get_records
from bench.wire import HEADER_SIZE, RawKinesis, decode_header, encode_header, filler

LATENCY_PRODUCER = 7777


@dataclass(frozen=True, slots=True)
class LatencyResult:
    sent: int
    received: int
    p50_ms: float | None  # None: nothing arrived
    p99_ms: float | None
    put_p50_ms: float | None  # the PutRecord round trip itself
    errors: list[str]


def percentile(samples: list[float], pct: int) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class _Producer:
    def __init__(self, host: str, port: int, stream: str, rate: float, seconds: float) -> None:
        self.client = RawKinesis(host, port)
        self.stream, self.rate, self.seconds = stream, rate, seconds
        self.sent_at: dict[int, float] = {}
        self.put_ms: list[float] = []
        self.errors: list[str] = []
        self.done = threading.Event()
        self._tail = filler()

    def body(self, seq: int) -> bytes:
        data = base64.b64encode(encode_header(LATENCY_PRODUCER, seq) + self._tail).decode()
        return json.dumps({"StreamName": self.stream, "Data": data, "PartitionKey": str(seq)}).encode()

    def run(self) -> None:
        try:
            start = time.perf_counter()
            period = 1.0 / self.rate
            seq = 0
            while True:
                due = start + seq * period
                now = time.perf_counter()
                if due - start >= self.seconds:
                    break
                if now < due:
                    time.sleep(due - now)
                elif now - due > period:
                    seq += 1  # fell behind a whole tick: skip it rather than burst
                    continue
                body = self.body(seq)
                t0 = time.perf_counter()
                self.sent_at[seq] = t0
                status, answer = self.client.call("PutRecord", body)
                self.put_ms.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    self.errors.append(f"PutRecord HTTP {status}: {answer[:200]!r}")
                seq += 1
        except OSError as exc:
            self.errors.append(f"producer transport: {exc!r}")
        finally:
            self.client.close()
            self.done.set()


def _result(producer: _Producer, arrivals: dict[int, float], errors: list[str]) -> LatencyResult:
    lat = [(arrivals[s] - producer.sent_at[s]) * 1000 for s in arrivals if s in producer.sent_at]
    return LatencyResult(
        sent=len(producer.sent_at),
        received=len(arrivals),
        p50_ms=percentile(lat, 50),
        p99_ms=percentile(lat, 99),
        put_p50_ms=percentile(producer.put_ms, 50),
        errors=(producer.errors + errors)[:20],
    )


def put_to_get(
    host: str, port: int, stream: str, iterator: str, rate: float, seconds: float, grace: float = 5.0
) -> LatencyResult:
    """`iterator`: a TRIM_HORIZON iterator on the (empty) one-shard latency stream."""
    producer = _Producer(host, port, stream, rate, seconds)
    consumer = RawKinesis(host, port)
    arrivals: dict[int, float] = {}
    errors: list[str] = []
    thread = threading.Thread(target=producer.run, daemon=True)
    thread.start()
    current: str | None = iterator
    stop_at: float | None = None
    try:
        while current is not None:
            if producer.done.is_set():
                stop_at = stop_at or time.perf_counter() + grace
                if len(arrivals) >= len(producer.sent_at) or time.perf_counter() > stop_at:
                    break
            status, body = consumer.call("GetRecords", get_records_body(current, 10_000))
            now = time.perf_counter()
            if status != 200:
                errors.append(f"GetRecords HTTP {status}: {body[:200]!r}")
                time.sleep(0.01)
                continue
            batch = parse_get_records(body)
            for off in range(0, len(batch.headers), HEADER_SIZE):
                arrivals.setdefault(decode_header(batch.headers[off : off + HEADER_SIZE]).seq, now)
            current = batch.next_iterator
    except OSError as exc:
        errors.append(f"consumer transport: {exc!r}")
    finally:
        consumer.close()
        thread.join()
    return _result(producer, arrivals, errors)


def put_to_push(
    host: str,
    port: int,
    stream: str,
    subscribe: Callable[[], object],
    rate: float,
    seconds: float,
    grace: float = 5.0,
) -> LatencyResult:
    """`subscribe()` returns boto3's SubscribeToShard EventStream (the initial response already read)."""
    stream_events = subscribe()
    producer = _Producer(host, port, stream, rate, seconds)
    arrivals: dict[int, float] = {}
    errors: list[str] = []
    thread = threading.Thread(target=producer.run, daemon=True)
    thread.start()
    deadline: list[float] = []
    # The event stream blocks between events; a watchdog closes it when the producer is done + grace.
    watchdog = threading.Thread(
        target=_close_after, args=(producer, stream_events, grace, deadline), daemon=True
    )
    watchdog.start()
    try:
        for event in stream_events:  # type: ignore[attr-defined]
            now = time.perf_counter()
            for record in event.get("SubscribeToShardEvent", {}).get("Records", []):
                arrivals.setdefault(decode_header(record["Data"][:HEADER_SIZE]).seq, now)
            if producer.done.is_set() and len(arrivals) >= len(producer.sent_at):
                break
    except Exception as exc:  # noqa: BLE001 - a closed or broken stream ends the measurement either way
        if not deadline:
            errors.append(f"event stream: {type(exc).__name__}: {exc}")
    finally:
        stream_events.close()  # type: ignore[attr-defined]
        thread.join()
    return _result(producer, arrivals, errors)


def _close_after(producer: _Producer, events: object, grace: float, fired: list[float]) -> None:
    producer.done.wait()
    time.sleep(grace)
    fired.append(time.perf_counter())
    events.close()  # type: ignore[attr-defined]
