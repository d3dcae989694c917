"""Put-to-get and put-to-push latency at a steady, low rate (50 records/s by default).

One producer thread sends PutRecord on a fixed schedule (bench.common.latency; a late tick is skipped); a
consumer in the same process notes when each record reaches it. The polling consumer calls GetRecords back
to back (limits are off, so nothing throttles it); the push consumer is boto3's SubscribeToShard event
stream over HTTP/1.1, as an application would use it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator

from bench.common.latency import LatencyResult, Producer, arrived
from bench.common.wire import HEADER_SIZE, decode_header, encode_header
from bench.kinesis.drain import get_records_body, parse_get_records
from bench.kinesis.wire import RawKinesis, filler

LATENCY_PRODUCER = 7777


class _Producer(Producer):
    """PutRecord every 1/rate s for `seconds`; a tick it fell a whole period behind on is skipped."""

    def __init__(self, host: str, port: int, stream: str, rate: float, seconds: float) -> None:
        super().__init__(RawKinesis(host, port), "PutRecord")
        self.stream, self.rate, self.seconds = stream, rate, seconds
        self._tail = filler()

    def body(self, seq: int) -> bytes:
        data = base64.b64encode(encode_header(LATENCY_PRODUCER, seq) + self._tail).decode()
        return json.dumps({"StreamName": self.stream, "Data": data, "PartitionKey": str(seq)}).encode()

    def schedule(self) -> Iterator[int]:
        start = time.perf_counter()
        period = 1.0 / self.rate
        seq = 0
        while True:
            due = start + seq * period
            now = time.perf_counter()
            if due - start >= self.seconds:
                return
            if now < due:
                time.sleep(due - now)
            elif now - due > period:
                seq += 1  # fell behind a whole tick: skip it rather than burst
                continue
            yield seq
            seq += 1


def put_to_get(
    host: str, port: int, stream: str, iterator: str, rate: float, seconds: float, grace: float = 5.0
) -> LatencyResult:
    """`iterator`: a TRIM_HORIZON iterator on the (empty) one-shard latency stream."""
    producer = _Producer(host, port, stream, rate, seconds)
    consumer = RawKinesis(host, port)
    arrivals: dict[int, float] = {}
    errors: list[str] = []
    thread = producer.start()
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
            arrived(arrivals, batch.headers, now)
            current = batch.next_iterator
    except OSError as exc:
        errors.append(f"consumer transport: {exc!r}")
    finally:
        consumer.close()
        thread.join()
    return producer.result(arrivals, errors)


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
    thread = producer.start()
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
    return producer.result(arrivals, errors)


def _close_after(producer: _Producer, events: object, grace: float, fired: list[float]) -> None:
    producer.done.wait()
    time.sleep(grace)
    fired.append(time.perf_counter())
    events.close()  # type: ignore[attr-defined]
