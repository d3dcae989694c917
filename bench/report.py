"""Turns the runs' outcomes into RESULTS.md: a table per metric (every run, the median), Headwater's ratios
against each peer measured in the same invocation, and the targets, met or not."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bench.scenario import Outcome


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    title: str
    unit: str
    higher_is_better: bool
    note_key: str | None = None  # which phase's notes explain a missing value
    digits: int = 0


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


@dataclass(frozen=True, slots=True)
class Target:
    metric: str
    text: str
    holds: Callable[[float], bool]

    def check(self, value: float | None) -> str:
        if value is None:
            return "not measured"
        return "met" if self.holds(value) else "NOT met"


TARGETS = [
    Target("ingest_rps", "ingest >= 30,000 records/s (the target is for durable)", lambda v: v >= 30_000),
    Target("drain_rps", "drain >= 75,000 records/s", lambda v: v >= 75_000),
    Target("get_p50_ms", "put-to-get p50 <= 3 ms", lambda v: v <= 3),
    Target("push_p50_ms", "push p50 <= 2 ms", lambda v: v <= 2),
    Target("growth_ratio", "no slowdown with data (late/first >= 0.9)", lambda v: v >= 0.9),
    Target("rss_mb", "peak RSS < 250 MB", lambda v: v < 250),
]


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


class Results:
    def __init__(self, outcomes: Iterable[Outcome], servers: list[str]) -> None:
        self.outcomes = list(outcomes)
        self.servers = [s for s in servers if any(o.server == s and not o.skipped for o in self.outcomes)]
        self.runs = max((o.run for o in self.outcomes), default=0)

    def values(self, server: str, key: str) -> list[float | None]:
        by_run = {o.run: o.metrics.get(key) for o in self.outcomes if o.server == server and not o.skipped}
        return [by_run.get(r) for r in range(1, self.runs + 1)]

    def median(self, server: str, key: str) -> float | None:
        present = [v for v in self.values(server, key) if v is not None]
        return statistics.median(present) if present else None

    def notes(self, server: str, key: str | None) -> str:
        if key is None:
            return ""
        seen: list[str] = []
        for o in self.outcomes:
            text = o.notes.get(key)
            if o.server == server and text and text not in seen:
                seen.append(text)
        return "; ".join(seen)

    def metric_table(self, metric: Metric) -> list[str]:
        head = (
            "| server | "
            + " | ".join(f"run {r}" for r in range(1, self.runs + 1))
            + " | **median** | notes |"
        )
        lines = [head, "|" + "---|" * (self.runs + 3)]
        for server in self.servers:
            cells = [fmt(v, metric.digits) for v in self.values(server, metric.key)]
            note = self.notes(server, metric.note_key).replace("|", "/")
            med = fmt(self.median(server, metric.key), metric.digits)
            lines.append(f"| {server} | " + " | ".join(cells) + f" | **{med}** | {note} |")
        return lines

    def advantage(self, metric: Metric, ours: str, peer: str) -> float | None:
        a, b = self.median(ours, metric.key), self.median(peer, metric.key)
        if a is None or b is None or a <= 0 or b <= 0:
            return None
        return a / b if metric.higher_is_better else b / a

    def ratio_tables(self) -> list[str]:
        ours = [s for s in self.servers if s.startswith("headwater")]
        peers = [s for s in self.servers if not s.startswith("headwater")]
        if not ours or not peers:
            return ["(needs Headwater and at least one peer measured in the same invocation)", ""]
        lines: list[str] = []
        for mine in ours:
            lines += [f"**{mine}** (x > 1: Headwater better; medians of this invocation)", ""]
            lines.append("| metric | " + " | ".join(peers) + " |")
            lines.append("|" + "---|" * (len(peers) + 1))
            for metric in METRICS:
                cells = [fmt(self.advantage(metric, mine, p), 2) for p in peers]
                lines.append(
                    f"| {metric.key} | " + " | ".join(f"{c}x" if c != "n/a" else c for c in cells) + " |"
                )
            lines.append("")
        return lines

    def target_table(self) -> list[str]:
        lines = ["| target | " + " | ".join(self.servers) + " |", "|" + "---|" * (len(self.servers) + 1)]
        for target in TARGETS:
            cells = []
            for server in self.servers:
                value = self.median(server, target.metric)
                digits = next(m.digits for m in METRICS if m.key == target.metric)
                cells.append(f"{target.check(value)} ({fmt(value, digits)})")
            lines.append(f"| {target.text} | " + " | ".join(cells) + " |")
        verified = []
        for server in self.servers:
            flags = [v for v in self.values(server, "verified") if v is not None]
            verified.append("all runs" if flags and all(flags) else ("FAILED" if flags else "not measured"))
        lines.append("| drained = acked, once each, in order | " + " | ".join(verified) + " |")
        return lines

    def targets_for(self, server: str) -> list[tuple[str, str]]:
        return [(t.text, t.check(self.median(server, t.metric))) for t in TARGETS]
