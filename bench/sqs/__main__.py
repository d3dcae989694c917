"""SQS benchmark: Headwater (durable, fast) against moto and LocalStack's SQS, same workload, same client.

    python -m bench.sqs [--quick] [--runs 3] [--duration 20] [--servers a,b] [--skip a,b]

Installs the peers into bench/.peers/ (skipping any that fail, with the reason), measures the load
generator's own ceiling against a server that answers from memory, then runs every server `--runs` times
(interleaved, so drift hits all alike) and writes the SQS section of bench/RESULTS.md (between markers; the
rest of the file is left alone) plus the raw numbers as JSON under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.common import runner, sections
from bench.common.ledger import ACKED
from bench.common.load import StopWhen
from bench.common.peers import MOTO, Lineup, localstack
from bench.common.scenario import Outcome
from bench.common.servers import HOST, headwater, trivial
from bench.sqs import control, report
from bench.sqs.ledger import QueueLedger
from bench.sqs.load import consume, send
from bench.sqs.run import Settings
from bench.sqs.scenario import run_server
from bench.sqs.wire import SendBatchTemplate, receive_body

ENTRY = "python -m bench.sqs"
LINEUP = Lineup(
    servers=[headwater("durable"), headwater("fast"), MOTO, localstack("sqs")],
    trivial=trivial("trivial-sqs", "bench.sqs.trivial"),
    services=("sqs",),
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = runner.parser(ENTRY, __doc__, LINEUP.servers, "short phases, small volumes")
    p.add_argument("--duration", type=float, help="seconds of each send measurement (default 20; quick 3)")
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
    return runner.parse(p, argv, LINEUP.servers)


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        duration=runner.pick(args, "duration", 20, 3),
        clients=args.clients,
        fifo_groups=args.fifo_groups,
        latency_messages=int(runner.pick(args, "latency_messages", 1000, 200)),
        latency_rate=args.latency_rate,
        backlog=int(runner.pick(args, "backlog", 1_000_000, 20_000)),
        backlog_window=int(runner.pick(args, "backlog_window", 50_000, 2_000)),
        backlog_body=args.backlog_body,
        backlog_fill_timeout=runner.pick(args, "backlog_fill_timeout", 240, 20),
        keep_data=args.keep_data,
    )


def measure_ceiling(s: Settings, workdir: Path, quick: bool) -> dict[str, Any]:
    """The client against a server that answers from memory: what it can send and drain at most."""
    with runner.serving(LINEUP.trivial, workdir, control.probe) as running:
        seconds = 2.0 if quick else 5.0
        out: dict[str, Any] = {}
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
    argv = runner.argv_or_default(argv)
    args = parse_args(argv)
    s = settings_from(args)
    run = runner.Invocation("sqs bench", "sqs-", args, LINEUP, s)
    run.install()
    ceiling = run.ceiling(lambda: measure_ceiling(s, run.workdir, args.quick))
    outcomes = run.run_all(lambda srv, n: run_server(srv, n, s, run.workdir, log=runner.log))
    raw = run.raw(ENTRY, argv, ceiling, outcomes) | {"reduced": reduced(outcomes)}
    text = report.section_markdown(raw, outcomes, run.names)
    summary = report.summary(outcomes, run.names)
    run.publish(raw, lambda path: sections.write(path, "sqs", text), summary, "the SQS section of ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
