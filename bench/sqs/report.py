"""The SQS section of RESULTS.md and the console summary: its metrics, targets, method and ceiling; the
layout is bench.common.report's."""

from __future__ import annotations

from typing import Any

from bench.common.report import Metric, Results, Target, ceiling_text, digits_of, document, fmt
from bench.common.scenario import Outcome

METRICS = [
    Metric("send_rps", "SendMessageBatch 10 x 1 KiB, 8 clients, standard queue", "msg/s", True, "send"),
    Metric(
        "drain_rps",
        "Drain: ReceiveMessage(10, long poll) + DeleteMessageBatch, 8 clients",
        "msg/s",
        True,
        "drain",
    ),
    Metric(
        "fifo_send_rps", "FIFO SendMessageBatch 10 x 1 KiB, 8 clients, 64 groups", "msg/s", True, "fifo_send"
    ),
    Metric("fifo_drain_rps", "FIFO drain, 8 clients, per-group order checked", "msg/s", True, "fifo_drain"),
    Metric("latency_p50_ms", "Send-to-receive latency p50 (long poll)", "ms", False, "latency", 2),
    Metric("latency_p99_ms", "Send-to-receive latency p99", "ms", False, "latency", 2),
    Metric("send_p50_ms", "SendMessage round trip p50 (at the latency rate)", "ms", False, "latency", 2),
    Metric("backlog_empty_rps", "Receive + delete, near-empty queue", "msg/s", True, "backlog"),
    Metric("backlog_full_rps", "Receive + delete with the backlog queued", "msg/s", True, "backlog"),
    Metric("backlog_ratio", "Backlog / near-empty receive rate (1.0 = no cost)", "x", True, "backlog", 2),
    Metric("rss_mb", "Peak RSS before the backlog phase (sum of VmHWM)", "MB", False, "crash"),
    Metric("rss_peak_mb", "Peak RSS of the whole run, backlog held", "MB", False, "crash"),
]

CONTEXT_METRICS = [
    Metric("lost", "Standard drain: acknowledged messages never received", "messages", False, "drain"),
    Metric("duplicated", "Standard drain: messages received more than once", "messages", False, "drain"),
    Metric("fifo_lost", "FIFO drain: acknowledged messages never received", "messages", False, "fifo_drain"),
    Metric(
        "fifo_duplicated", "FIFO drain: messages received more than once", "messages", False, "fifo_drain"
    ),
    Metric(
        "fifo_order_violations", "FIFO drain: messages out of group order", "messages", False, "fifo_drain"
    ),
    Metric("latency_messages", "Latency phase: messages received", "messages", True, "latency"),
    Metric(
        "backlog_held",
        "Backlog phase: messages queued for the second measurement",
        "messages",
        True,
        "backlog",
    ),
    Metric("backlog_fill_rps", "Backlog phase: fill rate (small messages)", "msg/s", True, "backlog_fill"),
    Metric("send_client_cpu_pct", "Client CPU while sending (standard)", "% of one core", False, None),
    Metric("drain_client_cpu_pct", "Client CPU while draining (standard)", "% of one core", False, None),
    Metric("fifo_send_client_cpu_pct", "Client CPU while sending (FIFO)", "% of one core", False, None),
    Metric("load_before", "Machine 1-minute load average before the server started", "", False, None, 2),
]

TARGETS = [
    Target("send_rps", "send >= 20,000 msg/s (targets are for durable)", lambda v: v >= 20_000),
    Target("drain_rps", "drain >= 10,000 msg/s", lambda v: v >= 10_000),
    Target("fifo_send_rps", "FIFO send >= 10,000 msg/s", lambda v: v >= 10_000),
    Target("latency_p50_ms", "send-to-receive p50 <= 2 ms", lambda v: v <= 2),
    Target("backlog_ratio", "backlog costs < 10% (ratio > 0.9)", lambda v: v > 0.9),
]

