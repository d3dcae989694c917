"""Functions benchmark: Headwater against ministack, warm synchronous Invoke and cold starts.

    python -m bench.functions [--quick] [--runs 3] [--duration 10] [--clients 8] [--servers a,b]

Installs ministack into bench/.peers/ (skipped with the reason if that fails), measures the lean client's
ceiling against a server that echoes from memory, then runs every server `--runs` times (interleaved) and
writes the functions section of bench/RESULTS.md plus the raw numbers under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import socket
from pathlib import Path
from typing import Any

from bench.common import runner, sections
from bench.common.peers import Lineup
from bench.common.servers import HOST, headwater, trivial
from bench.functions import report
from bench.functions.load import concurrent, raw_call, sequential
from bench.functions.peer import MINISTACK, install_ministack, ministack_version
from bench.functions.scenario import SCENARIO, Settings
from bench.functions.wire import InvokeClient

ENTRY = "python -m bench.functions"


class _Lineup(Lineup):
    def install(self, wanted: set[str]) -> dict[str, str]:
        failed = super().install(wanted - {"ministack"})
        if "ministack" in wanted and (reason := install_ministack()):
            failed["ministack"] = reason
        return failed

    def versions(self) -> dict[str, str]:
        return super().versions() | ministack_version()


LINEUP = _Lineup(
    servers=[headwater("durable"), MINISTACK], trivial=trivial("trivial-lambda", "bench.functions.trivial")
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = runner.parser(ENTRY, __doc__, LINEUP.servers, "few invokes, short phases")
    p.add_argument(
        "--duration", type=float, help="seconds of the throughput measurement (default 10; quick 3)"
    )
    p.add_argument("--clients", type=int, default=8, help="concurrent lean clients")
    p.add_argument("--cold-starts", type=int, help="cold starts per run (default 5; quick 2)")
    p.add_argument("--latency-invokes", type=int, help="sequential warm invokes (default 2000; quick 300)")
    p.add_argument("--boto3-invokes", type=int, help="sequential boto3 invokes (default 500; quick 100)")
    p.add_argument("--mapping", action="store_true", help="run the Kinesis event-source mapping phase")
    return runner.parse(p, argv, LINEUP.servers)


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        cold_starts=int(runner.pick(args, "cold_starts", 5, 2)),
        latency_invokes=int(runner.pick(args, "latency_invokes", 2000, 300)),
        boto3_invokes=int(runner.pick(args, "boto3_invokes", 500, 100)),
        clients=args.clients,
        duration=runner.pick(args, "duration", 10, 3),
        warmup=1.0 if args.quick else 2.0,
        mapping=args.mapping,
        keep_data=args.keep_data,
    )


def _listening(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


def measure_ceiling(s: Settings, workdir: Path, quick: bool) -> dict[str, Any]:
    """The lean client against a server that echoes from memory: its own latency and rate ceiling."""
    with runner.serving(LINEUP.trivial, workdir, _listening) as running:
        invoker = InvokeClient(running.port, "ceiling")
        try:
            latency = sequential(raw_call(invoker), 300 if quick else 2000)
        finally:
            invoker.close()
        rate = concurrent(running.port, "ceiling", s.clients, 2.0 if quick else 5.0)
    return {
        "p50_ms": latency.p50_ms,
        "invokes_per_s": rate.rate,
        "cpu_pct": rate.cpu_pct,
        "errors": rate.error_count,
    }


def main(argv: list[str] | None = None) -> int:
    argv = runner.argv_or_default(argv)
    args = parse_args(argv)
    s = settings_from(args)
    run = runner.Invocation("functions bench", "functions-", args, LINEUP, s)
    run.install()
    ceiling = run.ceiling(lambda: measure_ceiling(s, run.workdir, args.quick), "lean client")
    outcomes = run.run_all(lambda srv, n: SCENARIO.run(srv, n, s, run.workdir, log=runner.log))
    raw = run.raw(ENTRY, argv, ceiling, outcomes)
    text = report.section_markdown(raw, outcomes, run.names)
    summary = report.summary(outcomes, run.names)
    run.publish(
        raw, lambda path: sections.write(path, "functions", text), summary, "the functions section of "
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
