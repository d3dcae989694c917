"""Kinesis benchmark: Headwater (durable, fast) against kinesalite, kinesis-local and moto, same workload.

    python -m bench.kinesis_bench [--quick] [--runs 3] [--duration 20] [--servers a,b] [--skip a,b]

Installs the peers into bench/.peers/ (skipping any that fail), measures the load generator's own ceiling
against a server that answers from memory, then runs every server `--runs` times (interleaved, so drift hits
all alike) and writes bench/RESULTS.md plus the raw numbers as JSON under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

from bench import control, peers, render
from bench.drain import drain
from bench.ledger import Ledger
from bench.loadgen import StopWhen, ingest
from bench.peers import ALL_SERVERS, PEERS, REPO, Running, Server
from bench.scenario import HOST, Outcome, Settings, run_server

TRIVIAL = Server(
    name="trivial",
    family="trivial",
    command=lambda port, data: [sys.executable, "-m", "bench.trivial_server", "--port", str(port)],
    cwd=REPO,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = [s.name for s in ALL_SERVERS]
    p.add_argument("--quick", action="store_true", help="smoke test: short phases, small volumes, 1 run")
    p.add_argument("--runs", type=int, help="runs per server (default 3; quick 1)")
    p.add_argument("--duration", type=float, help="ingest measurement seconds (default 20; quick 3)")
    p.add_argument("--servers", default=",".join(names), help=f"comma list from {names}")
    p.add_argument("--skip", default="", help="comma list of servers to leave out")
    p.add_argument("--producers", type=int, default=8)
    p.add_argument("--batch", type=int, default=500, help="records per PutRecords")
    p.add_argument("--shards", type=int, default=4)
    p.add_argument("--growth-records", type=int, help="stored records before the late window (default 1e6)")
    p.add_argument("--growth-window", type=int, help="records per growth window (default 1e5)")
    p.add_argument("--growth-timeout", type=float, help="cap on the whole ingest phase, s (default 180)")
    p.add_argument("--latency-seconds", type=float, help="seconds per latency phase (default 10; quick 2)")
    p.add_argument("--latency-rate", type=float, default=50.0, help="records/s in the latency phases")
    p.add_argument("--no-ceiling", action="store_true", help="skip the load generator ceiling measurement")
    p.add_argument("--no-install", action="store_true", help="use bench/.peers as it is")
    p.add_argument("--keep-data", action="store_true", help="keep the servers' data directories")
    p.add_argument("--output", default=str(Path(__file__).parent / "RESULTS.md"))
    args = p.parse_args(argv)
    unknown = {n for n in (args.servers + "," + args.skip).split(",") if n} - set(names)
    if unknown:
        p.error(f"unknown servers {sorted(unknown)}; known: {names}")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    q = args.quick

    def pick(value: float | None, full: float, quick: float) -> float:
        return value if value is not None else (quick if q else full)

    return Settings(
        duration=pick(args.duration, 20, 3),
        producers=args.producers,
        batch=args.batch,
        shards=args.shards,
        growth_records=int(pick(args.growth_records, 1_000_000, 20_000)),
        growth_window=int(pick(args.growth_window, 100_000, 5_000)),
        growth_timeout=pick(args.growth_timeout, 180, 8),
        latency_seconds=pick(args.latency_seconds, 10, 2),
        latency_rate=args.latency_rate,
        keep_data=args.keep_data,
    )


def measure_ceiling(s: Settings, workdir: Path, quick: bool) -> dict[str, float | str]:
    """The generator against a server that answers from memory: what it can push and drain at most."""
    running = Running(TRIVIAL, workdir)
    reason = running.wait_ready(30, control.probe)
    if reason:
        running.stop()
        return {"error": reason}
    try:
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
    finally:
        running.stop()


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])

    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "absent"

    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": version(["node", "--version"]),
    }


def headwater_tree() -> str:
    """Which Headwater was measured: the commit and how many of its files differ from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "headwater"], capture_output=True, text=True, cwd=REPO
        )
    except OSError:
        return "unknown (no git)"
    commit = head.stdout.strip() or "no commit yet"
    changed = len(dirty.stdout.splitlines())
    return f"{commit}" + (f" with {changed} uncommitted changes under headwater/" if changed else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    s = settings_from(args)
    runs = args.runs or (1 if args.quick else 3)
    wanted = [n for n in args.servers.split(",") if n and n not in set(args.skip.split(","))]
    servers = [srv for srv in ALL_SERVERS if srv.name in wanted]
    started = datetime.datetime.now(datetime.UTC)
    workdir = PEERS / "runs" / started.strftime("%Y%m%dT%H%M%SZ")
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"bench: {len(servers)} servers x {runs} runs; settings {s}; work dir {workdir}", flush=True)

    skipped: dict[str, str] = {}
    if not args.no_install:
        failed = peers.install_peers({srv.family for srv in servers})
        for srv in servers:
            if srv.family in failed:
                skipped[srv.name] = f"install failed: {failed[srv.family]}"

    ceiling: dict[str, float | str] = {}
    if not args.no_ceiling:
        print("bench: load generator ceiling...", flush=True)
        ceiling = measure_ceiling(s, workdir, args.quick)
        print(f"bench: ceiling {ceiling}", flush=True)

    outcomes: list[Outcome] = []
    for run in range(1, runs + 1):
        for srv in servers:
            if srv.name in skipped:
                continue
            t0 = time.perf_counter()
            print(f"bench: {srv.name} run {run}/{runs}", flush=True)
            outcome = run_server(srv, run, s, workdir, log=lambda text: print(text, flush=True))
            if outcome.skipped:
                skipped[srv.name] = outcome.skipped
                print(f"bench: {srv.name} skipped: {outcome.skipped}", flush=True)
                continue
            outcomes.append(outcome)
            shown = {k: round(v, 2) for k, v in outcome.metrics.items()}
            print(
                f"bench: {srv.name} run {run} ({time.perf_counter() - t0:.0f} s): {shown} {outcome.notes}",
                flush=True,
            )

    entry = os.environ.get("HEADWATER_BENCH_ENTRY", "python -m bench.kinesis_bench")
    command = " ".join([entry, shlex.join(sys.argv[1:] if argv is None else argv)]).strip()
    raw = {
        "command": command,
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": dataclasses.asdict(s),
        "runs": runs,
        "ceiling": ceiling,
        "skipped": skipped,
        "headwater_tree": headwater_tree(),
        "peer_versions": peers.peer_versions(),
        "outcomes": [dataclasses.asdict(o) for o in outcomes],
    }
    (workdir / "results.json").write_text(json.dumps(raw, indent=2))
    text = render.results_markdown(raw, outcomes, [srv.name for srv in servers])
    Path(args.output).write_text(text)
    print(render.summary(outcomes, [srv.name for srv in servers]), flush=True)
    print(f"bench: wrote {args.output} and {workdir / 'results.json'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
