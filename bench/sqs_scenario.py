"""One server, one SQS run: start it, put it through every workload in order, stop it, return the numbers.

Order: SendMessageBatch for `duration` s into a standard queue, drain that queue and check it (every
acknowledged message received, duplicates counted); the same into a FIFO queue with a per-group order
check; send-to-receive latency on an empty queue; peak RSS so far; then the backlog comparison (the
receive + delete rate over `backlog_window` messages from a queue holding 1.1 x that, then from one holding
`backlog` messages), which also gives the peak RSS with the backlog held. A phase that fails is noted and
the next one still runs.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import sqs_control
from bench.loadgen import StopWhen
from bench.peers import Running, Server
from bench.scenario import Outcome
from bench.sqs_backlog import backlog_phase
from bench.sqs_latency import send_to_receive
from bench.sqs_ledger import GroupOrder, QueueLedger
from bench.sqs_load import consume, send
from bench.sqs_wire import SendBatchTemplate, receive_body

HOST = "127.0.0.1"
QUEUES = {
    "send": "bench-send",
    "fifo": "bench-fifo.fifo",
    "latency": "bench-latency",
    "backlog": "bench-backlog",
}
LONG_VISIBILITY = "600"  # no message comes back on its own during a drain: a duplicate is the server's


@dataclass(frozen=True, slots=True)
class Settings:
    duration: float = 20.0  # seconds of each send measurement (standard, FIFO)
    clients: int = 8  # senders, and consumers in the drains
    batch: int = 10
    body_size: int = 1024
    fifo_groups: int = 64
    wait_seconds: int = 1  # the drains' long poll
    latency_messages: int = 1000
    latency_rate: float = 100.0
    backlog: int = 1_000_000
    backlog_window: int = 50_000
    backlog_body: int = 100
    backlog_fill_timeout: float = 240.0
    drain_timeout: float = 600.0
    ready_timeout: float = 90.0
    keep_data: bool = False


@dataclass
class Run:
    """What the phases of one run share."""

    port: int
    s: Settings
    running: Running
    urls: dict[str, str]
    m: dict[str, float]
    notes: dict[str, str]
    ledgers: dict[str, QueueLedger] = field(default_factory=dict)


def _prefix(key: str) -> str:
    return "fifo_" if key == "fifo" else ""


def _send(r: Run, key: str, groups: int) -> None:
    s, p = r.s, _prefix(key)
    templates = [SendBatchTemplate(r.urls[key], s.batch, s.body_size, groups) for _ in range(s.clients)]
    ledger = r.ledgers[key] = QueueLedger(s.clients, GroupOrder(groups) if groups else None)
    result = send(HOST, r.port, templates, ledger, StopWhen(s.duration, 0, s.duration))
    if result.acked:  # none at all: the server failed every call; a 0 would drag the median down
        r.m[f"{p}send_rps"] = result.acked_by(result.started + s.duration) / s.duration
        r.m[f"{p}send_client_cpu_pct"] = 100 * result.cpu_seconds / (result.stopped - result.started)
    if result.rejected or result.uncertain:
        r.notes[f"{p}send"] = (
            f"{result.rejected:,} entries rejected, {result.uncertain:,} uncertain; first errors: "
            + "; ".join(result.errors[:3])
        )


def _drain(r: Run, key: str) -> None:
    p, ledger, url = _prefix(key), r.ledgers[key], r.urls[key]
    expected = ledger.seal()
    if not expected:
        r.notes[f"{p}drain"] = "n/a: the send phase had no message acknowledged"
        return
    receive = receive_body(url, 10, r.s.wait_seconds)
    result = consume(HOST, r.port, url, ledger, r.s.clients, receive, timeout=r.s.drain_timeout)
    if result.distinct:
        r.m[f"{p}drain_rps"] = result.rate
        r.m[f"{p}drain_client_cpu_pct"] = 100 * result.cpu_seconds / result.seconds
    v = ledger.final()
    r.m[f"{p}lost"], r.m[f"{p}duplicated"] = float(v.lost), float(v.duplicated)
    if key == "fifo":
        r.m["fifo_order_violations"] = float(v.order_violations)
    r.m[f"{p}verified"] = 1.0 if v.ok else 0.0
    text = (
        f"{result.distinct:,} of {expected:,} acknowledged received in {result.seconds:.1f} s; lost {v.lost:,}, "
        f"duplicated {v.duplicated:,}, unexpected {v.unexpected:,}"
        + (f", out of group order {v.order_violations:,}" if key == "fifo" else "")
    )
    if result.delete_failures:
        text += f"; {result.delete_failures:,} deletes failed"
    if result.errors:
        text += "; errors: " + "; ".join(result.errors[:3])
    r.notes[f"{p}drain"] = text


def _latency(r: Run) -> None:
    s = r.s
    cap = max(30.0, 3 * s.latency_messages / s.latency_rate)
    result = send_to_receive(
        HOST, r.port, r.urls["latency"], s.latency_messages, s.latency_rate, s.body_size, cap
    )
    for key, value in (
        ("latency_p50_ms", result.p50_ms),
        ("latency_p99_ms", result.p99_ms),
        ("send_p50_ms", result.put_p50_ms),
    ):
        if value is not None:
            r.m[key] = value
    r.m["latency_messages"] = float(result.received)
    if result.received < result.sent or result.errors:
        r.notes["latency"] = f"received {result.received}/{result.sent}; " + "; ".join(result.errors[:3])


def _rss_so_far(r: Run) -> None:
    memory = r.running.memory
    memory.sample()
    r.m["rss_mb"] = sum(memory.hwm_kb.values()) * 1024 / 1e6


def _backlog(r: Run) -> None:
    backlog_phase(r, HOST)


PHASES: list[tuple[str, Callable[[Run], None]]] = [
    ("send", lambda r: _send(r, "send", 0)),
    ("drain", lambda r: _drain(r, "send")),
    ("fifo_send", lambda r: _send(r, "fifo", r.s.fifo_groups)),
    ("fifo_drain", lambda r: _drain(r, "fifo")),
    ("latency", _latency),
    ("rss", _rss_so_far),
    ("backlog", _backlog),
]


def _setup(port: int) -> dict[str, str]:
    sqs: Any = sqs_control.client(port)
    try:
        return {
            key: sqs_control.create_queue(
                sqs, name, **({} if key == "latency" else {"VisibilityTimeout": LONG_VISIBILITY})
            )
            for key, name in QUEUES.items()
        }
    finally:
        sqs.close()


def run_server(
    server: Server, run: int, s: Settings, workdir: Path, log: Callable[[str], None] = print
) -> Outcome:
    outcome = Outcome(server.name, run)
    # Other work on the machine skews everything here; the 1-minute load average before starting shows it.
    outcome.metrics["load_before"] = os.getloadavg()[0]

    def note(text: str, since: float) -> None:
        log(f"  [{server.name} run {run}] {text}: {time.perf_counter() - since:.1f} s")

    t0 = time.perf_counter()
    try:
        running = Running(server, workdir)
    except OSError as exc:
        outcome.skipped = f"could not start: {exc}"
        return outcome
    reason = running.wait_ready(s.ready_timeout, sqs_control.probe)
    note("ready", t0)
    try:
        reason = reason or sqs_control.serves_sqs(running.port)
        if reason:
            outcome.skipped = reason
            return outcome
        try:
            urls = _setup(running.port)
        except Exception as exc:  # noqa: BLE001
            outcome.skipped = f"queue setup failed: {exc!r}"
            return outcome
        r = Run(running.port, s, running, urls, outcome.metrics, outcome.notes)
        for name, phase in PHASES:
            t0 = time.perf_counter()
            try:
                phase(r)
            except Exception as exc:  # noqa: BLE001 - note it, keep going
                r.notes[name] = f"error: {exc!r}"
                traceback.print_exc()
            note(name, t0)
            if running.proc.poll() is not None:
                r.notes["crash"] = (
                    f"server exited ({running.proc.returncode}) during {name}: {running.log_tail(3)}"
                )
                break
        return outcome
    finally:
        t0 = time.perf_counter()
        peak = running.stop()
        if not outcome.skipped:
            outcome.metrics["rss_peak_mb"] = peak
        note("stop", t0)
        if not s.keep_data:
            shutil.rmtree(running.data, ignore_errors=True)
