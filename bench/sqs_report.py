"""The SQS section of RESULTS.md and the console summary: a table per metric (every run, the median),
Headwater's ratios against each peer measured in the same invocation, and the targets, met or not."""

from __future__ import annotations

from typing import Any

from bench.render import load_line
from bench.report import Metric, Results, Target, fmt
from bench.scenario import Outcome

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


def _ratio_tables(results: Results) -> list[str]:
    ours = [s for s in results.servers if s.startswith("headwater")]
    peers = [s for s in results.servers if not s.startswith("headwater")]
    if not ours or not peers:
        return ["(needs Headwater and at least one peer measured in the same invocation)", ""]
    lines: list[str] = []
    for mine in ours:
        lines += [f"**{mine}** (x > 1: Headwater better; medians of this invocation)", ""]
        lines += ["| metric | " + " | ".join(peers) + " |", "|" + "---|" * (len(peers) + 1)]
        for metric in METRICS:
            cells = [fmt(results.advantage(metric, mine, p), 2) for p in peers]
            lines.append(
                f"| {metric.key} | " + " | ".join(f"{c}x" if c != "n/a" else c for c in cells) + " |"
            )
        lines.append("")
    return lines


def _digits(key: str) -> int:
    return next(m.digits for m in METRICS if m.key == key)


def _target_table(results: Results) -> list[str]:
    lines = ["| target | " + " | ".join(results.servers) + " |", "|" + "---|" * (len(results.servers) + 1)]
    for target in TARGETS:
        cells = []
        for server in results.servers:
            value = results.median(server, target.metric)
            cells.append(f"{target.check(value)} ({fmt(value, _digits(target.metric))})")
        lines.append(f"| {target.text} | " + " | ".join(cells) + " |")
    for key, text in (
        ("verified", "standard: every message once"),
        ("fifo_verified", "FIFO: once each, in group order"),
    ):
        cells = []
        for server in results.servers:
            flags = [v for v in results.values(server, key) if v is not None]
            cells.append("all runs" if flags and all(flags) else ("FAILED" if flags else "not measured"))
        lines.append(f"| {text} | " + " | ".join(cells) + " |")
    return lines


def section_markdown(raw: dict[str, Any], outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    m, c = raw["machine"], raw["ceiling"]
    out = [
        "# SQS benchmark results",
        "",
        f"- Command: `{raw['command']}` (from the repository root; `make bench` runs Kinesis, then SQS)",
        f"- Date: {raw['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; Python {m['python']}",
        f"- Runs per server: {raw['runs']}",
        f"- Headwater: {raw.get('headwater_tree', 'unknown')}",
        load_line(outcomes),
        "- Peers: " + (", ".join(f"{k} {v}" for k, v in raw["peer_versions"].items()) or "none installed"),
        "",
        "## Method",
        "",
        METHOD.format(**raw["settings"]),
        "## Load generator ceiling",
        "",
    ]
    if not c:
        out.append("Not measured (`--no-ceiling`).")
    elif "error" in c:
        out.append(f"Could not be measured: {c['error']}")
    else:
        out.append(
            "Against a server answering from memory (bench/sqs_trivial.py, same machine, same 2 CPUs): send "
            f"{fmt(c['send_rps'])} msg/s (client CPU {fmt(c['send_cpu_pct'])}% of one core), FIFO send "
            f"{fmt(c['fifo_send_rps'])} msg/s, receive + delete {fmt(c['drain_rps'])} msg/s (client CPU "
            f"{fmt(c['drain_cpu_pct'])}%). A server measured well below these is not held back by the client."
        )
    out += ["", "## Skipped or reduced", ""]
    out += [f"- {name}: {reason}" for name, reason in raw["skipped"].items()]
    out += [f"- {name}: {note}" for name, note in raw.get("reduced", {}).items()]
    if not raw["skipped"] and not raw.get("reduced"):
        out.append("None.")
    out += ["", "## Targets (medians)", ""] + _target_table(results)
    out += ["", "## Headwater against each peer", ""] + _ratio_tables(results)
    out += ["## Metrics", ""]
    for metric in METRICS + CONTEXT_METRICS:
        unit = f" ({metric.unit})" if metric.unit else ""
        out += [f"### {metric.title}{unit}", ""] + results.metric_table(metric) + [""]
    return "\n".join(out)


def summary(outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    keys = ["send_rps", "drain_rps", "fifo_send_rps", "latency_p50_ms", "backlog_ratio", "rss_mb"]
    width = max((len(s) for s in results.servers), default=6) + 2
    lines = ["", "median".ljust(width) + "".join(k.rjust(16) for k in keys)]
    for server in results.servers:
        lines.append(
            server.ljust(width) + "".join(fmt(results.median(server, k), _digits(k)).rjust(16) for k in keys)
        )
    for server in results.servers:
        if server.startswith("headwater"):
            lines.append(f"targets for {server}:")
            lines += [f"  {t.check(results.median(server, t.metric)):13} {t.text}" for t in TARGETS]
    return "\n".join(lines)
