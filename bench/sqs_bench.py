"""SQS benchmark: Headwater (durable, fast) against moto and LocalStack's SQS, same workload, same client.

    python -m bench.sqs_bench [--quick] [--runs 3] [--duration 20] [--servers a,b] [--skip a,b]

Installs the peers into bench/.peers/ (skipping any that fail, with the reason), measures the load
generator's own ceiling against a server that answers from memory, then runs every server `--runs` times
(interleaved, so drift hits all alike) and writes the SQS section of bench/RESULTS.md (between markers; the
rest of the file is left alone) plus the raw numbers as JSON under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shlex
import sys
import time
from pathlib import Path

from bench import sqs_control, sqs_peers, sqs_report, sqs_section
from bench.kinesis_bench import headwater_tree, machine
from bench.ledger import ACKED
from bench.loadgen import StopWhen
from bench.peers import PEERS, REPO, Running, Server
from bench.scenario import Outcome
from bench.sqs_ledger import QueueLedger
from bench.sqs_load import consume, send
from bench.sqs_scenario import HOST, Settings, run_server
from bench.sqs_wire import SendBatchTemplate, receive_body

TRIVIAL = Server(
    name="trivial-sqs",
    family="trivial",
    command=lambda port, data: [sys.executable, "-m", "bench.sqs_trivial", "--port", str(port)],
    cwd=REPO,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = [s.name for s in sqs_peers.ALL_SERVERS]
    p.add_argument("--quick", action="store_true", help="smoke test: short phases, small volumes, 1 run")
    p.add_argument("--runs", type=int, help="runs per server (default 3; quick 1)")
    p.add_argument("--duration", type=float, help="seconds of each send measurement (default 20; quick 3)")
    p.add_argument("--servers", default=",".join(names), help=f"comma list from {names}")
    p.add_argument("--skip", default="", help="comma list of servers to leave out")
    p.add_argument("--clients", type=int, default=8, help="senders, and consumers per drain")
    p.add_argument("--fifo-groups", type=int, default=64)
    p.add_argument(
        "--latency-messages", type=int, help="messages in the latency phase (default 1000; quick 200)"
    )
    p.add_argument("--latency-rate", type=float, default=100.0, help="messages/s in the latency phase")
    p.add_argument("--backlog", type=int, help="messages queued for the backlog measurement (default 1e6)")
    p.add_argument(
        "--backlog-window", type=int, help="messages received per backlog measurement (default 5e4)"
    )
    p.add_argument("--backlog-body", type=int, default=100, help="bytes per backlog message")
    p.add_argument("--backlog-fill-timeout", type=float, help="cap on each backlog fill, s (default 240)")
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
        clients=args.clients,
        fifo_groups=args.fifo_groups,
        latency_messages=int(pick(args.latency_messages, 1000, 200)),
        latency_rate=args.latency_rate,
        backlog=int(pick(args.backlog, 1_000_000, 20_000)),
        backlog_window=int(pick(args.backlog_window, 50_000, 2_000)),
        backlog_body=args.backlog_body,
        backlog_fill_timeout=pick(args.backlog_fill_timeout, 240, 20),
        keep_data=args.keep_data,
    )


def measure_ceiling(s: Settings, workdir: Path, quick: bool) -> dict[str, float | str]:
    """The client against a server that answers from memory: what it can send and drain at most."""
    running = Running(TRIVIAL, workdir)
    reason = running.wait_ready(30, sqs_control.probe)
    if reason:
        running.stop()
        return {"error": reason}
    try:
        seconds = 2.0 if quick else 5.0
        out: dict[str, float | str] = {}
        for key, groups in (("send", 0), ("fifo_send", s.fifo_groups)):
            templates = [
                SendBatchTemplate("http://x/0/q", s.batch, s.body_size, groups) for _ in range(s.clients)
            ]
            result = send(
                HOST, running.port, templates, QueueLedger(s.clients), StopWhen(seconds, 0, seconds)
            )
            elapsed = result.stopped - result.started
            out[f"{key}_rps"] = result.acked / elapsed
            out[f"{key}_cpu_pct"] = 100 * result.cpu_seconds / elapsed
        ledger = QueueLedger(1)
        count = 20_000 if quick else 100_000
        ledger.mark(0, 0, count, ACKED)  # the trivial server hands out ids (0, 0), (0, 1), ...
        ledger.seal()
        drained = consume(HOST, running.port, "http://x/0/q", ledger, s.clients, receive_body("http://x/0/q"))
        out["drain_rps"] = drained.rate
        out["drain_cpu_pct"] = 100 * drained.cpu_seconds / max(drained.seconds, 1e-9)
        return out
    finally:
        running.stop()


def reduced(outcomes: list[Outcome]) -> dict[str, str]:
    """Per server, the first note saying its backlog phase was skipped or made smaller."""
    out: dict[str, str] = {}
    for o in outcomes:
        note = o.notes.get("backlog", "")
        if o.server not in out and (note.startswith(("skipped", "n/a")) or "reduced" in note):
            out[o.server] = "backlog phase " + (
                note if note.startswith(("skipped", "n/a")) else note.split("; ")[-1]
            )
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    s = settings_from(args)
    runs = args.runs or (1 if args.quick else 3)
    wanted = [n for n in args.servers.split(",") if n and n not in set(args.skip.split(","))]
    servers = [srv for srv in sqs_peers.ALL_SERVERS if srv.name in wanted]
    started = datetime.datetime.now(datetime.UTC)
    workdir = PEERS / "runs" / ("sqs-" + started.strftime("%Y%m%dT%H%M%SZ"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"sqs bench: {len(servers)} servers x {runs} runs; settings {s}; work dir {workdir}", flush=True)

    skipped: dict[str, str] = {}
    if not args.no_install:
        failed = sqs_peers.install({srv.family for srv in servers})
        for srv in servers:
            if srv.family in failed:
                skipped[srv.name] = f"install failed: {failed[srv.family]}"

    ceiling: dict[str, float | str] = {}
    if not args.no_ceiling:
        print("sqs bench: load generator ceiling...", flush=True)
        ceiling = measure_ceiling(s, workdir, args.quick)
        print(f"sqs bench: ceiling {ceiling}", flush=True)

    outcomes: list[Outcome] = []
    for run in range(1, runs + 1):
        for srv in servers:
            if srv.name in skipped:
                continue
            t0 = time.perf_counter()
            print(f"sqs bench: {srv.name} run {run}/{runs}", flush=True)
            outcome = run_server(srv, run, s, workdir, log=lambda text: print(text, flush=True))
            if outcome.skipped:
                skipped[srv.name] = outcome.skipped
                print(f"sqs bench: {srv.name} skipped: {outcome.skipped}", flush=True)
                continue
            outcomes.append(outcome)
            shown = {k: round(v, 2) for k, v in outcome.metrics.items()}
            print(
                f"sqs bench: {srv.name} run {run} ({time.perf_counter() - t0:.0f} s): {shown} {outcome.notes}",
                flush=True,
            )

    entry = os.environ.get("HEADWATER_BENCH_ENTRY", "python -m bench.sqs_bench")
    raw = {
        "command": " ".join([entry, shlex.join(argv)]).strip(),
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": dataclasses.asdict(s),
        "runs": runs,
        "ceiling": ceiling,
        "skipped": skipped,
        "reduced": reduced(outcomes),
        "headwater_tree": headwater_tree(),
        "peer_versions": sqs_peers.versions(),
        "outcomes": [dataclasses.asdict(o) for o in outcomes],
    }
    (workdir / "results.json").write_text(json.dumps(raw, indent=2))
    names = [srv.name for srv in servers]
    sqs_section.write(Path(args.output), sqs_report.section_markdown(raw, outcomes, names))
    print(sqs_report.summary(outcomes, names), flush=True)
    print(f"sqs bench: wrote the SQS section of {args.output} and {workdir / 'results.json'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
