"""The RESULTS.md document and the console summary."""

from __future__ import annotations

from typing import Any

from bench.report import CONTEXT_METRICS, METRICS, Results, fmt
from bench.scenario import Outcome

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


def results_markdown(raw: dict[str, Any], outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    m = raw["machine"]
    s = raw["settings"]
    out = [
        "# Kinesis benchmark results",
        "",
        f"- Command: `{raw['command']}` (from the repository root; `make bench`)",
        f"- Date: {raw['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; "
        f"Python {m['python']}, Node {m['node']}",
        f"- Runs per server: {raw['runs']}",
        f"- Headwater: {raw.get('headwater_tree', 'unknown')}",
        load_line(outcomes),
        "- Peers: " + (", ".join(f"{k} {v}" for k, v in raw["peer_versions"].items()) or "none installed"),
        "",
        "## Method",
        "",
        METHOD.format(**s),
        "## Load generator ceiling",
        "",
    ]
    c = raw["ceiling"]
    if not c:
        out.append("Not measured (`--no-ceiling`).")
    elif "error" in c:
        out.append(f"Could not be measured: {c['error']}")
    else:
        out.append(
            f"Against a server answering from memory (bench/trivial_server.py, same machine): ingest "
            f"{fmt(c['ingest_rps'])} records/s (generator CPU {fmt(c['ingest_cpu_pct'])}% of one core), drain "
            f"{fmt(c['drain_rps'])} records/s (drain client CPU {fmt(c.get('drain_cpu_pct'))}%). A server measured well below these numbers is not held back by "
            f"the generator; near them, it is (the generator and server share {m['nproc']} CPUs)."
        )
    out += ["", "## Skipped", ""]
    out += [f"- {name}: {reason}" for name, reason in raw["skipped"].items()] or ["None."]
    out += ["", "## Targets (medians)", ""] + results.target_table()
    out += ["", "## Headwater against each peer", ""] + results.ratio_tables()
    out += ["## Metrics", ""]
    for metric in METRICS + CONTEXT_METRICS:
        unit = f" ({metric.unit})" if metric.unit else ""
        out += [f"### {metric.title}{unit}", ""] + results.metric_table(metric) + [""]
    return "\n".join(out)


def load_line(outcomes: list[Outcome]) -> str:
    loads = [o.metrics["load_before"] for o in outcomes if "load_before" in o.metrics]
    if not loads:
        return "- Machine load: not recorded"
    return (
        f"- Machine load (1-minute load average before each server's run): {min(loads):.2f} to {max(loads):.2f} "
        "(about 0 on an idle machine; anything else running shares the 2 CPUs with server and generator)"
    )


def summary(outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    keys = ["ingest_rps", "drain_rps", "get_p50_ms", "push_p50_ms", "growth_ratio", "rss_mb"]
    width = max((len(s) for s in results.servers), default=6) + 2
    lines = ["", "median".ljust(width) + "".join(k.rjust(14) for k in keys)]
    for server in results.servers:
        row = server.ljust(width)
        for key in keys:
            digits = next(m.digits for m in METRICS if m.key == key)
            row += fmt(results.median(server, key), digits).rjust(14)
        lines.append(row)
    for server in results.servers:
        if server.startswith("headwater"):
            lines.append(f"targets for {server}:")
            lines += [f"  {verdict:13} {text}" for text, verdict in results.targets_for(server)]
    return "\n".join(lines)
