"""One server, one run: start it, put it through every workload in order, stop it, return the numbers.

Order: ingest (8 producers; the first `duration` seconds give the ingest rate, and the same stream keeps
filling until it holds growth_records + growth_window records, which gives the rate of the first window
against the window after growth_records), drain and verify everything, put-to-get latency, push latency.
Peak RSS covers the whole run. A phase that fails is noted and the next one still runs.
"""

from __future__ import annotations

import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import control
from bench.drain import drain
from bench.latency import put_to_get, put_to_push
from bench.ledger import Ledger
from bench.loadgen import IngestResult, StopWhen, ingest
from bench.peers import Running, Server

HOST = "127.0.0.1"
INGEST_STREAM, LATENCY_STREAM, PUSH_STREAM = "bench-ingest", "bench-latency", "bench-push"


@dataclass(frozen=True, slots=True)
class Settings:
    duration: float = 20.0
    producers: int = 8
    batch: int = 500
    shards: int = 4
    growth_records: int = 1_000_000
    growth_window: int = 100_000
    growth_timeout: float = 240.0
    latency_seconds: float = 10.0
    latency_rate: float = 50.0
    drain_timeout: float = 900.0
    ready_timeout: float = 60.0
    keep_data: bool = False


@dataclass
class Outcome:
    server: str
    run: int
    metrics: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None


def _growth(result: IngestResult, s: Settings, metrics: dict[str, float], notes: dict[str, str]) -> None:
    first_at = result.time_at(s.growth_window)
    if first_at is None:
        notes["growth"] = f"n/a: only {result.acked:,} records acked"
        return
    metrics["growth_first_rps"] = s.growth_window / (first_at - result.started)
    late_from, late_to = result.time_at(s.growth_records), result.time_at(s.growth_records + s.growth_window)
    if late_from is None or late_to is None:
        notes["growth"] = (
            f"n/a: reached {result.acked:,} of {s.growth_records + s.growth_window:,} records "
            f"in {result.stopped - result.started:.0f} s (--growth-timeout)"
        )
        return
    metrics["growth_late_rps"] = s.growth_window / (late_to - late_from)
    metrics["growth_ratio"] = metrics["growth_late_rps"] / metrics["growth_first_rps"]


def _ingest_phase(port: int, s: Settings, ledger: Ledger, m: dict[str, float], notes: dict[str, str]) -> None:
    target = s.growth_records + s.growth_window if s.growth_records else 0
    until = StopWhen(s.duration, target, s.growth_timeout if target else s.duration)
    result = ingest(HOST, port, INGEST_STREAM, ledger, s.producers, s.batch, until)
    m["ingest_rps"] = result.acked_by(result.started + s.duration) / s.duration
    m["loadgen_cpu_pct"] = 100 * result.cpu_seconds / (result.stopped - result.started)
    m["ingested_total"] = result.acked
    if result.rejected or result.uncertain:
        notes["ingest"] = (
            f"{result.rejected:,} records rejected, {result.uncertain:,} uncertain; first errors: "
            + "; ".join(result.errors[:3])
        )
    if target:
        _growth(result, s, m, notes)


def _drain_phase(port: int, s: Settings, ledger: Ledger, m: dict[str, float], notes: dict[str, str]) -> None:
    iterators = control.trim_horizon_iterators(control.client(port), INGEST_STREAM)
    result = drain(HOST, port, iterators, ledger, timeout=s.drain_timeout)
    m["drain_rps"] = result.rate
    verdict = ledger.verdict()
    m["verified"] = 1.0 if verdict.ok else 0.0
    notes["verify"] = verdict.summary() + (
        f"; errors: {'; '.join(result.errors[:3])}" if result.errors else ""
    )


def _latency_phase(port: int, s: Settings, m: dict[str, float], notes: dict[str, str]) -> None:
    kinesis = control.client(port)
    [iterator] = control.trim_horizon_iterators(kinesis, LATENCY_STREAM)
    result = put_to_get(HOST, port, LATENCY_STREAM, iterator, s.latency_rate, s.latency_seconds)
    for key, value in (
        ("get_p50_ms", result.p50_ms),
        ("get_p99_ms", result.p99_ms),
        ("put_p50_ms", result.put_p50_ms),
    ):
        if value is not None:
            m[key] = value
    if result.received < result.sent or result.errors:
        notes["get_latency"] = f"received {result.received}/{result.sent}; " + "; ".join(result.errors[:3])


def _push_phase(port: int, s: Settings, push_arn: str, m: dict[str, float], notes: dict[str, str]) -> None:
    kinesis = control.client(port, read_timeout=30)
    try:
        consumer = control.register_consumer(kinesis, push_arn, "bench-push")
        [shard] = control.shard_ids(kinesis, PUSH_STREAM)
        control.subscribe(kinesis, consumer, shard).close()  # probe once: fail fast with the real reason
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        notes["push"] = f"n/a: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
        return
    result = put_to_push(
        HOST,
        port,
        PUSH_STREAM,
        lambda: control.subscribe(kinesis, consumer, shard),
        s.latency_rate,
        s.latency_seconds,
    )
    if result.received == 0:
        notes["push"] = "n/a: no record pushed; " + "; ".join(result.errors[:3])
        return
    assert result.p50_ms is not None and result.p99_ms is not None
    m["push_p50_ms"], m["push_p99_ms"] = result.p50_ms, result.p99_ms
    if result.received < result.sent or result.errors:
        notes["push"] = f"received {result.received}/{result.sent}; " + "; ".join(result.errors[:3])


def run_server(
    server: Server, run: int, s: Settings, workdir: Path, log: Callable[[str], None] = print
) -> Outcome:
    outcome = Outcome(server.name, run)
    t0 = time.perf_counter()
    running = Running(server, workdir)
    reason = running.wait_ready(s.ready_timeout, control.probe)
    log(f"  [{server.name} run {run}] ready: {time.perf_counter() - t0:.1f} s")
    if reason:
        running.stop()
        outcome.skipped = reason
        return outcome
    m, notes = outcome.metrics, outcome.notes
    try:
        kinesis = control.client(running.port)
        control.create_stream(kinesis, INGEST_STREAM, s.shards)
        control.create_stream(kinesis, LATENCY_STREAM, 1)
        push_arn = control.create_stream(kinesis, PUSH_STREAM, 1)
    except Exception as exc:  # noqa: BLE001
        outcome.skipped = f"stream setup failed: {exc!r}"
        running.stop()
        return outcome
    ledger = Ledger(s.producers)
    phases = [
        ("ingest", lambda: _ingest_phase(running.port, s, ledger, m, notes)),
        ("drain", lambda: _drain_phase(running.port, s, ledger, m, notes)),
        ("get_latency", lambda: _latency_phase(running.port, s, m, notes)),
        ("push", lambda: _push_phase(running.port, s, push_arn, m, notes)),
    ]
    for name, phase in phases:
        t0 = time.perf_counter()
        try:
            phase()
        except Exception as exc:  # noqa: BLE001 - note it, keep going
            notes[name] = f"error: {exc!r}"
            traceback.print_exc()
        log(f"  [{server.name} run {run}] {name}: {time.perf_counter() - t0:.1f} s")
        if running.proc.poll() is not None:
            notes["crash"] = f"server exited ({running.proc.returncode}) during {name}: {running.log_tail(3)}"
            break
    t0 = time.perf_counter()
    m["rss_mb"] = running.stop()
    log(f"  [{server.name} run {run}] stop: {time.perf_counter() - t0:.1f} s")
    if not s.keep_data:
        shutil.rmtree(running.data, ignore_errors=True)
    return outcome
