"""The ordered store's key filter: no key with a row is ever reported absent, whatever the order of
writes, reads, restarts and growth; most keys without one are, once the filter has walked its rows."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from headwater.engine.embedded import EmbeddedEngine
from headwater.engine.embedded.key_filter import FIRST_CAPACITY, PAGE, KeyFilter


def _db(keys: list[str]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE ordered (namespace TEXT, key TEXT, value BLOB, PRIMARY KEY (namespace, key))")
    db.executemany("INSERT INTO ordered VALUES ('ns', ?, x'00')", [(key,) for key in keys])
    db.execute("INSERT INTO ordered VALUES ('other', 'elsewhere', x'00')")
    return db


def test_a_filter_says_absent_only_once_its_walk_is_complete() -> None:
    stored = [f"k{i:05}" for i in range(2 * PAGE + 5)]
    db, known = _db(stored), KeyFilter(len(stored))
    for _ in range(2):  # a page per step: not complete until the walk has passed the last row
        known.step(db, "ns")
        assert not known.complete and not known.absent("new")
    known.step(db, "ns")
    assert known.complete and not known.full
    assert not any(known.absent(key) for key in stored)
    misses = sum(known.absent(f"new{i}") for i in range(10_000))
    assert misses > 9_500  # ~1-2% false positives at capacity


def test_keys_added_are_never_absent_and_capacity_is_tracked() -> None:
    known = KeyFilter()
    known.step(_db([]), "ns")
    for i in range(FIRST_CAPACITY):
        known.add(f"a{i}")
    assert not known.full and not any(known.absent(f"a{i}") for i in range(FIRST_CAPACITY))
    known.add("one more")
    assert known.full


def test_the_store_never_hides_a_row(tmp_path: Path) -> None:
    """Rows from before a restart, rows written before and after the first read, rows in flight,
    deletes and growth past the filter's first capacity: every stored key reads back."""
    old = [f"old{i}" for i in range(PAGE + 10)]

    async def first() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.ordered.write([("ns", key, key.encode()) for key in old])
        await engine.close()

    async def second() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        store = engine.ordered
        in_flight = store.write([("ns", "early", b"e")])  # pending when the filter is made
        assert store.get("ns", "never") is None
        assert store.get("ns", "early") == b"e"
        await in_flight
        new = [f"new{i}" for i in range(4 * FIRST_CAPACITY)]  # outgrows the first filter, twice
        for key in new:
            assert store.get("ns", key) is None  # the S3 PUT pattern: read, then write
            store.write([("ns", key, key.encode())])
        assert store._filters["ns"].complete  # new keys were answered without SQLite by the end
        await store.write([("ns", "new0", None)])
        store._cache.clear()  # every read below goes past the cache
        store._cached = 0
        assert store.get("ns", "early") == b"e"
        for key in [*old, *new[1:]]:
            assert store.get("ns", key) == key.encode()
        assert store.get("ns", "new0") is None
        await engine.close()

    asyncio.run(first())
    asyncio.run(second())
