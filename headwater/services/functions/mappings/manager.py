"""The mappings' owner: definitions in the metadata store, their state transitions, their pollers.

Every change is written (and awaited) before the API answers. A transitional state (Creating,
Enabling, Updating, Disabling, Deleting) settles after the service's transition delay, and at
start for a mapping a crash left in one; a mapping settled Enabled gets a poller, any other state
none. An update restarts the poller with the new definition.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from headwater.services.functions.mappings.checkpoints import Checkpoints
from headwater.services.functions.mappings.env import PollerEnv
from headwater.services.functions.mappings.kinesis_shards import KinesisMapping
from headwater.services.functions.mappings.record import KINESIS, MappingRecord
from headwater.services.functions.mappings.sqs_poller import SqsMapping
from headwater.services.functions.service import FunctionsCore
from headwater.services.ports import QueueReader, QueueSink, StreamReader

log = logging.getLogger("headwater.services.functions.mappings")
MAPPINGS = "functions.mappings"
SETTLED = {"Creating": "Enabled", "Enabling": "Enabled", "Updating": "Enabled", "Disabling": "Disabled"}


class Mappings:
    def __init__(self, core: FunctionsCore) -> None:
        self.core = core
        self.meta = core.meta
        self.checkpoints = Checkpoints(core.meta)
        self.records: dict[str, MappingRecord] = {}
        self.pollers: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.env = self._env()

    def _env(self) -> PollerEnv:
        ports = self.core.ports
        return PollerEnv(
            self.core,
            self.checkpoints,
            ports.find(StreamReader),
            ports.find(QueueReader),
            ports.find(QueueSink),
            self.note,
        )

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        self.env = self._env()  # the source services are registered before this one
        for _, raw in list(self.meta.scan(MAPPINGS)):
            record = MappingRecord.from_bytes(raw)
            self.records[record.uuid] = record
        for record in list(self.records.values()):
            if record.state == "Deleting":
                await self._remove(record)
            elif record.state in SETTLED:
                await self._settle(record.uuid, record.last_modified)
            elif record.state == "Enabled":
                self._run(record)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for uuid in list(self.pollers):
            await self._stop(uuid)

    async def reset(self) -> None:
        await self.close()
        self.records.clear()
        await self.start()

    # -- definitions --------------------------------------------------------------------------------

    async def save(self, record: MappingRecord) -> None:
        """Stores a definition in a transitional state and settles it after the transition delay."""
        self.records[record.uuid] = record
        await self.meta.put(MAPPINGS, record.uuid, record.to_bytes())
        if record.state in SETTLED or record.state == "Deleting":
            self._background(self._later(record.uuid, record.last_modified))

    async def note(self, uuid: str, result: str) -> None:
        record = self.records.get(uuid)
        if record is not None and record.last_result != result:
            record = record.evolve(last_result=result)
            self.records[uuid] = record
            await self.meta.put(MAPPINGS, uuid, record.to_bytes())

    async def _later(self, uuid: str, stamp: float) -> None:
        await self.core.clock.sleep(self.core.config.transition_delay)
        await self._settle(uuid, stamp)

    async def _settle(self, uuid: str, stamp: float) -> None:
        record = self.records.get(uuid)
        if record is None or record.last_modified != stamp:
            return  # changed again meanwhile: that change settles it
        await self._stop(uuid)
        if record.state == "Deleting":
            await self._remove(record)
            return
        state = "Enabled" if record.enabled else "Disabled"
        record = record.evolve(state=state)
        self.records[uuid] = record
        await self.meta.put(MAPPINGS, uuid, record.to_bytes())
        if state == "Enabled":
            self._run(record)

    async def _remove(self, record: MappingRecord) -> None:
        await self._stop(record.uuid)
        self.records.pop(record.uuid, None)
        await self.meta.delete(MAPPINGS, record.uuid)
        await self.checkpoints.forget(record.uuid)

    # -- pollers ------------------------------------------------------------------------------------

    def _run(self, record: MappingRecord) -> None:
        env = self.env
        if record.source == KINESIS:
            if env.streams is None:
                return
            runner: Coroutine[Any, Any, None] = KinesisMapping(env, record, env.streams).run()
        else:
            if env.queues is None:
                return
            runner = SqsMapping(env, record, env.queues).run()
        self.pollers[record.uuid] = asyncio.create_task(runner)

    async def _stop(self, uuid: str) -> None:
        task = self.pollers.pop(uuid, None)
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(BaseException):
            await task

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
