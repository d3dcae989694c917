"""One injectable clock for every time-based behaviour.

`SystemClock` is wall time. `TestClock` is wall time plus an offset that an admin call can advance;
sleepers wake as soon as an advance carries the clock past their deadline, so tests never sleep
through a timeout.
"""

from __future__ import annotations

import asyncio
import time


class SystemClock:
    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, deadline: float) -> None:
        await self.sleep(deadline - self.now())


class TestClock(SystemClock):
    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.offset = 0.0
        self._advanced = asyncio.Event()

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        event, self._advanced = self._advanced, asyncio.Event()
        event.set()
        return self.now()

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.now() + seconds)

    async def sleep_until(self, deadline: float) -> None:
        while (remaining := deadline - self.now()) > 0:
            # asyncio.wait, not wait_for: on 3.11 wait_for can swallow a cancel that lands in the
            # same loop turn as an advance, and the sleeper would outlive its task's cancellation.
            waiter = asyncio.ensure_future(self._advanced.wait())
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                waiter.cancel()


Clock = SystemClock
