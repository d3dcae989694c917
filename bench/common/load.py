"""Batch senders shared by the Kinesis and SQS load: N threads, each sending a prebuilt body back to back.

Each thread owns one connection and one template (a body built once, with slots for the ids it patches
in per request), waits for each answer before sending the next batch and marks every entry in the ledger:
acknowledged, rejected (a failed entry or a 4xx) or uncertain (5xx, broken connection). The threads spend
their time in socket calls, which release the GIL. `StopWhen` says when the phase is over.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bench.common.ledger import REJECTED, UNCERTAIN, Ledger


class Template(Protocol):
    count: int  # entries per body

    def render(self, producer: int, first_seq: int) -> bytes: ...


class Client(Protocol):
    def call(self, operation: str, body: bytes) -> tuple[int, bytes]: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class ProducerStats:
    """Owned by one sender thread; read after it stops."""

    timeline: list[tuple[float, int]] = field(default_factory=list)  # (ack time, entries acked by it)
    acked: int = 0
    rejected: int = 0
    uncertain: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


# What a 200 answer acknowledged: (producer, first seq, count, answer, ledger, stats) -> entries acked.
Settle = Callable[[int, int, int, bytes, Ledger, ProducerStats], int]


@dataclass(frozen=True, slots=True)
class SendResult:
    started: float
    stopped: float
    timeline: list[tuple[float, int]]  # merged, sorted by time
    acked: int
    rejected: int
    uncertain: int
    requests: int
    errors: list[str]
    cpu_seconds: float  # this process's CPU time while sending

    def acked_by(self, t: float) -> int:
        return sum(n for ts, n in self.timeline if ts <= t)

    def time_at(self, count: int) -> float | None:
        """When the count-th entry was acknowledged (None if never)."""
        total = 0
        for ts, n in self.timeline:
            total += n
            if total >= count:
                return ts
        return None

    def window_rates(self, window: int) -> list[float]:
        """Entries/s over each successive `window` acknowledged entries (the first from the start)."""
        rates: list[float] = []
        total, mark, since = 0, window, self.started
        for ts, n in self.timeline:
            total += n
            while total >= mark:
                rates.append(window / max(ts - since, 1e-9))
                since, mark = ts, mark + window
        return rates


class StopWhen:
    """Stop after `min_seconds` once `target` entries are acked, or at `max_seconds` regardless."""

    def __init__(self, min_seconds: float, target: int, max_seconds: float) -> None:
        self.min_seconds, self.target, self.max_seconds = min_seconds, target, max(max_seconds, min_seconds)

    def done(self, elapsed: float, acked: int) -> bool:
        return elapsed >= self.max_seconds or (elapsed >= self.min_seconds and acked >= self.target)


def _sender(
    producer: int,
    client: Client,
    operation: str,
    template: Template,
    settle: Settle,
    ledger: Ledger,
    stats: ProducerStats,
    stop: threading.Event,
) -> None:
    seq, n = 0, template.count
    while not stop.is_set():
        body = template.render(producer, seq)
        ledger.mark(producer, seq, n, UNCERTAIN)
        stats.requests += 1
        try:
            status, answer = client.call(operation, body)
        except OSError as exc:
            stats.uncertain += n
            stats.errors.append(f"transport: {exc!r}")
            seq += n
            time.sleep(0.05)  # the server may be gone; do not spin
            continue
        now = time.perf_counter()
        acked = 0
        if status == 200:
            acked = settle(producer, seq, n, answer, ledger, stats)
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


def run_senders(
    clients: Sequence[Client],
    templates: Sequence[Template],
    operation: str,
    settle: Settle,
    ledger: Ledger,
    until: StopWhen,
    first_producer: int = 0,
) -> SendResult:
    """One thread per (client, template), producers numbered from `first_producer` (the ledger must know
    them), until `until` says so; the clients are closed afterwards."""
    stats = [ProducerStats() for _ in templates]
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_sender,
            args=(first_producer + p, clients[p], operation, t, settle, ledger, stats[p], stop),
            daemon=True,
        )
        for p, t in enumerate(templates)
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
    return SendResult(
        started=started,
        stopped=stopped,
        timeline=sorted(entry for s in stats for entry in s.timeline),
        acked=sum(s.acked for s in stats),
        rejected=sum(s.rejected for s in stats),
        uncertain=sum(s.uncertain for s in stats),
        requests=sum(s.requests for s in stats),
        errors=[e for s in stats for e in s.errors][:20],
        cpu_seconds=cpu,
    )


def run_threads(targets: Sequence[Callable[[], None]]) -> tuple[float, float, float]:
    """Run the targets on threads and wait for all; (started, stopped, this process's CPU seconds)."""
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    cpu0, started = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return started, time.perf_counter(), time.process_time() - cpu0
