"""What a warm synchronous invoke costs the server: CPU and context switches per invoke, by thread.

    python -m bench.functions.cost [--duration 10] [--clients 8] [--threads]

Starts this checkout's Headwater (durable, as the functions bench does), makes the trivial function,
warms a worker per client, then runs the lean clients for `--duration` seconds and reads the server's
/proc counters before and after: CPU (utime + stime) and voluntary/involuntary context switches of all
its threads, divided by the invokes answered, plus the worker processes' CPU. Invokes/s on a shared
machine move with its load; these per-invoke figures move much less, so they are what a change to the
invoke path is compared by (run it on both sides, interleaved).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.common import runner
from bench.common.servers import headwater
from bench.functions import control
from bench.functions.load import concurrent
from bench.functions.scenario import WARM

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Counters:
    cpu_s: float
    voluntary: int
    involuntary: int


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def thread_counters(pid: int) -> dict[int, Counters]:
    """Every thread of `pid`: its CPU seconds and context switches so far."""
    found: dict[int, Counters] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = _read(f"/proc/{pid}/task/{tid}/stat").rsplit(")", 1)[1].split()
            status = dict(
                line.split(":", 1)
                for line in _read(f"/proc/{pid}/task/{tid}/status").splitlines()
                if ":" in line
            )
        except FileNotFoundError:  # the thread ended
            continue
        found[int(tid)] = Counters(
            (int(stat[11]) + int(stat[12])) / TICKS,
            int(status["voluntary_ctxt_switches"]),
            int(status["nonvoluntary_ctxt_switches"]),
        )
    return found


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of `pid` and every process below it (the workers, the zygotes)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            stat = _read(f"/proc/{current}/stat").rsplit(")", 1)[1].split()
            total += (int(stat[11]) + int(stat[12])) / TICKS
            for tid in os.listdir(f"/proc/{current}/task"):
                todo.extend(int(c) for c in _read(f"/proc/{current}/task/{tid}/children").split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.functions.cost", description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--threads", action="store_true", help="also print each busy thread's share")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="headwater-cost-") as tmp:
        server = headwater("durable")
        with runner.serving(server, Path(tmp), control.probe) as running:
            pid = running.proc.pid
            lam = control.client(running.port)
            control.ensure_role(running.port)
            control.create(lam, WARM)
            concurrent(running.port, WARM, args.clients, 2.0)  # a warm worker per client
            load0, threads0, tree0 = os.getloadavg()[0], thread_counters(pid), tree_cpu_s(pid)
            result = concurrent(running.port, WARM, args.clients, args.duration)
            threads1, tree1, load1 = thread_counters(pid), tree_cpu_s(pid), os.getloadavg()[0]
    n = max(result.ok, 1)
    zero = Counters(0.0, 0, 0)
    deltas = {
        tid: Counters(c.cpu_s - b.cpu_s, c.voluntary - b.voluntary, c.involuntary - b.involuntary)
        for tid, c in threads1.items()
        for b in [threads0.get(tid, zero)]
    }
    cpu = sum(d.cpu_s for d in deltas.values())
    print(
        f"invokes/s {result.rate:,.0f} (errors {result.error_count}) p50 {result.p50_ms or 0:.2f} ms | "
        f"server CPU/invoke {1e6 * cpu / n:.0f} us, with workers {1e6 * (tree1 - tree0) / n:.0f} us | "
        f"context switches/invoke voluntary {sum(d.voluntary for d in deltas.values()) / n:.1f} "
        f"involuntary {sum(d.involuntary for d in deltas.values()) / n:.1f} | load {load0:.2f} -> {load1:.2f}"
    )
    if args.threads:
        for tid, d in sorted(deltas.items()):
            if d.cpu_s or d.voluntary:
                name = "main (loop)" if tid == pid else f"thread {tid}"
                print(f"  {name:<14} {1e6 * d.cpu_s / n:6.0f} us  {d.voluntary / n:5.2f} voluntary switches")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
