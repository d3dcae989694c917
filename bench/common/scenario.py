"""One server, one run: start it, set it up, put it through each phase in order, stop it, keep the numbers.

A phase that fails is noted and the next one still runs; a server that dies ends the run with the tail of
its log. Every run starts from a fresh server and data directory, so runs are independent.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import traceback
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bench.common.servers import Running, Server

Phases = list[tuple[str, Callable[[], None]]]
# (started server, its outcome, clean-ups run before it stops) -> the phases, or why the run is skipped
Prepare = Callable[[Running, "Outcome", contextlib.ExitStack], "Phases | str"]
R = TypeVar("R")


class Settings(Protocol):
    @property
    def ready_timeout(self) -> float: ...

    @property
    def keep_data(self) -> bool: ...


def bind(phases: Sequence[tuple[str, Callable[[R], None]]], r: R) -> Phases:
    """A service's phases, each given the state its run shares."""
    return [(name, partial(phase, r)) for name, phase in phases]


@dataclass
class Outcome:
    server: str
    run: int
    metrics: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None


def run_server(
    server: Server,
    run: int,
    workdir: Path,
    probe: Callable[[int], bool],
    prepare: Prepare,
    *,
    ready_timeout: float,
    keep_data: bool,
    rss_key: str,
    only: Collection[str] | None = None,
    log: Callable[[str], None] = print,
) -> Outcome:
    """`rss_key`: the metric that gets the peak RSS over the whole run; `only`: the phases to run (by
    name, in their own order; None: all)."""
    outcome = Outcome(server.name, run)
    # Other work on the machine skews everything here; the 1-minute load average before starting shows it.
    outcome.metrics["load_before"] = os.getloadavg()[0]

    def note(text: str, since: float) -> None:
        log(f"  [{server.name} run {run}] {text}: {time.perf_counter() - since:.1f} s")

    t0 = time.perf_counter()
    try:
        running = Running(server, workdir)
    except OSError as exc:  # e.g. node or the peer's binary missing
        outcome.skipped = f"could not start: {exc}"
        return outcome
    reason = running.wait_ready(ready_timeout, probe)
    note("ready", t0)
    try:
        # Clean-ups (clients) run before the server stops: open connections delay some servers' shutdown.
        with contextlib.ExitStack() as cleanup:
            phases = reason or prepare(running, outcome, cleanup)
            if isinstance(phases, str):
                outcome.skipped = phases
                return outcome
            chosen = [(name, phase) for name, phase in phases if only is None or name in only]
            _run_phases(chosen, running, outcome, note)
        return outcome
    finally:
        t0 = time.perf_counter()
        peak = running.stop()
        if not outcome.skipped:
            outcome.metrics[rss_key] = peak
        note("stop", t0)
        if not keep_data:
            shutil.rmtree(running.data, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A service's run: how to tell its servers are ready, how to set one up (returning the phases), and
    which metric gets the peak RSS. `prepare` takes the settings and `extra` first."""

    probe: Callable[[int], bool]
    prepare: Callable[..., Phases | str]
    rss_key: str

    def run(
        self,
        server: Server,
        run: int,
        s: Settings,
        workdir: Path,
        *extra: Any,
        log: Callable[[str], None] = print,
        only: Collection[str] | None = None,
    ) -> Outcome:
        """`only`: the phases to run (by name); None: all."""
        return run_server(
            server,
            run,
            workdir,
            self.probe,
            partial(self.prepare, s, *extra),
            ready_timeout=s.ready_timeout,
            keep_data=s.keep_data,
            rss_key=self.rss_key,
            only=only,
            log=log,
        )


def _run_phases(
    phases: Phases, running: Running, outcome: Outcome, note: Callable[[str, float], None]
) -> None:
    for name, phase in phases:
        t0 = time.perf_counter()
        try:
            phase()
        except Exception as exc:  # noqa: BLE001 - note it, keep going
            outcome.notes[name] = f"error: {exc!r}"
            traceback.print_exc()
        note(name, t0)
        if running.proc.poll() is not None:
            outcome.notes["crash"] = (
                f"server exited ({running.proc.returncode}) during {name}: {running.log_tail(3)}"
            )
            return
