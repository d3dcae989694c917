"""Baseline comparison: the current tree's Headwater against REF's, same workloads, one invocation.

    python -m bench.compare REF [--runs 3] [--quick] [--duration S] [--keep-data] [--output FILE]

Checks REF out into a git worktree under bench/.scratch/ (removed afterwards), then for each run measures
Kinesis PutRecords ingest, SQS SendMessageBatch and S3 1 KiB PUT (durable mode) on a fresh server from each
tree, alternating which tree goes first, and writes the compare section of bench/RESULTS.md (between its
markers; the rest of the file is left alone) plus the raw numbers under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from bench.common import runner, sections
from bench.common.report import fmt
from bench.common.servers import PEERS, REPO, Server, headwater, headwater_args
from bench.compare import baseline, report
from bench.compare.workloads import WORKLOADS

ENTRY = "python -m bench.compare"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=ENTRY, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("ref", help="the baseline: a commit, branch, tag or expression such as HEAD~5")
    p.add_argument("--runs", type=int, help="runs per tree and workload (default 3; quick 1)")
    p.add_argument("--quick", action="store_true", help="smoke test: 3 s measurements, 1 run")
    p.add_argument("--duration", type=float, help="seconds of every measurement (default 20, 20, 15)")
    p.add_argument("--keep-data", action="store_true", help="keep the servers' data directories")
    p.add_argument("--output", default=str(runner.RESULTS))
    return p.parse_args(argv)


def _tree_servers(checkout: Path) -> tuple[Server, Server, set[str], dict[str, list[str]]]:
    """Both trees' durable Headwater with the serve flags both know; those flags; each tree's own."""
    found = {"current": baseline.serve_flags(REPO), "baseline": baseline.serve_flags(checkout)}
    for tree, path in (("current", REPO), ("baseline", checkout)):
        where = baseline.imported_from(path)
        if Path(where).resolve() != (path / "headwater").resolve():
            raise RuntimeError(f"the {tree} server would import headwater from {where}, not from {path}")
    both = found["current"] & found["baseline"]
    current = headwater("durable", name="current", known=both)
    base = headwater("durable", name="baseline", checkout=checkout, known=both)
    return current, base, both, {tree: sorted(flags) for tree, flags in found.items()}


def measure(
    runs: int, seconds: dict[str, float], keep_data: bool, current: Server, base: Server, workdir: Path
) -> list[dict[str, Any]]:
    """Every workload on both trees, run after run; which tree goes first alternates by run."""
    outcomes: list[dict[str, Any]] = []
    for run in range(1, runs + 1):
        order = [("current", current), ("baseline", base)]
        for workload in WORKLOADS:
            for tree, server in order if run % 2 else order[::-1]:
                runner.log(f"compare: {workload.key} run {run}/{runs}, {tree}")
                o = workload.measure(server, run, seconds[workload.key], workdir, keep_data)
                value = o.metrics.get(workload.metric)
                runner.log(
                    f"compare: {workload.key} {tree} run {run}: {fmt(value)} {o.skipped or ''} {o.notes}"
                )
                outcomes.append(
                    {
                        "workload": workload.key,
                        "tree": tree,
                        "run": run,
                        "value": value,
                        "load_before": o.metrics.get("load_before"),
                        "skipped": o.skipped,
                        "notes": o.notes,
                    }
                )
    return outcomes


def main(argv: list[str] | None = None) -> int:
    argv = runner.argv_or_default(argv)
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    workdir = PEERS / "runs" / ("compare-" + started.strftime("%Y%m%dT%H%M%SZ"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        commit = baseline.resolve(args.ref)
    except RuntimeError as exc:
        print(f"compare: no commit {args.ref!r}: {exc}", file=sys.stderr)
        return 2
    checkout = baseline.Checkout(commit)
    runs = args.runs or (1 if args.quick else 3)
    seconds = {w.key: args.duration or (3.0 if args.quick else w.full) for w in WORKLOADS}
    runner.log(f"compare: baseline {args.ref} = {baseline.describe(commit)}; work dir {workdir}")
    try:
        path = checkout.add()
        current, base, both, flags = _tree_servers(path)
        outcomes = measure(runs, seconds, args.keep_data, current, base, workdir)
    except RuntimeError as exc:  # the checkout or its Headwater: nothing to measure
        print(f"compare: {exc}", file=sys.stderr)
        return 1
    finally:
        checkout.remove()
    raw = {
        "command": runner.command(ENTRY, argv),
        "date": started.isoformat(timespec="seconds"),
        "machine": runner.machine(),
        "quick": args.quick,
        "runs": runs,
        "durations": seconds,
        "current": {"tree": runner.headwater_tree()},
        "baseline": {"ref": args.ref, "commit": commit, "describe": baseline.describe(commit)},
        "flags": flags,
        # What both servers ran with, but for the port and data directory each gets.
        "serve_args": headwater_args(0, Path(), "durable", both - {"--port", "--data-dir"}),
        "outcomes": outcomes,
    }
    (workdir / "results.json").write_text(json.dumps(raw, indent=2))
    sections.write(Path(args.output), "compare", report.section_markdown(raw))
    print(report.summary(raw), flush=True)
    runner.log(f"compare: wrote the compare section of {args.output} and {workdir / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
