"""The ordered key-value store's contract (engine/api.py OrderedStore), run against every engine."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from headwater.engine.api import Engine
from headwater.engine.memory import MemoryEngine
from tests.engine.runner import RunEngine, runner

KEYS = ["a", "a/", "a/b", "a/c", "ab", "b", "z", "é", "😀", "\U0010ffff"]


def test_point_reads_and_writes(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.ordered
        assert store.get("ns", "k") is None
        await store.write([("ns", "k", b"v"), ("other", "k", b"o")])
        assert (store.get("ns", "k"), store.get("other", "k")) == (b"v", b"o")
        await store.write([("ns", "k", None), ("ns", "missing", None)])
        assert store.get("ns", "k") is None
        assert store.get("other", "k") == b"o"

    run_engine(body)


def test_reads_see_writes_before_they_are_durable(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.ordered
        first = store.write([("ns", "k", b"v1")])
        assert store.get("ns", "k") == b"v1"
        assert store.scan_range("ns", None, "", 10) == [("k", b"v1")]
        second = store.write([("ns", "k", None)])
        assert store.get("ns", "k") is None and store.scan_range("ns", None, "", 10) == []
        third = store.write([("ns", "k", b"v3")])
        await asyncio.gather(first, second, third)
        assert store.get("ns", "k") == b"v3"

    run_engine(body)


def test_scans_in_code_point_order_with_prefix_and_marker(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.ordered
        shuffled = KEYS[:]
        random.Random(7).shuffle(shuffled)
        await store.write([("ns", key, key.encode()) for key in shuffled])
        await store.write([("ns2", "a", b"x")])

        def keys(after: str | None, prefix: str, limit: int = 100) -> list[str]:
            return [key for key, _ in store.scan_range("ns", after, prefix, limit)]

        assert keys(None, "") == KEYS
        assert keys(None, "a/") == ["a/", "a/b", "a/c"]
        assert keys("a/", "a/") == ["a/b", "a/c"]
        assert keys("a", "a/") == ["a/", "a/b", "a/c"]  # a marker before the prefix
        assert keys("\U0010ffff", "") == [] and keys(None, "q") == []
        assert keys("ab", "", 3) == ["b", "z", "é"]
        assert keys(None, "\U0010ffff") == ["\U0010ffff"]
        assert keys(None, "\ud7ff") == []
        assert store.scan_range("ns", None, "", 0) == []
        assert [v for _, v in store.scan_range("ns", None, "a/", 1)] == [b"a/"]

    run_engine(body)


def test_scans_merge_writes_in_flight_under_a_limit(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.ordered
        await store.write([("ns", f"k{i:02d}", b"old") for i in range(20)])
        writes = [
            store.write([("ns", f"k{i:02d}", None) for i in range(0, 10, 2)]),  # 5 deletes
            store.write([("ns", "k05", b"new"), ("ns", "k055", b"ins"), ("ns", "k99", b"end")]),
        ]
        expected = [f"k{i:02d}" for i in range(20) if not (i < 10 and i % 2 == 0)] + ["k055", "k99"]
        expected.sort()
        for limit in (1, 3, 5, 8, 30):
            got = store.scan_range("ns", None, "", limit)
            assert [k for k, _ in got] == expected[:limit], limit
        assert dict(store.scan_range("ns", "k04", "", 2)) == {"k05": b"new", "k055": b"ins"}
        await asyncio.gather(*writes)
        assert [k for k, _ in store.scan_range("ns", None, "", 30)] == expected

    run_engine(body)


def test_writes_survive_a_restart(make_engine: Callable[[], Engine]) -> None:
    async def write(engine: Engine) -> None:
        await engine.ordered.write([("ns", f"{i:04d}", str(i).encode()) for i in range(500)])
        await engine.ordered.write([("ns", "0001", None)])

    async def check(engine: Engine) -> None:
        assert engine.ordered.get("ns", "0001") is None
        assert engine.ordered.get("ns", "0002") == b"2"
        assert len(engine.ordered.scan_range("ns", None, "", 1000)) == 499

    if isinstance(make_engine(), MemoryEngine):
        return  # nothing outlives a memory engine
    runner(make_engine)(write)
    runner(make_engine)(check)


def test_a_small_cache_reads_through(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.ordered
        if hasattr(store, "cache_bytes"):
            store.cache_bytes = 600  # a couple of entries
        await store.write([("ns", f"{i:03d}", bytes(100) + str(i).encode()) for i in range(50)])
        for i in (0, 49, 1, 0, 25):
            assert store.get("ns", f"{i:03d}") == bytes(100) + str(i).encode()
        await store.write([("ns", "000", None)])
        assert store.get("ns", "000") is None and store.get("ns", "001") is not None

    run_engine(body)


def test_reset_empties_it(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        await engine.ordered.write([("ns", "k", b"v")])
        assert engine.ordered.get("ns", "k") == b"v"
        await engine.reset()
        assert engine.ordered.get("ns", "k") is None and engine.ordered.scan_range("ns", None, "", 5) == []

    run_engine(body)
