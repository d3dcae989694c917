"""Engine fixtures. No pytest-asyncio here: `run_engine(body)` runs an async test body against a
started engine in a fresh event loop and closes the engine afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.engine.api import Engine
from headwater.engine.embedded import EmbeddedEngine
from headwater.engine.memory import MemoryEngine
from tests.engine.runner import RunEngine, runner

# "nocache" reads everything through SQLite; "smallcache" makes reads straddle disk and cache.
VARIANTS: dict[str, Callable[[Path], Engine]] = {
    "memory": lambda _: MemoryEngine(),
    "durable": lambda d: EmbeddedEngine(d, "durable"),
    "fast-nocache": lambda d: EmbeddedEngine(d, "fast", cache_bytes=0),
    "durable-smallcache": lambda d: EmbeddedEngine(d, "durable", cache_bytes=4096),
}


@pytest.fixture(params=list(VARIANTS))
def make_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Engine]:
    """Builds (unstarted) engines of one variant, all on the same data directory."""
    variant = VARIANTS[request.param]
    return lambda: variant(tmp_path / "data")


@pytest.fixture
def run_engine(make_engine: Callable[[], Engine]) -> RunEngine:
    return runner(make_engine)
