"""The functions core: function definitions and code (durable in the metadata store), their worker
pools, concurrency and the Pending -> Active transitions.

Definitions are JSON under ``functions`` by ``account/region/name``; packages are blobs of their
own owner, by their SHA-256 (packages.py: shared by functions with the same package, deleted with
the last one naming them). Event invokes wait in a durable queue per function (event_queue.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from headwater.config import Config
from headwater.engine.api import BlobStore, MetaStore, QueueStore
from headwater.engine.memory import MemoryQueueStore
from headwater.engine.memory_blobs import MemoryBlobStore
from headwater.runtime.clock import SystemClock
from headwater.services.base import Ports
from headwater.services.functions import errors, qualifiers
from headwater.services.functions.aliases import Aliases
from headwater.services.functions.concurrency import Concurrency
from headwater.services.functions.environment import worker_environment
from headwater.services.functions.event_invoke_config import CONFIGS
from headwater.services.functions.event_queue import EventQueues
from headwater.services.functions.invoker import Invoker
from headwater.services.functions.launch import Launch, LaunchError, launch, unpack
from headwater.services.functions.layer_store import Layers, extract
from headwater.services.functions.packages import Packages
from headwater.services.functions.policy import POLICIES
from headwater.services.functions.pool import Pools
from headwater.services.functions.record import FunctionRecord, function_arn, record_key
from headwater.services.functions.url_store import UrlStore
from headwater.services.functions.version_store import Versions
from headwater.services.ports import LogSink, RuntimeEndpoints

log = logging.getLogger("headwater.services.functions")
FUNCTIONS = "functions"


class FunctionsCore:
    def __init__(
        self,
        config: Config,
        meta: MetaStore,
        clock: SystemClock,
        ports: Ports,
        blobs: BlobStore | None = None,
        queues: QueueStore | None = None,
    ) -> None:
        self.config = config
        self.meta = meta
        self.packages = Packages(meta, blobs if blobs is not None else MemoryBlobStore())
        self.queues: QueueStore = queues if queues is not None else MemoryQueueStore()
        self.clock = clock
        self.ports = ports
        self.functions: dict[str, FunctionRecord] = {}
        self.pools = Pools()
        self.concurrency = Concurrency(config.functions_concurrency)
        self.invoker = Invoker(self.pools, self.concurrency, self._prepare, None)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runtime_endpoints: RuntimeEndpoints | None = None
        self.events = EventQueues(self)
        self.versions = Versions(meta)
        self.aliases = Aliases(meta)
        self.layers = Layers(meta)
        self.routing_random = random.Random()  # picks an alias's version by its weights
        self.urls = UrlStore(meta)  # function URL configurations

    def attach(self, endpoints: RuntimeEndpoints) -> None:
        self._runtime_endpoints = endpoints
        self.pools.attach(endpoints)

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        # the logs service may be registered after this one: look its port up when running
        self.invoker = Invoker(self.pools, self.concurrency, self._prepare, self.ports.find(LogSink))
        await self.packages.start()
        for _, value in self.meta.scan(FUNCTIONS):
            record = FunctionRecord.from_bytes(value)
            if record.state == "Pending" or record.last_update_status == "InProgress":
                record = record.evolve(state="Active", last_update_status="Successful")
            self.functions[record.key] = record
            if record.reserved_concurrency is not None:
                self.concurrency.reserved[record.key] = record.reserved_concurrency
        for store in (self.versions, self.aliases, self.layers, self.urls):
            store.load()
        self.pools.start()
        await self.events.start()

    async def close(self) -> None:
        await self.events.close()
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        await self.pools.close()
        await self.invoker.close()

    async def reset(self) -> None:
        await self.events.close()  # the engine's reset took the stored events
        self.events = EventQueues(self)
        self.functions.clear()
        self.versions, self.aliases, self.layers = Versions(self.meta), Aliases(self.meta), Layers(self.meta)
        self.concurrency.reserved.clear()
        self.concurrency.running.clear()
        self.urls.clear()
        self.pools = Pools(zygotes=self.pools.zygotes)  # a started zygote serves the next tests too
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
        if package is not None:
            await self.packages.put(record.code_key, package)
        previous = self.functions.get(record.key)
        self.functions[record.key] = record
        await self.meta.put(FUNCTIONS, record.key, record.to_bytes())
        if previous is not None:
            for code_key in {previous.code_key, *previous.layer_keys} - {record.code_key, *record.layer_keys}:
                await self._forget_code(code_key)
        if record.state == "Pending" or record.last_update_status == "InProgress":
            self.background(self._settle(record.key, record.revision_id))

    async def delete(self, record: FunctionRecord) -> None:
        self.functions.pop(record.key, None)
        self.concurrency.reserved.pop(record.key, None)
        await self.meta.delete(FUNCTIONS, record.key)
        await self.events.drop(record.key)
        versions = self.versions.of(record.key)
        await self.versions.drop_function(record.key)
        await self.aliases.drop_function(record.key)
        # its resource policies, URLs and async configs go with it, its versions' and aliases' too
        await qualifiers.forget(self.meta, (POLICIES, CONFIGS), record.key, None)
        await self.urls.drop_function(record.key)
        for dropped in [record, *versions]:
            await self.forget_code(dropped)
            await self.pools.drop(dropped.pool_key)

    async def code_of(self, record: FunctionRecord) -> bytes:
        package = await self.packages.get(record.code_key)
        if package is None:
            raise LaunchError("Runtime.InvalidEntrypoint", "The function's code package is missing.")
        return package

    async def package(self, account: str, region: str, name: str) -> bytes | None:
        """A function's zip by name, ``name:version`` or ``layer:name:version`` (the admin route)."""
        kind, _, rest = name.partition(":")
        if kind == "layer":
            layer_name, _, number = rest.partition(":")
            found = self.layers.get(
                record_key(account, region, layer_name), int(number) if number.isdigit() else 0
            )
            return None if found is None else await self.packages.get(found.code_key)
        record = self.functions.get(record_key(account, region, kind))
        if record is not None and rest:
            record = self.versions.get(record.key, rest)
        return None if record is None else await self.packages.get(record.code_key)

    async def forget_code(self, record: FunctionRecord) -> None:
        """Deletes the packages (code and layers) of a record that is gone, unless still named."""
        for code_key in {record.code_key, *record.layer_keys}:
            await self._forget_code(code_key)

    async def forget_package(self, code_key: str) -> None:
        await self._forget_code(code_key)

    async def _forget_code(self, code_key: str) -> None:
        named = any(r.code_key == code_key or code_key in r.layer_keys for r in self.functions.values())
        if not named and not self.versions.uses(code_key) and not self.layers.uses(code_key):
            await self.packages.forget(code_key, ())

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
        package = await self.code_of(record)
        try:
            await asyncio.to_thread(unpack, package, root)
        except Exception as exc:
            raise LaunchError(
                "Runtime.InvalidEntrypoint", f"The code package cannot be unpacked: {exc}"
            ) from exc
        for code_key in record.layer_keys:  # in order: a later layer's files win
            layer = await self.packages.get(code_key)
            if layer is None:
                raise LaunchError("Runtime.InvalidEntrypoint", "A layer of the function is missing.")
            await asyncio.to_thread(extract, layer, root / "opt")
        env = worker_environment(self.config, record, stream)
        result = await asyncio.to_thread(launch, record.runtime, record.handler, root, env)
        log.debug("starting a worker of %s: %s", record.name, " ".join(result.command))
        return result
