"""The functions core: function definitions and code (durable in the metadata store), their worker
pools, concurrency and the Pending -> Active transitions.

Definitions are JSON under ``functions`` by ``account/region/name``; packages under
``functions.code`` by their SHA-256 (shared by functions with the same package, deleted with the
last one naming them). They live in the metadata store rather than the blob store because the S3
service sweeps blobs its own records do not name at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from headwater.config import Config
from headwater.engine.api import MetaStore
from headwater.runtime.clock import SystemClock
from headwater.services.base import Ports
from headwater.services.functions import errors
from headwater.services.functions.concurrency import Concurrency
from headwater.services.functions.environment import worker_environment
from headwater.services.functions.invoker import Invoker
from headwater.services.functions.launch import Launch, LaunchError, launch, unpack
from headwater.services.functions.pool import Pools
from headwater.services.functions.record import FunctionRecord, function_arn, record_key
from headwater.services.ports import LogSink, RuntimeEndpoints

log = logging.getLogger("headwater.services.functions")
FUNCTIONS = "functions"
CODE = "functions.code"


class FunctionsCore:
    def __init__(self, config: Config, meta: MetaStore, clock: SystemClock, ports: Ports) -> None:
        self.config = config
        self.meta = meta
        self.clock = clock
        self.ports = ports
        self.functions: dict[str, FunctionRecord] = {}
        self.pools = Pools()
        self.concurrency = Concurrency(config.functions_concurrency)
        self.invoker = Invoker(self.pools, self.concurrency, self._prepare, None)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runtime_endpoints: RuntimeEndpoints | None = None

    def attach(self, endpoints: RuntimeEndpoints) -> None:
        self._runtime_endpoints = endpoints
        self.pools.attach(endpoints)

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        # the logs service may be registered after this one: look its port up when running
        self.invoker = Invoker(self.pools, self.concurrency, self._prepare, self.ports.find(LogSink))
        for _, value in self.meta.scan(FUNCTIONS):
            record = FunctionRecord.from_bytes(value)
            if record.state == "Pending" or record.last_update_status == "InProgress":
                record = record.evolve(state="Active", last_update_status="Successful")
            self.functions[record.key] = record
            if record.reserved_concurrency is not None:
                self.concurrency.reserved[record.key] = record.reserved_concurrency
        self.pools.start()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        await self.pools.close()
        await self.invoker.close()

    async def reset(self) -> None:
        self.functions.clear()
        self.concurrency.reserved.clear()
        self.concurrency.running.clear()
        self.pools = Pools()
        await self.invoker.close()
        self.invoker = Invoker(self.pools, self.concurrency, self._prepare, self.ports.find(LogSink))
        if self._runtime_endpoints is not None:
            self.pools.attach(self._runtime_endpoints)
        self.pools.start()

    # -- definitions --------------------------------------------------------------------------------

    def get(self, account: str, region: str, name: str) -> FunctionRecord:
        record = self.functions.get(record_key(account, region, name))
        if record is None:
            raise errors.not_found(function_arn(account, region, name))
        return record

    def listing(self, account: str, region: str) -> list[FunctionRecord]:
        prefix = f"{account}/{region}/"
        return sorted((r for k, r in self.functions.items() if k.startswith(prefix)), key=lambda r: r.name)

    async def save(self, record: FunctionRecord, package: bytes | None = None) -> None:
        if package is not None and self.meta.get(CODE, record.code_key) is None:
            await self.meta.put(CODE, record.code_key, package)
        previous = self.functions.get(record.key)
        self.functions[record.key] = record
        await self.meta.put(FUNCTIONS, record.key, record.to_bytes())
        if previous is not None and previous.code_key != record.code_key:
            await self._forget_code(previous.code_key)
        if record.state == "Pending" or record.last_update_status == "InProgress":
            self.background(self._settle(record.key, record.revision_id))

    async def delete(self, record: FunctionRecord) -> None:
        self.functions.pop(record.key, None)
        self.concurrency.reserved.pop(record.key, None)
        await self.meta.delete(FUNCTIONS, record.key)
        await self._forget_code(record.code_key)
        await self.pools.drop(record.key)

    def code_of(self, record: FunctionRecord) -> bytes:
        package = self.meta.get(CODE, record.code_key)
        if package is None:
            raise LaunchError("Runtime.InvalidEntrypoint", "The function's code package is missing.")
        return package

    def package(self, account: str, region: str, name: str) -> bytes | None:
        record = self.functions.get(record_key(account, region, name))
        return None if record is None else self.meta.get(CODE, record.code_key)

    async def _forget_code(self, code_key: str) -> None:
        if not any(r.code_key == code_key for r in self.functions.values()):
            await self.meta.delete(CODE, code_key)

    async def _settle(self, key: str, revision: str) -> None:
        """Pending -> Active, InProgress -> Successful after the transition delay."""
        await self.clock.sleep(self.config.transition_delay)
        record = self.functions.get(key)
        if record is None or record.revision_id != revision:
            return
        settled = record.evolve(state="Active", last_update_status="Successful")
        self.functions[key] = settled
        await self.meta.put(FUNCTIONS, key, settled.to_bytes())

    def background(self, work: Coroutine[Any, Any, None]) -> None:
        """Runs work the service owns (Event invokes): cancelled on close and reset."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def new_revision(self) -> str:
        return str(uuid.uuid4())

    # -- workers ------------------------------------------------------------------------------------

    async def _prepare(self, record: FunctionRecord, root: Path, stream: str) -> Launch:
        package = self.code_of(record)
        try:
            await asyncio.to_thread(unpack, package, root)
        except Exception as exc:
            raise LaunchError(
                "Runtime.InvalidEntrypoint", f"The code package cannot be unpacked: {exc}"
            ) from exc
        env = worker_environment(self.config, record, stream)
        result = await asyncio.to_thread(launch, record.runtime, record.handler, root, env)
        log.debug("starting a worker of %s: %s", record.name, " ".join(result.command))
        return result
