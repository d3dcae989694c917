"""Idle connections: N clients connect (CONNECT/CONNACK, keep-alive 1200 s) and stay; the broker's RSS
is read with all of them held. The connections are made from one worker process (`conc` at a time)
so the orchestrator's own descriptors stay few; the worker reads the broker's RSS itself while it
still holds them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench.common.memory import RssSampler
from bench.iot.clients import open_mqtt


async def _hold(
    host: str, port: int, n: int, conc: int, broker_pid: int, settle: float, cap: float
) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gate = asyncio.Semaphore(conc)
    writers: list[asyncio.StreamWriter] = []
    errors: list[str] = []
    started = time.monotonic()
    deadline = started + cap

    async def one(k: int) -> None:
        async with gate:
            if time.monotonic() > deadline:
                return
            try:
                _, writer = await asyncio.wait_for(open_mqtt(host, port, f"bench-idle-{k}"), 30)
                writers.append(writer)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError) as exc:
                errors.append(repr(exc))

    await asyncio.gather(*(one(k) for k in range(n)))
    took = time.monotonic() - started
    await asyncio.sleep(settle)
    rss = RssSampler(broker_pid).now()
    alive = sum(1 for w in writers if not w.transport.is_closing())
    for w in writers:
        w.transport.abort()
    return {
        "connected": len(writers),
        "alive_after_settle": alive,
        "connect_s": took,
        "rss_mb": rss,
        "failures": len(errors),
        "errors": errors[:3],
        "fd_limit": hard,
    }


def _run(
    host: str, port: int, n: int, conc: int, broker_pid: int, settle: float, cap: float
) -> dict[str, Any]:
    return asyncio.run(_hold(host, port, n, conc, broker_pid, settle, cap))


def idle_connections(
    host: str, port: int, n: int, broker_pid: int, *, conc: int = 200, settle: float = 2.0, cap: float = 180.0
) -> dict[str, Any]:
    baseline = RssSampler(broker_pid).now()
    load = os.getloadavg()[0]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        found = pool.submit(_run, host, port, n, conc, broker_pid, settle, cap).result()
    found["rss_baseline_mb"] = baseline
    found["kb_per_connection"] = (
        (found["rss_mb"] - baseline) * 1e3 / found["connected"] if found["connected"] else None
    )
    found["load"] = round(load, 2)
    return found
