"""One server, one run: start it, put it through every workload in order, stop it, return the numbers.

Order: ingest (8 producers; the first `duration` seconds give the ingest rate, and the same stream keeps
filling until it holds growth_records + growth_window records, which gives the rate of the first window
against the window after growth_records), drain and verify everything, put-to-get latency, push latency.
Peak RSS covers the whole run. A phase that fails is noted and the next one still runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import scenario
from bench.common.ledger import Ledger
from bench.common.load import SendResult, StopWhen
from bench.common.scenario import Outcome, Phases
from bench.common.servers import HOST, Running
from bench.kinesis import control
from bench.kinesis.drain import drain
from bench.kinesis.latency import put_to_get, put_to_push
from bench.kinesis.loadgen import ingest

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
class _Run:
    """What the phases of one run share."""

    port: int
    s: Settings
    kinesis: Any  # boto3 client, closed before the server stops (open connections delay some shutdowns)
    push_arn: str
    ledger: Ledger
    m: dict[str, float]
    notes: dict[str, str]


def _growth(result: SendResult, r: _Run) -> None:
    s = r.s
    # The whole curve, so one noisy window (a 2-CPU machine shared with other work) can be told from a trend.
    curve = " ".join(f"{rate / 1000:.0f}" for rate in result.window_rates(s.growth_window))
    r.notes["growth_curve"] = f"k records/s per {s.growth_window:,}: {curve}" if curve else ""
    first_at = result.time_at(s.growth_window)
    if first_at is None:
        r.notes["growth"] = (
            f"n/a: only {result.acked:,} records acked in {result.stopped - result.started:.0f} s "
            f"(window {s.growth_window:,}; --growth-timeout)"
        )
        return
    r.m["growth_first_rps"] = s.growth_window / (first_at - result.started)
    late_from, late_to = result.time_at(s.growth_records), result.time_at(s.growth_records + s.growth_window)
    if late_from is None or late_to is None:
        r.notes["growth"] = (
            f"n/a: reached {result.acked:,} of {s.growth_records + s.growth_window:,} records "
            f"in {result.stopped - result.started:.0f} s (--growth-timeout)"
        )
        return
    r.m["growth_late_rps"] = s.growth_window / (late_to - late_from)
    r.m["growth_ratio"] = r.m["growth_late_rps"] / r.m["growth_first_rps"]


def _ingest_phase(r: _Run) -> None:
    s = r.s
    target = s.growth_records + s.growth_window if s.growth_records else 0
    until = StopWhen(s.duration, target, s.growth_timeout if target else s.duration)
    result = ingest(HOST, r.port, INGEST_STREAM, r.ledger, s.producers, s.batch, until)
    r.m["ingest_rps"] = result.acked_by(result.started + s.duration) / s.duration
    r.m["loadgen_cpu_pct"] = 100 * result.cpu_seconds / (result.stopped - result.started)
    r.m["ingested_total"] = result.acked
    if result.rejected or result.uncertain:
        r.notes["ingest"] = (
            f"{result.rejected:,} records rejected, {result.uncertain:,} uncertain; first errors: "
            + "; ".join(result.errors[:3])
        )
    if target:
        _growth(result, r)


def _drain_phase(r: _Run) -> None:
    iterators = control.trim_horizon_iterators(r.kinesis, INGEST_STREAM)
    result = drain(HOST, r.port, iterators, r.ledger, timeout=r.s.drain_timeout)
    r.m["drain_rps"] = result.rate
    r.m["drain_client_cpu_pct"] = 100 * result.cpu_seconds / result.seconds if result.seconds else 0.0
    verdict = r.ledger.verdict()
    r.m["verified"] = 1.0 if verdict.ok else 0.0
    errors = f"; errors: {'; '.join(result.errors[:3])}" if result.errors else ""
    r.notes["verify"] = verdict.summary() + errors


def _latency_phase(r: _Run) -> None:
    [iterator] = control.trim_horizon_iterators(r.kinesis, LATENCY_STREAM)
    result = put_to_get(HOST, r.port, LATENCY_STREAM, iterator, r.s.latency_rate, r.s.latency_seconds)
    for key, value in (
        ("get_p50_ms", result.p50_ms),
        ("get_p99_ms", result.p99_ms),
        ("put_p50_ms", result.put_p50_ms),
    ):
        if value is not None:
            r.m[key] = value
    if result.received < result.sent or result.errors:
        r.notes["get_latency"] = f"received {result.received}/{result.sent}; " + "; ".join(result.errors[:3])


def _push_phase(r: _Run) -> None:
    kinesis = r.kinesis
    try:
        consumer = control.register_consumer(kinesis, r.push_arn, "bench-push")
        [shard] = control.shard_ids(kinesis, PUSH_STREAM)
        control.subscribe(kinesis, consumer, shard).close()  # probe once: fail fast with the real reason
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        first_line = str(exc).splitlines()[0][:160] if str(exc) else ""
        r.notes["push"] = f"n/a: {type(exc).__name__}: {first_line}"
        return
    result = put_to_push(
        HOST,
        r.port,
        PUSH_STREAM,
        lambda: control.subscribe(kinesis, consumer, shard),
        r.s.latency_rate,
        r.s.latency_seconds,
    )
    if result.p50_ms is None or result.p99_ms is None:
        r.notes["push"] = "n/a: no record pushed; " + "; ".join(result.errors[:3])
        return
    r.m["push_p50_ms"], r.m["push_p99_ms"] = result.p50_ms, result.p99_ms
    if result.received < result.sent or result.errors:
        r.notes["push"] = f"received {result.received}/{result.sent}; " + "; ".join(result.errors[:3])


PHASES: list[tuple[str, Callable[[_Run], None]]] = [
    ("ingest", _ingest_phase),
    ("drain", _drain_phase),
    ("get_latency", _latency_phase),
    ("push", _push_phase),
]


def _prepare(s: Settings, running: Running, outcome: Outcome, cleanup: contextlib.ExitStack) -> Phases | str:
    kinesis = cleanup.enter_context(contextlib.closing(control.client(running.port)))
    try:
        control.create_stream(kinesis, INGEST_STREAM, s.shards)
        control.create_stream(kinesis, LATENCY_STREAM, 1)
        push_arn = control.create_stream(kinesis, PUSH_STREAM, 1)
    except Exception as exc:  # noqa: BLE001
        return f"stream setup failed: {exc!r}"
    r = _Run(running.port, s, kinesis, push_arn, Ledger(s.producers), outcome.metrics, outcome.notes)
    return scenario.bind(PHASES, r)


SCENARIO = scenario.Scenario(control.probe, _prepare, "rss_mb")
run_server = SCENARIO.run