METHOD = """\
- Every server runs as its own process on a free loopback port with a fresh data directory. The load
  generator is one Python process: threads, each with one persistent HTTP/1.1 connection on a raw socket,
  AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.*`, what boto3 sends), headers SigV4-signed once per operation,
  bodies built once with each message's 24-byte id patched in per request. Queue setup uses boto3.
- Send: {clients} senders, SendMessageBatch of {batch} x {body_size} B back to back for {duration:g} s into a
  standard queue; rate = entries acknowledged (not under Failed) / {duration:g} s.
- Drain: {clients} consumers, ReceiveMessage(MaxNumberOfMessages=10, WaitTimeSeconds={wait_seconds}) then one
  DeleteMessageBatch of what came back, over the queue filled by the send phase (VisibilityTimeout 600 s,
  so nothing reappears on its own); rate = distinct acknowledged messages / time to the last new one. Every
  acknowledged message must arrive; duplicates are counted.
- FIFO: the same into a .fifo queue, {fifo_groups} message groups (message n of each sender goes to group
  n mod {fifo_groups}, unique MessageDeduplicationId), then drained the same way; within a group, each
  sender's messages must arrive in the order sent.
- Latency: one producer SendMessage ({body_size} B) at {latency_rate:g}/s, {latency_messages:,} messages; one
  consumer ReceiveMessage(10, WaitTimeSeconds=20) back to back, deletes on another connection; latency =
  receipt - send start, same process clock.
- Backlog: standard queue, {backlog_body} B messages; receive + delete rate ({clients} consumers) over
  {backlog_window:,} messages from a queue holding {backlog_window:,} + 10%, then over {backlog_window:,} from one
  filled to {backlog:,} (filling capped at {backlog_fill_timeout:g} s; peers too slow to get near are skipped).
- RSS: sum over the server's process tree of each process's VmHWM, sampled every 0.25 s; once before the
  backlog phase, once over the whole run.
- Medians over runs; servers interleaved within each run. Ratios compare medians of this invocation,
  oriented so that > 1 means Headwater is better (throughput: ours/theirs; latency, memory: theirs/ours).
"""


def _ceiling(c: dict[str, Any]) -> str:
    return (
        "Against a server answering from memory (bench/sqs/trivial.py, same machine, same 2 CPUs): send "
        f"{fmt(c['send_rps'])} msg/s (client CPU {fmt(c['send_cpu_pct'])}% of one core), FIFO send "
        f"{fmt(c['fifo_send_rps'])} msg/s, receive + delete {fmt(c['drain_rps'])} msg/s (client CPU "
        f"{fmt(c['drain_cpu_pct'])}%). A server measured well below these is not held back by the client."
    )


def section_markdown(raw: dict[str, Any], outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    verified = [
        ("verified", "standard: every message once"),
        ("fifo_verified", "FIFO: once each, in group order"),
    ]
    skipped = [f"- {name}: {reason}" for name, reason in raw["skipped"].items()]
    skipped += [f"- {name}: {note}" for name, note in raw.get("reduced", {}).items()]
    return document(
        raw,
        results,
        title="SQS benchmark results",
        entry_note="`make bench` runs Kinesis, then SQS",
        method=METHOD.format(**raw["settings"]),
        ceiling_title="Load generator ceiling",
        ceiling=ceiling_text(raw["ceiling"], _ceiling),
        skipped_title="Skipped or reduced",
        skipped=skipped,
        targets=results.target_table(TARGETS, digits_of(METRICS), verified),
        compared=METRICS,
        context=CONTEXT_METRICS,
    )


def summary(outcomes: list[Outcome], servers: list[str]) -> str:
    keys = ["send_rps", "drain_rps", "fifo_send_rps", "latency_p50_ms", "backlog_ratio", "rss_mb"]
    return Results(outcomes, servers).summary(keys, digits_of(METRICS), 16, TARGETS)
