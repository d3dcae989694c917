"""Function logs on their way to CloudWatch Logs, off the invocations' path.

Theory of operation. An invocation's log lines (START, output, END, REPORT) are handed to `put`,
which queues them by log stream and returns at once: the invoke answers without waiting for the
logs service to append and make them durable (what LogType=Tail returns is built from the same
lines in memory, so it is never short). One task takes everything queued, a batch per stream in the
order it arrived (gathered for `GATHER_S` after the first), and appends each with one
`LogSink.put`; lines of one stream stay in order since only that task writes them. The streams of
one batch are appended together (the store commits them as one write and one sync, not one each),
after one stream per log group alone: that one may create the group, which must not happen twice. Under a burst the batches just grow; past `LIMIT` queued lines `put`
waits for the task to catch up, so memory stays bounded. `close` writes what is still queued.
As on AWS, where a function's logs reach CloudWatch shortly after its invocation returns, lines are
readable a moment after the invoke answers; a kill -9 in that moment loses them, never an
acknowledged API write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from headwater.services.ports import LogSink

log = logging.getLogger("headwater.services.functions")
LIMIT = 50_000  # queued lines before `put` waits
# after the first line arrives, the task waits this long for more: one append then carries the
# lines of many invocations (the logs service's cost is per append, not per line)
GATHER_S = 0.02
Key = tuple[str, str, str, str]  # account, region, group, stream
Lines = list[tuple[int, str]]
Later = tuple[int, Callable[[], str]]  # a line made when written (the REPORT line's memory figure)


class LogShipper:
    def __init__(self, sink: LogSink | None) -> None:
        self._sink = sink
        self._queued: dict[Key, list[tuple[int, str] | Later]] = {}
        self._count = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._task: asyncio.Task[None] | None = None

    async def put(
        self, account: str, region: str, group: str, stream: str, lines: Lines, later: Later | None = None
    ) -> None:
        """Queues `lines`, then `later`'s line (made when the batch is written)."""
        if self._sink is None or not lines:
            return
        while self._count >= LIMIT:
            self._room.clear()
            await self._room.wait()
        queued = self._queued.setdefault((account, region, group, stream), [])
        queued.extend(lines)
        if later is not None:
            queued.append(later)
        self._count += len(lines) + 1
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(GATHER_S)
            self._wake.clear()
            await self._ship()

    async def _ship(self) -> None:
        batches, self._queued, self._count = self._queued, {}, 0
        self._room.set()
        groups: set[tuple[str, str, str]] = set()
        rest: list[tuple[Key, list[tuple[int, str] | Later]]] = []
        for key, queued in batches.items():
            if key[:3] in groups:
                rest.append((key, queued))
            else:
                groups.add(key[:3])
                await self._put(key, queued)
        if rest:
            await asyncio.gather(*(self._put(key, queued) for key, queued in rest))

    async def _put(self, key: Key, queued: list[tuple[int, str] | Later]) -> None:
        assert self._sink is not None
        account, region, group, stream = key
        try:
            lines = [(ts, line if isinstance(line, str) else line()) for ts, line in queued]
            await self._sink.put(account, region, group, stream, lines)
        except Exception:  # the logs service's trouble must not fail invocations
            log.exception("writing the log of %s failed", group)

    async def close(self) -> None:
        """Stops the task and writes what is still queued."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._queued:
            await self._ship()
