"""Retention: a sweep on the server clock trims what every group's retention no longer keeps.

Reads already hide events older than the retention (`reading.Window`); the sweep gives the space
back. Entries are indexed by ingestion time, which is never earlier than an event's timestamp minus
two hours (PutLogEvents refuses events further in the future), so trimming entries ingested before
`now - retention - 2h` removes only expired events. In test mode an admin clock advance wakes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from headwater.services.logs.core import LogsCore
from headwater.services.logs.events import DAY_MS, FUTURE_MS

SWEEP_EVERY_S = 600.0

log = logging.getLogger(__name__)


class RetentionSweeper:
    def __init__(self, core: LogsCore) -> None:
        self.core = core
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="logs-retention")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def reset(self) -> None:
        await self.close()
        await self.start()

    async def _run(self) -> None:
        while True:
            await self.core.clock.sleep(SWEEP_EVERY_S)
            try:
                await self.sweep()
            except Exception:  # a failed sweep is retried at the next one
                log.exception("logs retention sweep failed")

    async def sweep(self) -> int:
        """Trims every stream of every group with a retention; returns how many events went."""
        now = self.core.clock.now_ms()
        removed = 0
        live = set(self.core.log.partitions())
        for group in list(self.core.groups.values()):
            if group.retention_days is None:
                continue
            before = now - group.retention_days * DAY_MS - FUTURE_MS
            for stream in list(self.core.streams.get(group.key, {}).values()):
                if stream.partition in live:
                    removed += await self.core.log.trim(stream.partition, before)
        return removed
