"""Runs an async test body against a started engine in a fresh event loop (no pytest-asyncio)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from headwater.engine.api import Engine

Body = Callable[[Engine], Awaitable[None]]
RunEngine = Callable[[Body], None]


def runner(factory: Callable[[], Engine]) -> RunEngine:
    """`run(body)`: starts an engine from `factory`, awaits `body(engine)`, closes the engine."""

    def run(body: Body) -> None:
        async def main() -> None:
            engine = factory()
            await engine.start()
            try:
                await body(engine)
            finally:
                await engine.close()

        asyncio.run(main())

    return run
