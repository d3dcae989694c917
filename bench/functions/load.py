"""The measured invokes: sequential round trips (latency) and concurrent clients (throughput).

Every client thread owns one `InvokeClient`; every answer must be a 200 whose payload echoes the
request's id (the trivial handler returns its event), else it counts as an error, not an invoke.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common.latency import percentile
from bench.common.wire import encode_header
from bench.functions.wire import InvokeClient, echoed, payload


@dataclass(slots=True)
class Tally:
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    samples_ms: list[float] = field(default_factory=list)

    def check(self, client: int, seq: int, status: int, answer: bytes) -> None:
        if status == 200 and echoed(answer) == encode_header(client, seq).decode():
            self.ok += 1
            return
        self.error_count += 1
        if len(self.errors) < 5:
            self.errors.append(f"HTTP {status}: {answer[:200]!r}")


@dataclass(frozen=True, slots=True)
class Latency:
    p50_ms: float | None
    p99_ms: float | None
    count: int
    errors: list[str]


def sequential(call: Callable[[int], tuple[int, bytes]], count: int, client: int = 0) -> Latency:
    """`count` invokes one after another; `call(seq)` sends the invoke for payload(client, seq)."""
    tally = Tally()
    for seq in range(count):
        t0 = time.perf_counter()
        status, answer = call(seq)
        tally.samples_ms.append((time.perf_counter() - t0) * 1000)
        tally.check(client, seq, status, answer)
    return Latency(percentile(tally.samples_ms, 50), percentile(tally.samples_ms, 99), tally.ok, tally.errors)


def raw_call(invoker: InvokeClient, client: int = 0) -> Callable[[int], tuple[int, bytes]]:
    def call(seq: int) -> tuple[int, bytes]:
        status, _, answer = invoker.invoke(payload(client, seq))
        return status, answer

    return call


@dataclass(frozen=True, slots=True)
class Throughput:
    rate: float  # good invokes/s
    ok: int
    error_count: int
    errors: list[str]
    p50_ms: float | None
    p99_ms: float | None
    cpu_pct: float  # this (client) process's CPU, % of one core


def concurrent(port: int, function: str, clients: int, seconds: float) -> Throughput:
    """`clients` threads invoking back to back for `seconds`."""
    stop = threading.Event()
    tallies = [Tally() for _ in range(clients)]

    def work(c: int) -> None:
        invoker, tally, seq = InvokeClient(port, function), tallies[c], 0
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    status, _, answer = invoker.invoke(payload(c, seq))
                except OSError as exc:
                    tally.error_count += 1
                    tally.errors.append(f"transport: {exc!r}")
                    time.sleep(0.05)
                    continue
                tally.samples_ms.append((time.perf_counter() - t0) * 1000)
                tally.check(c, seq, status, answer)
                seq += 1
        finally:
            invoker.close()

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in range(clients)]
    cpu0, t0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    samples = [s for t in tallies for s in t.samples_ms]
    return Throughput(
        rate=sum(t.ok for t in tallies) / elapsed,
        ok=sum(t.ok for t in tallies),
        error_count=sum(t.error_count for t in tallies),
        errors=[e for t in tallies for e in t.errors][:5],
        p50_ms=percentile(samples, 50),
        p99_ms=percentile(samples, 99),
        cpu_pct=100 * cpu / elapsed,
    )
