"""One benchmark invocation: the flags every service shares, peers, ceiling, interleaved runs, raw numbers.

Every server runs `--runs` times, interleaved run by run (server A, B, C, then A, B, C again), so slow drift
on a shared machine hits all of them alike; the report takes medians over runs. The raw numbers go to
results.json in the invocation's directory under bench/.peers/runs/, with its server logs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.common.peers import Lineup
from bench.common.scenario import Outcome
from bench.common.servers import BENCH, PEERS, REPO, Running, Server

RESULTS = BENCH / "RESULTS.md"


def parser(prog: str, doc: str | None, servers: list[Server], quick: str) -> argparse.ArgumentParser:
    """The flags every service's benchmark takes first; the service adds its own, then `parse`."""
    p = argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    names = [s.name for s in servers]
    p.add_argument("--quick", action="store_true", help=f"smoke test: {quick}, 1 run")
    p.add_argument("--runs", type=int, help="runs per server (default 3; quick 1)")
    p.add_argument("--servers", default=",".join(names), help=f"comma list from {names}")
    p.add_argument("--skip", default="", help="comma list of servers to leave out")
    return p


def parse(p: argparse.ArgumentParser, argv: list[str], servers: list[Server]) -> argparse.Namespace:
    """Add the shared trailing flags, parse, and check the server names."""
    p.add_argument("--no-ceiling", action="store_true", help="skip the client ceiling measurement")
    p.add_argument("--no-install", action="store_true", help="use bench/.peers as it is")
    p.add_argument("--keep-data", action="store_true", help="keep the servers' data directories")
    p.add_argument("--output", default=str(RESULTS))
    args = p.parse_args(argv)
    names = [s.name for s in servers]
    unknown = {n for n in (args.servers + "," + args.skip).split(",") if n} - set(names)
    if unknown:
        p.error(f"unknown servers {sorted(unknown)}; known: {names}")
    return args


def pick(args: argparse.Namespace, key: str, full: float, quick: float) -> float:
    """The flag's value if given, else the full or quick default."""
    value = getattr(args, key)
    return value if value is not None else (quick if args.quick else full)


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


def command(default_entry: str, argv: list[str]) -> str:
    """The command line as the user typed it (run.sh says how it was entered)."""
    entry = os.environ.get("HEADWATER_BENCH_ENTRY", default_entry)
    return " ".join([entry, shlex.join(argv)]).strip()


@contextlib.contextmanager
def serving(server: Server, workdir: Path, probe: Callable[[int], bool]) -> Iterator[Running]:
    """A started server (an in-memory one for a ceiling), stopped afterwards; RuntimeError if not ready."""
    running = Running(server, workdir)
    try:
        reason = running.wait_ready(30, probe)
        if reason:
            raise RuntimeError(reason)
        yield running
    finally:
        running.stop()


class Invocation:
    """The servers chosen, the work directory, and the skipped servers with their reasons."""

    def __init__(self, label: str, prefix: str, args: argparse.Namespace, lineup: Lineup, s: Any) -> None:
        self.label = label  # printed before every progress line
        self.args, self.lineup, self.settings = args, lineup, s
        self.runs = args.runs or (1 if args.quick else 3)
        wanted = [n for n in args.servers.split(",") if n and n not in set(args.skip.split(","))]
        self.servers = [srv for srv in lineup.servers if srv.name in wanted]
        self.names = [srv.name for srv in self.servers]
        self.started = datetime.datetime.now(datetime.UTC)
        self.workdir = PEERS / "runs" / (prefix + self.started.strftime("%Y%m%dT%H%M%SZ"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.skipped: dict[str, str] = {}
        self.say(f"{len(self.servers)} servers x {self.runs} runs; settings {s}; work dir {self.workdir}")

    def say(self, text: str) -> None:
        print(f"{self.label}: {text}", flush=True)

    def install(self) -> None:
        if self.args.no_install:
            return
        failed = self.lineup.install({srv.family for srv in self.servers})
        for srv in self.servers:
            if srv.family in failed:
                self.skipped[srv.name] = f"install failed: {failed[srv.family]}"

    def ceiling(self, measure: Callable[[], dict[str, Any]], what: str = "load generator") -> dict[str, Any]:
        """`measure()`'s numbers, {"error": why} if it failed, {} with --no-ceiling."""
        if self.args.no_ceiling:
            return {}
        self.say(f"{what} ceiling...")
        try:
            found = measure()
        except Exception as exc:  # noqa: BLE001 - the reason goes into the results
            found = {"error": str(exc) or repr(exc)}
        self.say(f"ceiling {found}")
        return found

    def run_all(
        self, run_server: Callable[[Server, int], Outcome], before_run: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        """Every server `runs` times, interleaved; a server skipped once is skipped from then on."""
        outcomes: list[Outcome] = []
        for run in range(1, self.runs + 1):
            if before_run:
                before_run(run)
            for srv in self.servers:
                if srv.name in self.skipped:
                    continue
                t0 = time.perf_counter()
                self.say(f"{srv.name} run {run}/{self.runs}")
                outcome = run_server(srv, run)
                if outcome.skipped:
                    self.skipped[srv.name] = outcome.skipped
                    self.say(f"{srv.name} skipped: {outcome.skipped}")
                    continue
                outcomes.append(outcome)
                shown = {k: round(v, 2) for k, v in outcome.metrics.items()}
                took = time.perf_counter() - t0
                self.say(f"{srv.name} run {run} ({took:.0f} s): {shown} {outcome.notes}")
        return outcomes

    def raw(
        self, entry: str, argv: list[str], ceiling: dict[str, Any], outcomes: list[Outcome]
    ) -> dict[str, Any]:
        """What results.json keeps (the report is made from it); callers add their own keys."""
        return {
            "command": command(entry, argv),
            "date": self.started.isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": dataclasses.asdict(self.settings),
            "runs": self.runs,
            "ceiling": ceiling,
            "skipped": self.skipped,
            "headwater_tree": headwater_tree(),
            "peer_versions": self.lineup.versions(),
            "outcomes": [dataclasses.asdict(o) for o in outcomes],
        }

    def publish(self, raw: dict[str, Any], write: Callable[[Path], None], summary: str, what: str) -> None:
        """Save the raw numbers, write the report part (`write(output path)`), print the summary."""
        saved = self.workdir / "results.json"
        saved.write_text(json.dumps(raw, indent=2))
        write(Path(self.args.output))
        print(summary, flush=True)
        self.say(f"wrote {what}{self.args.output} and {saved}")


def log(text: str) -> None:
    print(text, flush=True)


def argv_or_default(argv: list[str] | None) -> list[str]:
    return sys.argv[1:] if argv is None else argv
