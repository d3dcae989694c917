"""The functions section of RESULTS.md and the console summary: metrics, targets, method and ceiling;
the layout is bench.common.report's."""

from __future__ import annotations

from typing import Any

from bench.common.report import Metric, Results, Target, ceiling_text, digits_of, document, fmt
from bench.common.scenario import Outcome

METRICS = [
    Metric("warm_p50_ms", "Warm sync Invoke p50, lean client, sequential", "ms", False, "warm_latency", 2),
    Metric("warm_p99_ms", "Warm sync Invoke p99, lean client, sequential", "ms", False, "warm_latency", 2),
    Metric("boto3_p50_ms", "Warm sync Invoke p50 through boto3, sequential", "ms", False, "boto3_latency", 2),
    Metric("boto3_p99_ms", "Warm sync Invoke p99 through boto3", "ms", False, "boto3_latency", 2),
    Metric("invokes_per_s", "Warm sync invokes/s, concurrent lean clients", "invokes/s", True, "throughput"),
    Metric("concurrent_p50_ms", "Invoke p50 under the concurrent load", "ms", False, "throughput", 2),
    Metric("concurrent_p99_ms", "Invoke p99 under the concurrent load", "ms", False, "throughput", 2),
    Metric("cold_ms", "Cold start: first invoke of a new function, round trip", "ms", False, "cold", 1),
    Metric("cold_update_ms", "Cold start: first invoke after UpdateFunctionCode", "ms", False, "cold", 1),
    Metric("rss_mb", "Peak RSS of the whole run (server and workers, sum of VmHWM)", "MB", False, "crash"),
]

CONTEXT_METRICS = [
    Metric(
        "init_duration_ms",
        "Init Duration the REPORT line gives (cold starts)",
        "ms",
        False,
        "init_duration",
        1,
    ),
    Metric("cold_max_ms", "Cold start: slowest first invoke", "ms", False, "cold", 1),
    Metric("invoke_errors", "Throughput phase: invokes failed or not echoed", "invokes", False, "throughput"),
    Metric("client_cpu_pct", "Client CPU during the throughput phase", "% of one core", False, None),
    Metric("mapping_rps", "Kinesis mapping: records/s delivered (batch 100)", "records/s", True, "mapping"),
    Metric("load_before", "Machine 1-minute load average before the server started", "", False, None, 2),
]

TARGETS = [
    Target("warm_p50_ms", "warm sync Invoke p50 <= 2 ms", lambda v: v <= 2),
    Target("invokes_per_s", ">= 1,500 sync invokes/s", lambda v: v >= 1500),
    Target("cold_ms", "Python cold start <= 300 ms", lambda v: v <= 300),
]

METHOD = """\
- Every server runs as its own process on a free loopback port with a fresh data directory; functions
  are Python 3.11 with the trivial handler `def handler(event, context): return event`, 128 MB, made with
  boto3 (CreateFunction, then GetFunctionConfiguration until Active).
- The lean client: one persistent HTTP/1.1 connection per thread on a raw socket,
  `POST /2015-03-31/functions/<name>/invocations`, headers SigV4-signed once and reused, a ~60-byte JSON
  payload carrying the request's id; an invoke counts only if its 200 answer echoes that id.
- Cold start: {cold_starts} new functions per run, each timed from its first Invoke (boto3, LogType=Tail)
  to the answer, then once more after UpdateFunctionCode; the Init Duration its REPORT line gives is kept
  beside it. Medians over the cold starts, then over runs.
- Warm latency: {latency_invokes:,} sequential invokes with the lean client (after 50 not counted), then
  {boto3_invokes:,} with boto3 (`invoke` + reading the payload).
- Throughput: {clients} lean clients invoking back to back for {duration:g} s (after {warmup:g} s not counted, so
  each server can start a worker per client); rate = echoed invokes / elapsed.
- Kinesis mapping (`--mapping`, bench/functions/mapping.py): a 2-shard stream with a 100,000-record backlog, an
  event-source mapping with BatchSize 100 into a trivial Python handler; records/s delivered, put-to-invoke lag,
  and every shard's records checked delivered once each, in order.
- RSS: sum over the server's process tree (workers included) of each process's VmHWM, sampled every 0.25 s.
- Medians over runs; servers interleaved within each run. Ratios compare medians of this invocation,
  oriented so that > 1 means Headwater is better (throughput: ours/theirs; latency, memory: theirs/ours).
"""


def _ceiling(c: dict[str, Any]) -> str:
    return (
        "The lean client against a server that echoes from memory (bench/functions/trivial.py, same machine): "
        f"sequential p50 {fmt(c['p50_ms'], 3)} ms, {fmt(c['invokes_per_s'])} invokes/s with the same clients "
        f"(client CPU {fmt(c['cpu_pct'])}% of one core). A server measured well below these is not held back "
        "by the client."
    )


def section_markdown(raw: dict[str, Any], outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    skipped = [f"- {name}: {reason}" for name, reason in raw["skipped"].items()]
    return document(
        raw,
        results,
        title="Functions benchmark results",
        entry_note="`make bench` runs it after S3",
        method=METHOD.format(**raw["settings"]),
        ceiling_title="Client ceiling",
        ceiling=ceiling_text(raw["ceiling"], _ceiling),
        skipped_title="Skipped",
        skipped=skipped,
        targets=results.target_table(TARGETS, digits_of(METRICS + CONTEXT_METRICS), []),
        compared=METRICS,
        context=CONTEXT_METRICS,
    )


def summary(outcomes: list[Outcome], servers: list[str]) -> str:
    keys = ["warm_p50_ms", "boto3_p50_ms", "invokes_per_s", "cold_ms", "init_duration_ms", "rss_mb"]
    return Results(outcomes, servers).summary(keys, digits_of(METRICS + CONTEXT_METRICS), 17, TARGETS)
