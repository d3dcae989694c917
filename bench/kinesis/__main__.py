"""Kinesis benchmark: Headwater (durable, fast) against kinesalite, kinesis-local and moto, same workload.

    python -m bench.kinesis [--quick] [--runs 3] [--duration 20] [--servers a,b] [--skip a,b]

Installs the peers into bench/.peers/ (skipping any that fail), measures the load generator's own ceiling
against a server that answers from memory, then runs every server `--runs` times (interleaved, so drift hits
all alike) and writes the head of bench/RESULTS.md (the other benchmarks' sections are kept) plus the raw
numbers as JSON under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.common import runner, sections
from bench.common.ledger import Ledger
from bench.common.load import StopWhen
from bench.common.servers import HOST
from bench.kinesis import control, report
from bench.kinesis.drain import drain
from bench.kinesis.loadgen import ingest
from bench.kinesis.scenario import Settings, run_server
from bench.kinesis.servers import LINEUP

ENTRY = "python -m bench.kinesis"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = runner.parser(ENTRY, __doc__, LINEUP.servers, "short phases, small volumes")
    p.add_argument("--duration", type=float, help="ingest measurement seconds (default 20; quick 3)")
    p.add_argument("--producers", type=int, default=8)
    p.add_argument("--batch", type=int, default=500, help="records per PutRecords")
    p.add_argument("--shards", type=int, default=4)
    p.add_argument("--growth-records", type=int, help="stored records before the late window (default 1e6)")
    p.add_argument("--growth-window", type=int, help="records per growth window (default 1e5)")
    p.add_argument("--growth-timeout", type=float, help="cap on the whole ingest phase, s (default 180)")
    p.add_argument("--latency-seconds", type=float, help="seconds per latency phase (default 10; quick 2)")
    p.add_argument("--latency-rate", type=float, default=50.0, help="records/s in the latency phases")
    return runner.parse(p, argv, LINEUP.servers)


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        duration=runner.pick(args, "duration", 20, 3),
        producers=args.producers,
        batch=args.batch,
        shards=args.shards,
        growth_records=int(runner.pick(args, "growth_records", 1_000_000, 20_000)),
        growth_window=int(runner.pick(args, "growth_window", 100_000, 5_000)),
        growth_timeout=runner.pick(args, "growth_timeout", 180, 8),
        latency_seconds=runner.pick(args, "latency_seconds", 10, 2),
        latency_rate=args.latency_rate,
        keep_data=args.keep_data,
    )


def measure_ceiling(s: Settings, workdir: Path, quick: bool) -> dict[str, Any]:
    """The generator against a server that answers from memory: what it can push and drain at most."""
    with runner.serving(LINEUP.trivial, workdir, control.probe) as running:
        seconds = min(s.duration, 2 if quick else 10)
        result = ingest(HOST, running.port, "ceiling", Ledger(s.producers), s.producers, s.batch,
                        StopWhen(seconds, 0, seconds))  # fmt: skip
        batches = 3 if quick else 20
        drained = drain(HOST, running.port, [f"it-{batches}"] * s.shards, Ledger(0))
    return {
        "ingest_rps": result.acked / (result.stopped - result.started),
        "ingest_cpu_pct": 100 * result.cpu_seconds / (result.stopped - result.started),
        "drain_rps": drained.rate,
        "drain_cpu_pct": 100 * drained.cpu_seconds / drained.seconds,
    }


def main(argv: list[str] | None = None) -> int:
    argv = runner.argv_or_default(argv)
    args = parse_args(argv)
    s = settings_from(args)
    run = runner.Invocation("bench", "", args, LINEUP, s)
    run.install()
    ceiling = run.ceiling(lambda: measure_ceiling(s, run.workdir, args.quick))
    outcomes = run.run_all(lambda srv, n: run_server(srv, n, s, run.workdir, log=runner.log))
    raw = run.raw(ENTRY, argv, ceiling, outcomes)
    text = report.results_markdown(raw, outcomes, run.names)
    run.publish(raw, lambda path: sections.write_head(path, text), report.summary(outcomes, run.names), "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
