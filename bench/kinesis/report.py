"""The Kinesis part of RESULTS.md (the head of the file, before the marked sections) and the console
summary: its metrics, targets, method and ceiling; the layout is bench.common.report's."""

from __future__ import annotations

from typing import Any

from bench.common.report import Metric, Results, Target, ceiling_text, digits_of, document, fmt
from bench.common.scenario import Outcome

METRICS = [
    Metric("ingest_rps", "Ingest: PutRecords 500 x 1 KiB, 8 clients", "records/s", True, "ingest"),
    Metric(
        "drain_rps", "Drain: GetRecords(Limit 10000), all shards in parallel", "records/s", True, "verify"
    ),
    Metric("get_p50_ms", "Put-to-get latency p50 (polling GetRecords)", "ms", False, "get_latency", 2),
    Metric("get_p99_ms", "Put-to-get latency p99", "ms", False, "get_latency", 2),
    Metric("put_p50_ms", "PutRecord round trip p50 (at the latency rate)", "ms", False, "get_latency", 2),
    Metric("push_p50_ms", "Put-to-push latency p50 (SubscribeToShard, boto3)", "ms", False, "push", 2),
    Metric("push_p99_ms", "Put-to-push latency p99", "ms", False, "push", 2),
    Metric("growth_first_rps", "Ingest rate over the first growth window", "records/s", True, "growth"),
    Metric(
        "growth_late_rps", "Ingest rate over the window after growth_records", "records/s", True, "growth"
    ),
    Metric("growth_ratio", "Late / first ingest rate (1.0 = no slowdown)", "x", True, "growth_curve", 2),
    Metric("rss_mb", "Peak RSS of the server process tree (sum of VmHWM)", "MB", False, "crash"),
]

# Context for the numbers above, not compared.
CONTEXT_METRICS = [
    Metric("loadgen_cpu_pct", "Load generator CPU while ingesting", "% of one core", False, "ingest"),
    Metric("drain_client_cpu_pct", "Drain client CPU while draining", "% of one core", False, None),
    Metric("ingested_total", "Records ingested in total (ingest + growth)", "records", True, "ingest"),
    Metric("load_before", "Machine 1-minute load average before the server started", "", False, None, 2),
]


TARGETS = [
    Target("ingest_rps", "ingest >= 30,000 records/s (the target is for durable)", lambda v: v >= 30_000),
    Target("drain_rps", "drain >= 75,000 records/s", lambda v: v >= 75_000),
    Target("get_p50_ms", "put-to-get p50 <= 3 ms", lambda v: v <= 3),
    Target("push_p50_ms", "push p50 <= 2 ms", lambda v: v <= 2),
    Target("growth_ratio", "no slowdown with data (late/first >= 0.9)", lambda v: v >= 0.9),
    Target("rss_mb", "peak RSS < 250 MB", lambda v: v < 250),
]


METHOD = """\
- Every server runs as its own process on a free loopback port with a fresh data directory; the load
  generator is one Python process (threads, `http.client`, persistent HTTP/1.1 connections, bodies built
  once and only each record's 24-byte id patched per request, headers SigV4-signed once per operation).
- Ingest: stream of {shards} shards; {producers} producers each send PutRecords of {batch} x 1 KiB records
  (unique, hash-uniform partition keys) back to back. Ingest rate = records acknowledged (minus
  FailedRecordCount) in the first {duration:g} s / {duration:g}. The same stream then keeps filling until it
  holds {growth_records:,} + {growth_window:,} records (or {growth_timeout:g} s pass): growth compares the rate
  over the first {growth_window:,} records with the rate over the {growth_window:,} after {growth_records:,}.
- Drain: GetShardIterator(TRIM_HORIZON) + GetRecords(Limit 10000), one thread per shard, until every shard is
  caught up; every acknowledged record must come back exactly once, and each producer's records in ascending
  order within each shard.
- Put-to-get: one producer PutRecord at {latency_rate:g}/s for {latency_seconds:g} s, one consumer calling
  GetRecords back to back, same process; latency = arrival - send.
- Push: RegisterStreamConsumer + boto3 SubscribeToShard (HTTP/1.1), same producer; latency = event - send.
- RSS: sum over the server's process tree of each process's VmHWM, sampled every 0.25 s.
- Medians over runs; servers interleaved within each run. Ratios compare medians of this invocation.
"""


def _ceiling(c: dict[str, Any], nproc: str) -> str:
    return (
        f"Against a server answering from memory (bench/kinesis/trivial.py, same machine): ingest "
        f"{fmt(c['ingest_rps'])} records/s (generator CPU {fmt(c['ingest_cpu_pct'])}% of one core), drain "
        f"{fmt(c['drain_rps'])} records/s (drain client CPU {fmt(c.get('drain_cpu_pct'))}%). A server "
        "measured well below these numbers is not held back by the generator; near them, it is (the "
        f"generator and server share {nproc} CPUs)."
    )


def results_markdown(raw: dict[str, Any], outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    verified = [("verified", "drained = acked, once each, in order")]
    return document(
        raw,
        results,
        title="Kinesis benchmark results",
        entry_note="`make bench`",
        machine_extra=f", Node {raw['machine']['node']}",
        method=METHOD.format(**raw["settings"]),
        ceiling_title="Load generator ceiling",
        ceiling=ceiling_text(raw["ceiling"], lambda c: _ceiling(c, raw["machine"]["nproc"])),
        skipped_title="Skipped",
        skipped=[f"- {name}: {reason}" for name, reason in raw["skipped"].items()],
        targets=results.target_table(TARGETS, digits_of(METRICS), verified),
        compared=METRICS,
        context=CONTEXT_METRICS,
    )


def summary(outcomes: list[Outcome], servers: list[str]) -> str:
    keys = ["ingest_rps", "drain_rps", "get_p50_ms", "push_p50_ms", "growth_ratio", "rss_mb"]
    return Results(outcomes, servers).summary(keys, digits_of(METRICS), 14, TARGETS)
