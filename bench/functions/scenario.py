"""One server, one functions run: start it, put it through every phase in order, stop it, keep the numbers.

Order: cold starts (new functions, each timed from its first invoke's send to its answer; then the same
after UpdateFunctionCode), warm latency (one lean client, then boto3), warm throughput (N lean clients
back to back, after a warm-up that lets the server start a worker per client), then the Kinesis
mapping hook. A phase that fails is noted and the next one still runs.
"""

from __future__ import annotations

import base64
import contextlib
import re
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench.common import scenario
from bench.common.scenario import Outcome, Phases
from bench.common.servers import Running
from bench.functions import control, mapping
from bench.functions.load import concurrent, raw_call, sequential
from bench.functions.wire import InvokeClient, payload

WARM = "bench-warm"
_INIT = re.compile(r"Init Duration: ([0-9.]+) ms")


@dataclass(frozen=True, slots=True)
class Settings:
    cold_starts: int = 5  # new functions, each invoked once cold
    latency_invokes: int = 2000  # sequential warm invokes (lean client)
    boto3_invokes: int = 500  # sequential warm invokes (boto3)
    clients: int = 8  # concurrent lean clients in the throughput phase
    duration: float = 10.0  # seconds of the throughput measurement
    warmup: float = 2.0  # seconds of concurrent invokes before it (not counted)
    mapping: bool = False  # run the Kinesis mapping phase (needs event-source mappings)
    ready_timeout: float = 90.0
    keep_data: bool = False


@dataclass
class Run:
    port: int
    s: Settings
    m: dict[str, float]
    notes: dict[str, str]
    lam: Any


def _cold_invoke(r: Run, name: str, seq: int) -> tuple[float, float | None]:
    """(client-observed ms of the first invoke, the Init Duration the log tail reports or None)."""
    t0 = time.perf_counter()
    answer = r.lam.invoke(FunctionName=name, Payload=payload(0, seq), LogType="Tail")
    took = (time.perf_counter() - t0) * 1000
    answer["Payload"].read()
    if answer.get("FunctionError"):
        raise RuntimeError(f"cold invoke of {name} failed: {answer.get('FunctionError')}")
    tail = base64.b64decode(answer.get("LogResult") or "").decode(errors="replace")
    found = _INIT.search(tail)
    return took, float(found.group(1)) if found else None


def cold(r: Run) -> None:
    firsts, inits, updates = [], [], []
    for i in range(r.s.cold_starts):
        name = f"bench-cold-{i}"
        control.create(r.lam, name)
        took, init = _cold_invoke(r, name, i)
        firsts.append(took)
        if init is not None:
            inits.append(init)
        control.update_code(r.lam, name, f"{name}-v2")
        updates.append(_cold_invoke(r, name, 1000 + i)[0])
        r.lam.delete_function(FunctionName=name)  # its workers go with it
    r.m["cold_ms"] = statistics.median(firsts)
    r.m["cold_max_ms"] = max(firsts)
    r.m["cold_update_ms"] = statistics.median(updates)
    if inits:
        r.m["init_duration_ms"] = statistics.median(inits)
    else:
        r.notes["init_duration"] = "n/a: the log tail has no Init Duration"


def warm_latency(r: Run) -> None:
    control.create(r.lam, WARM)
    invoker = InvokeClient(r.port, WARM)
    try:
        sequential(raw_call(invoker), 50)  # the cold start and connection set-up, not counted
        result = sequential(raw_call(invoker), r.s.latency_invokes)
    finally:
        invoker.close()
    if result.errors:
        r.notes["warm_latency"] = "; ".join(result.errors[:2])
    r.m["warm_p50_ms"], r.m["warm_p99_ms"] = result.p50_ms or 0, result.p99_ms or 0


def boto3_latency(r: Run) -> None:
    def call(seq: int) -> tuple[int, bytes]:
        answer = r.lam.invoke(FunctionName=WARM, Payload=payload(0, seq))
        return answer["StatusCode"], answer["Payload"].read()

    sequential(call, 20)
    result = sequential(call, r.s.boto3_invokes)
    if result.errors:
        r.notes["boto3_latency"] = "; ".join(result.errors[:2])
    r.m["boto3_p50_ms"], r.m["boto3_p99_ms"] = result.p50_ms or 0, result.p99_ms or 0


def throughput(r: Run) -> None:
    concurrent(r.port, WARM, r.s.clients, r.s.warmup)  # every client's worker started and warm
    result = concurrent(r.port, WARM, r.s.clients, r.s.duration)
    r.m["invokes_per_s"] = result.rate
    r.m["concurrent_p50_ms"] = result.p50_ms or 0
    r.m["concurrent_p99_ms"] = result.p99_ms or 0
    r.m["client_cpu_pct"] = result.cpu_pct
    r.m["invoke_errors"] = result.error_count
    if result.errors:
        r.notes["throughput"] = "; ".join(result.errors[:2])


def kinesis_mapping(r: Run) -> None:
    # HOOK: the Kinesis event-source mapping phase (bench/functions/mapping.py).
    note = mapping.measure(r.port, r.lam, r.m) if r.s.mapping else "not run (--mapping)"
    if note:
        r.notes["mapping"] = note


PHASES = [
    ("cold", cold),
    ("warm_latency", warm_latency),
    ("boto3_latency", boto3_latency),
    ("throughput", throughput),
    ("mapping", kinesis_mapping),
]


def prepare(s: Settings, running: Running, outcome: Outcome, cleanup: contextlib.ExitStack) -> Phases | str:
    lam = control.client(running.port)
    cleanup.callback(lam.close)
    try:
        lam.list_functions()
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        return f"ListFunctions failed: {control.control.reason(exc)}"
    control.ensure_role(running.port)
    return scenario.bind(PHASES, Run(running.port, s, outcome.metrics, outcome.notes, lam))


SCENARIO = scenario.Scenario(control.probe, prepare, "rss_mb")
