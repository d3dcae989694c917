"""Worker pools: warm processes per function revision, started on demand and reaped when idle.

Theory of operation. Every function revision (a function's RevisionId: new code or configuration
makes a new one) has a `Pool`. An invocation takes the most recently used idle worker (warm: its
runtime has finished init and waits in ``next``), or starts a new one (cold) when none is idle, so a
pool grows to the function's concurrency and no further: the invoker admits an invocation only
within the concurrency limits. A worker returns to its pool when its invocation ends, unless it
died or timed out (then it is closed). When a revision is replaced its pool is retired: idle workers
go at once, busy ones when their invocation ends. A reaper closes workers idle for longer than
`idle_s`. Each worker's directory lives under one temporary directory per server process, removed
on close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from headwater.services.functions.launch import Launch
from headwater.services.functions.worker import Worker
from headwater.services.functions.zygote import Zygotes
from headwater.services.ports import RuntimeEndpoints

log = logging.getLogger("headwater.services.functions")
# (worker directory, log stream name) -> what to run there (unpacks the package first)
Prepare = Callable[[Path, str], Awaitable[Launch]]
IDLE_S = 300.0
REAP_EVERY_S = 5.0


class Pool:
    def __init__(
        self, key: str, revision: str, prepare: Prepare, pools: Pools, version: str = "$LATEST"
    ) -> None:
        self.key = key
        self.version = version
        self.revision = revision
        self._prepare = prepare
        self._pools = pools
        self.idle: list[Worker] = []
        self.workers: set[Worker] = set()
        self.retired = False

    async def acquire(self) -> tuple[Worker, bool]:
        """A worker for one invocation and whether it is cold (just started)."""
        while self.idle:
            worker = self.idle.pop()
            if worker.alive:
                return worker, False
            await self._drop(worker)
        stamp = datetime.now(UTC).strftime("%Y/%m/%d")
        worker_id = uuid.uuid4().hex
        root = self._pools.root() / worker_id
        worker = Worker(worker_id, root, self._pools.endpoints(), f"{stamp}/[{self.version}]{worker_id}")
        self.workers.add(worker)
        try:
            launch = await self._prepare(root, worker.log_stream)
            await worker.start(launch, self._pools.zygotes.for_launch(launch))
        except BaseException:
            await self._drop(worker)
            raise
        return worker, True

    async def release(self, worker: Worker) -> None:
        if worker.alive and not self.retired:
            self.idle.append(worker)
        else:
            await self._drop(worker)

    async def _drop(self, worker: Worker) -> None:
        self.workers.discard(worker)
        with contextlib.suppress(ValueError):
            self.idle.remove(worker)
        await worker.close()

    async def retire(self) -> None:
        self.retired = True
        for worker in list(self.idle):
            await self._drop(worker)

    async def reap(self, older_than: float) -> None:
        for worker in [w for w in self.idle if w.idle_since < older_than or not w.alive]:
            await self._drop(worker)

    async def close(self) -> None:
        self.retired = True
        for worker in list(self.workers):
            await self._drop(worker)


class Pools:
    """Every function revision's pool, the reaper, and the directory the workers live in."""

    def __init__(self, idle_s: float = IDLE_S, zygotes: Zygotes | None = None) -> None:
        self.idle_s = idle_s
        self._pools: dict[str, Pool] = {}
        self._endpoints: RuntimeEndpoints | None = None
        self._root: Path | None = None
        self._reaper: asyncio.Task[None] | None = None
        self.zygotes = zygotes or Zygotes()

    def attach(self, endpoints: RuntimeEndpoints) -> None:
        self._endpoints = endpoints

    def endpoints(self) -> RuntimeEndpoints:
        if self._endpoints is None:
            raise RuntimeError("no Runtime API listener is attached")
        return self._endpoints

    def root(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="headwater-functions-"))
        return self._root

    def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap())

    def pool(self, key: str, revision: str, prepare: Prepare, version: str = "$LATEST") -> Pool:
        """The pool of a function's current revision (retiring the previous revision's)."""
        pool = self._pools.get(key)
        if pool is not None and pool.revision == revision:
            return pool
        if pool is not None:
            asyncio.ensure_future(pool.retire())
        pool = self._pools[key] = Pool(key, revision, prepare, self, version)
        return pool

    async def drop(self, key: str) -> None:
        """A deleted function: its workers go, busy ones when their invocation ends."""
        pool = self._pools.pop(key, None)
        if pool is not None:
            await pool.retire()

    def counts(self) -> dict[str, int]:
        return {key: len(pool.workers) for key, pool in self._pools.items()}

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(REAP_EVERY_S)
            older_than = time.monotonic() - self.idle_s
            for pool in list(self._pools.values()):
                try:
                    await pool.reap(older_than)
                except Exception:
                    log.exception("reaping workers of %s failed", pool.key)

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.close()
        await self.zygotes.close()
        if self._root is not None:
            await asyncio.to_thread(shutil.rmtree, self._root, True)
            self._root = None
