"""Latency at a steady, low rate: a producer thread sending one entry at a time, timed against arrivals.

The producer notes each entry's send start by its sequence number (in its id header) just before sending;
a consumer in the same process notes when the entry reaches it. Latency = arrival - send start, both
`time.perf_counter`. When to send is the subclass's: Kinesis skips a tick it fell behind on, SQS moves its
schedule on; either way there is no catch-up burst.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bench.common.load import Client
from bench.common.wire import HEADER_SIZE, decode_header


@dataclass(frozen=True, slots=True)
class LatencyResult:
    sent: int
    received: int
    p50_ms: float | None  # None: nothing arrived
    p99_ms: float | None
    put_p50_ms: float | None  # the send's own round trip
    errors: list[str]


def percentile(samples: list[float], pct: int) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class Producer:
    """Sends `body(seq)` for each seq `schedule()` yields (it sleeps until each is due), on its own client."""

    def __init__(self, client: Client, operation: str) -> None:
        self.client, self.operation = client, operation
        self.sent_at: dict[int, float] = {}
        self.put_ms: list[float] = []
        self.errors: list[str] = []
        self.done = threading.Event()

    def body(self, seq: int) -> bytes:
        raise NotImplementedError

    def schedule(self) -> Iterator[int]:
        raise NotImplementedError

    def run(self) -> None:
        try:
            for seq in self.schedule():
                body = self.body(seq)
                t0 = time.perf_counter()
                self.sent_at[seq] = t0
                status, answer = self.client.call(self.operation, body)
                self.put_ms.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    self.errors.append(f"{self.operation} HTTP {status}: {answer[:200]!r}")
        except OSError as exc:
            self.errors.append(f"producer transport: {exc!r}")
        finally:
            self.client.close()
            self.done.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread

    def result(self, arrivals: dict[int, float], errors: list[str]) -> LatencyResult:
        lat = [(arrivals[s] - self.sent_at[s]) * 1000 for s in arrivals if s in self.sent_at]
        return LatencyResult(
            sent=len(self.sent_at),
            received=len(arrivals),
            p50_ms=percentile(lat, 50),
            p99_ms=percentile(lat, 99),
            put_p50_ms=percentile(self.put_ms, 50),
            errors=(self.errors + errors)[:20],
        )


def arrived(arrivals: dict[int, float], ids: bytes, now: float) -> None:
    """Note when each id header in `ids` first arrived (by its sequence number)."""
    for off in range(0, len(ids), HEADER_SIZE):
        arrivals.setdefault(decode_header(ids[off : off + HEADER_SIZE]).seq, now)
