"""Turns the runs' outcomes into a RESULTS.md part: a table per metric (every run, the median), Headwater's
ratios against each peer measured in the same invocation, the targets met or not, and the console summary.

Every service's part has the same layout (`document`); what differs (metrics, targets, method, ceiling) is
the service's report module's.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.common.scenario import Outcome


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    title: str
    unit: str
    higher_is_better: bool
    note_key: str | None = None  # which phase's notes explain a missing value
    digits: int = 0


@dataclass(frozen=True, slots=True)
class Target:
    metric: str
    text: str
    holds: Callable[[float], bool]

    def check(self, value: float | None) -> str:
        if value is None:
            return "not measured"
        return "met" if self.holds(value) else "NOT met"


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def digits_of(metrics: Sequence[Metric]) -> Callable[[str], int]:
    by_key = {m.key: m.digits for m in metrics}
    return lambda key: by_key.get(key, 0)


def is_ours(server: str) -> bool:
    return server.startswith("headwater")


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
        runs = " | ".join(f"run {r}" for r in range(1, self.runs + 1))
        lines = [f"| server | {runs} | **median** | notes |", "|" + "---|" * (self.runs + 3)]
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

    def ratio_tables(self, metrics: Sequence[Metric]) -> list[str]:
        ours = [s for s in self.servers if is_ours(s)]
        peers = [s for s in self.servers if not is_ours(s)]
        if not ours or not peers:
            return ["(needs Headwater and at least one peer measured in the same invocation)", ""]
        lines: list[str] = []
        for mine in ours:
            lines += [f"**{mine}** (x > 1: Headwater better; medians of this invocation)", ""]
            lines += ["| metric | " + " | ".join(peers) + " |", "|" + "---|" * (len(peers) + 1)]
            for metric in metrics:
                cells = [fmt(self.advantage(metric, mine, p), 2) for p in peers]
                lines.append(
                    f"| {metric.key} | " + " | ".join(f"{c}x" if c != "n/a" else c for c in cells) + " |"
                )
            lines.append("")
        return lines

    def target_table(
        self,
        targets: Sequence[Target],
        digits: Callable[[str], int],
        verified: Sequence[tuple[str, str]],
        first: Sequence[str] = (),
    ) -> list[str]:
        """Targets (medians) per server: `first` rows, the targets, then the `verified` flags (metric key,
        text): whether every run of each server was verified."""
        lines = ["| target | " + " | ".join(self.servers) + " |", "|" + "---|" * (len(self.servers) + 1)]
        lines += first
        for target in targets:
            values = (self.median(server, target.metric) for server in self.servers)
            cells = [f"{target.check(v)} ({fmt(v, digits(target.metric))})" for v in values]
            lines.append(f"| {target.text} | " + " | ".join(cells) + " |")
        for key, text in verified:
            cells = []
            for server in self.servers:
                seen = [v for v in self.values(server, key) if v is not None]
                cells.append("all runs" if seen and all(seen) else ("FAILED" if seen else "not measured"))
            lines.append(f"| {text} | " + " | ".join(cells) + " |")
        return lines

    def summary(
        self,
        keys: Sequence[str],
        digits: Callable[[str], int],
        column: int,
        targets: Sequence[Target],
        pad: int = 13,
        first: Callable[[str], list[str]] = lambda server: [],
    ) -> str:
        """The console table of medians, then Headwater's targets (`first(server)` lines, then `targets`)."""
        width = max((len(s) for s in self.servers), default=6) + 2
        lines = ["", "median".ljust(width) + "".join(k.rjust(column) for k in keys)]
        for server in self.servers:
            cells = "".join(fmt(self.median(server, k), digits(k)).rjust(column) for k in keys)
            lines.append(server.ljust(width) + cells)
        for server in filter(is_ours, self.servers):
            lines += [f"targets for {server}:", *first(server)]
            lines += [f"  {t.check(self.median(server, t.metric)):{pad}} {t.text}" for t in targets]
        return "\n".join(lines)


def load_line(outcomes: list[Outcome]) -> str:
    loads = [o.metrics["load_before"] for o in outcomes if "load_before" in o.metrics]
    if not loads:
        return "- Machine load: not recorded"
    return (
        f"- Machine load (1-minute load average before each server's run): {min(loads):.2f} to {max(loads):.2f} "
        "(about 0 on an idle machine; anything else running shares the 2 CPUs with server and generator)"
    )


def document(
    raw: dict[str, Any],
    results: Results,
    *,
    title: str,
    entry_note: str,
    method: str,
    ceiling_title: str,
    ceiling: str,
    skipped_title: str,
    skipped: list[str],
    targets: list[str],
    compared: Sequence[Metric],
    context: Sequence[Metric],
    machine_extra: str = "",
    header_extra: Sequence[str] = (),
    runs_note: str = "",
) -> str:
    """A service's part of RESULTS.md, every service in the same layout."""
    m = raw["machine"]
    out = [
        f"# {title}",
        "",
        f"- Command: `{raw['command']}` (from the repository root; {entry_note})",
        f"- Date: {raw['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; "
        f"Python {m['python']}{machine_extra}",
        f"- Runs per server: {raw['runs']}{runs_note}",
        f"- Headwater: {raw.get('headwater_tree', 'unknown')}",
        load_line(results.outcomes),
        *header_extra,
        "- Peers: " + (", ".join(f"{k} {v}" for k, v in raw["peer_versions"].items()) or "none installed"),
        "",
        "## Method",
        "",
        method,
        f"## {ceiling_title}",
        "",
        ceiling,
        "",
        f"## {skipped_title}",
        "",
        *(skipped or ["None."]),
        "",
        "## Targets (medians)",
        "",
        *targets,
        "",
        "## Headwater against each peer",
        "",
        *results.ratio_tables(compared),
        "## Metrics",
        "",
    ]
    for metric in [*compared, *context]:
        unit = f" ({metric.unit})" if metric.unit else ""
        out += [f"### {metric.title}{unit}", "", *results.metric_table(metric), ""]
    return "\n".join(out)


def ceiling_text(ceiling: dict[str, Any], measured: Callable[[dict[str, Any]], str]) -> str:
    """The ceiling paragraph: not measured, failed, or `measured(ceiling)`."""
    if not ceiling:
        return "Not measured (`--no-ceiling`)."
    if "error" in ceiling:
        return f"Could not be measured: {ceiling['error']}"
    return measured(ceiling)
