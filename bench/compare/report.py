"""The comparison's section of bench/RESULTS.md and its console summary: per workload the median over runs
of each tree, and current / baseline (> 1: the current tree is faster)."""

from __future__ import annotations

import statistics
from typing import Any

from bench.common.report import fmt
from bench.compare.workloads import WORKLOADS, Workload


def values(raw: dict[str, Any], workload: str, tree: str) -> list[float]:
    return [
        o["value"]
        for o in raw["outcomes"]
        if o["workload"] == workload and o["tree"] == tree and o["value"] is not None
    ]


def medians(raw: dict[str, Any], w: Workload) -> tuple[float | None, float | None, float | None]:
    """(median current, median baseline, current / baseline)."""
    cur, base = (values(raw, w.key, tree) for tree in ("current", "baseline"))
    mc = statistics.median(cur) if cur else None
    mb = statistics.median(base) if base else None
    return mc, mb, (mc / mb if mc and mb else None)


def _notes(raw: dict[str, Any], workload: str) -> str:
    seen: list[str] = []
    for o in raw["outcomes"]:
        if o["workload"] == workload:
            for text in [o["skipped"], *o["notes"].values()]:
                if text and f"{o['tree']}: {text}" not in seen:
                    seen.append(f"{o['tree']}: {text}")
    return "; ".join(seen).replace("|", "/")


def _load_line(raw: dict[str, Any]) -> str:
    loads = [o["load_before"] for o in raw["outcomes"] if o.get("load_before") is not None]
    if not loads:
        return "- Machine load: not recorded"
    return (
        f"- Machine load (1-minute load average before each measurement): {min(loads):.2f} to "
        f"{max(loads):.2f} (anything else running shares the CPUs with the server and the client)"
    )


def section_markdown(raw: dict[str, Any]) -> str:
    m, cur, base, flags = raw["machine"], raw["current"], raw["baseline"], raw["flags"]
    dropped = sorted(set(flags["current"]) - set(flags["baseline"]))
    out = [
        "# Baseline comparison",
        "",
        f"- Command: `{raw['command']}` (from the repository root)",
        f"- Date: {raw['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; "
        f"Python {m['python']}",
        f"- Current: {cur['tree']} (this checkout)",
        f"- Baseline: `{base['ref']}` = {base['describe']} (a `git worktree add --detach` of it under "
        "bench/.scratch/, removed afterwards; its server runs with that checkout as cwd)",
        "- Servers: Headwater `serve " + " ".join(raw["serve_args"]) + "`, the same venv for both, a fresh "
        "server and data directory for every measurement"
        + (f"; flags the baseline lacks, left out for both: {', '.join(dropped)}" if dropped else ""),
        f"- Runs: {raw['runs']}"
        + (" (quick mode: short measurements, not a result)" if raw["quick"] else "")
        + "; each run measures every workload on both trees back to back, the current tree first in odd "
        "runs and the baseline first in even ones, so drift and order hit both alike",
        _load_line(raw),
        "",
        "| workload | unit | seconds | median current | median baseline | current / baseline | current runs "
        "| baseline runs | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for w in WORKLOADS:
        mc, mb, ratio = medians(raw, w)
        runs = [
            ", ".join(fmt(v) for v in values(raw, w.key, tree)) or "n/a" for tree in ("current", "baseline")
        ]
        out.append(
            f"| {w.title} | {w.unit} | {raw['durations'][w.key]:g} | {fmt(mc)} | {fmt(mb)} | "
            f"{fmt(ratio, 2) + 'x' if ratio else 'n/a'} | {runs[0]} | {runs[1]} | {_notes(raw, w.key)} |"
        )
    out += [
        "",
        "current / baseline > 1: the current tree is faster. Medians over runs; on a shared 2-CPU machine a "
        "few percent either way is noise (compare the spread of the runs).",
    ]
    return "\n".join(out)


def summary(raw: dict[str, Any]) -> str:
    lines = ["", f"{'workload':10}{'current':>14}{'baseline':>14}{'ratio':>10}"]
    for w in WORKLOADS:
        mc, mb, ratio = medians(raw, w)
        lines.append(f"{w.key:10}{fmt(mc):>14}{fmt(mb):>14}{fmt(ratio, 3):>10}")
    return "\n".join(lines)
