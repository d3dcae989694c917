"""One server, one SQS run: start it, put it through every workload in order, stop it, return the numbers.

Order: SendMessageBatch for `duration` s into a standard queue, drain that queue and check it (every
acknowledged message received, duplicates counted); the same into a FIFO queue with a per-group order
check; send-to-receive latency on an empty queue; peak RSS so far; then the backlog comparison (the
receive + delete rate over `backlog_window` messages from a queue holding 1.1 x that, then from one holding
`backlog` messages), which also gives the peak RSS with the backlog held. A phase that fails is noted and
the next one still runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from bench.common import scenario
from bench.common.load import StopWhen
from bench.common.scenario import Outcome, Phases
from bench.common.servers import HOST, Running
from bench.sqs import control
from bench.sqs.backlog import backlog_phase
from bench.sqs.latency import send_to_receive
from bench.sqs.ledger import GroupOrder, QueueLedger
from bench.sqs.load import consume, send
from bench.sqs.run import Run, Settings
from bench.sqs.wire import SendBatchTemplate, receive_body

QUEUES = {
    "send": "bench-send",
    "fifo": "bench-fifo.fifo",
    "latency": "bench-latency",
    "backlog": "bench-backlog",
}
LONG_VISIBILITY = "600"  # no message comes back on its own during a drain: a duplicate is the server's


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
    r.running.memory.sample()
    r.m["rss_mb"] = r.running.memory.peak_mb()


PHASES: list[tuple[str, Callable[[Run], None]]] = [
    ("send", lambda r: _send(r, "send", 0)),
    ("drain", lambda r: _drain(r, "send")),
    ("fifo_send", lambda r: _send(r, "fifo", r.s.fifo_groups)),
    ("fifo_drain", lambda r: _drain(r, "fifo")),
    ("latency", _latency),
    ("rss", _rss_so_far),
    ("backlog", backlog_phase),
]


def _prepare(s: Settings, running: Running, outcome: Outcome, cleanup: contextlib.ExitStack) -> Phases | str:
    reason = control.serves_sqs(running.port)
    if reason:
        return reason
    try:
        urls = control.create_queues(running.port, QUEUES, LONG_VISIBILITY, short={"latency"})
    except Exception as exc:  # noqa: BLE001
        return f"queue setup failed: {exc!r}"
    r = Run(running.port, s, running, urls, outcome.metrics, outcome.notes)
    return scenario.bind(PHASES, r)


SCENARIO = scenario.Scenario(control.probe, _prepare, "rss_peak_mb")
run_server = SCENARIO.run
