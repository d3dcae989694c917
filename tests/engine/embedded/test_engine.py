"""Embedded engine specifics: restart, durability settings, acknowledgement, failure, background work."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from headwater.engine.api import DataDirInUse, Entry
from headwater.engine.embedded import EmbeddedEngine, EngineFailed, writer
from headwater.engine.embedded.schema import OFFSET_BITS
from headwater.engine.factory import open_engine
from headwater.engine.memory import MemoryEngine

KIB = b"k" * 1024


def count_rows(path: Path, pid: int | None = None) -> int:
    with sqlite3.connect(path) as db:
        if pid is None:
            return db.execute("SELECT count(*) FROM entries").fetchone()[0]
        lo, hi = pid << OFFSET_BITS, (pid + 1) << OFFSET_BITS
        return db.execute("SELECT count(*) FROM entries WHERE key >= ? AND key < ?", (lo, hi)).fetchone()[0]


async def append_many(engine: EmbeddedEngine, name: str, n: int, ts: int = 0, batch: int = 1000) -> None:
    waits = [
        engine.log.append(name, [Entry(ts + i + j, KIB) for j in range(min(batch, n - i))])[1]
        for i in range(0, n, batch)
    ]
    await asyncio.gather(*waits)


def test_factory_modes(tmp_path: Path) -> None:
    assert isinstance(open_engine("memory", tmp_path / "m"), MemoryEngine)
    assert not (tmp_path / "m").exists()
    durable = open_engine("durable", tmp_path / "d")
    assert isinstance(durable, EmbeddedEngine) and durable.durability == "durable"
    assert isinstance(open_engine("fast", tmp_path / "f"), EmbeddedEngine)
    with pytest.raises(ValueError):
        open_engine("sloppy", tmp_path)  # type: ignore[arg-type]


@pytest.mark.parametrize(("durability", "synchronous"), [("durable", 1), ("fast", 0)])
def test_connection_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durability: str, synchronous: int
) -> None:
    seen: dict[str, object] = {}
    connect = writer.connect_writer

    def spy(path: Path, mode: str) -> sqlite3.Connection:  # runs on the writer thread
        db = connect(path, mode)  # type: ignore[arg-type]
        seen["synchronous"] = db.execute("PRAGMA synchronous").fetchone()[0]
        seen["journal_mode"] = db.execute("PRAGMA journal_mode").fetchone()[0]
        seen["auto_vacuum"] = db.execute("PRAGMA auto_vacuum").fetchone()[0]
        return db

    monkeypatch.setattr(writer, "connect_writer", spy)

    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", durability)  # type: ignore[arg-type]
        await engine.start()
        await engine.close()

    asyncio.run(main())
    assert seen == {"synchronous": synchronous, "journal_mode": "wal", "auto_vacuum": 2}


def test_durable_append_is_acknowledged_only_after_commit(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.log.create_partition("p")
        gate, waiting = threading.Event(), threading.Event()

        def hold() -> None:
            waiting.set()
            assert gate.wait(10)

        engine._writer.before_commit = hold
        first, done = engine.log.append("p", [Entry(1, b"held")])
        assert await asyncio.to_thread(waiting.wait, 10)  # the writer is about to COMMIT
        for _ in range(5):
            await asyncio.sleep(0)
        assert not done.done()  # type: ignore[attr-defined]
        assert engine.log.committed_offset("p") == 0 and engine.log.read("p", 0, 10, 100) == []
        assert count_rows(engine.path) == 0  # nothing visible to another connection either
        engine._writer.before_commit = None
        gate.set()
        await done
        assert count_rows(engine.path) == 1  # durable and visible by the time we are told
        assert [e.payload for e in engine.log.read("p", 0, 10, 100)] == [b"held"]
        await engine.close()

    asyncio.run(main())


def test_restart_recovers_state(tmp_path: Path) -> None:
    async def write() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        for name in ("a", "b", "gone"):
            await engine.log.create_partition(name)
        await engine.log.create_partition("empty")
        await append_many(engine, "a", 30, ts=100)
        await append_many(engine, "gone", 5)
        await engine.log.drop_partition("gone")
        _, done = engine.log.append("b", [Entry(7, b"b0"), Entry(5, b"b1")])  # mark 7, 7
        await done
        assert await engine.log.trim("a", 110) == 10
        await engine.meta.put("streams", "s1", b"def")
        await engine.close()

    async def reopen() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        log = engine.log
        assert sorted(log.partitions()) == ["a", "b", "empty"]
        assert (log.first_offset("a"), log.committed_offset("a"), log.next_offset("a")) == (10, 30, 30)
        assert [e.offset for e in log.read("a", 0, 3, 1 << 20)] == [10, 11, 12]
        assert log.offset_at_time("a", 120) == 20
        assert (log.first_offset("empty"), log.next_offset("empty")) == (0, 0)
        assert [e.timestamp_ms for e in log.read("b", 0, 10, 100)] == [7, 5]
        first, done = log.append("b", [Entry(6, b"b2")])  # the mark carries over the restart
        await done
        assert first == 2 and log.offset_at_time("b", 7) == 0 and log.offset_at_time("b", 8) == 3
        assert engine.meta.get("streams", "s1") == b"def"
        await engine.settle()
        await engine.close()
        assert count_rows(engine.path) == 20 + 3  # trimmed and dropped rows deleted

    asyncio.run(write())
    asyncio.run(reopen())


def test_close_commits_what_is_pending(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.log.create_partition("p")
        _, done = engine.log.append("p", [Entry(1, b"last words")])
        put = engine.meta.put("ns", "k", b"v")
        await engine.close()
        assert done.done() and put.done()  # type: ignore[attr-defined]
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        assert [e.payload for e in engine.log.read("p", 0, 10, 100)] == [b"last words"]
        assert engine.meta.get("ns", "k") == b"v"
        await engine.close()

    asyncio.run(main())


def test_offsets_survive_a_full_trim_across_restart(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.log.create_partition("p")
        await append_many(engine, "p", 8)
        assert await engine.log.trim("p", 1 << 40) == 8
        await engine.settle()
        await engine.close()
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        assert engine.log.first_offset("p") == engine.log.next_offset("p") == 8
        assert engine.log.append("p", [Entry(1, b"x")])[0] == 8
        await engine.close()

    asyncio.run(main())


def test_data_directory_is_locked(tmp_path: Path) -> None:
    async def main() -> None:
        first = EmbeddedEngine(tmp_path / "data", "fast")
        await first.start()
        second = EmbeddedEngine(tmp_path / "data", "fast")
        with pytest.raises(DataDirInUse, match="in use by another Headwater") as refused:
            await second.start()
        assert refused.value.pid == os.getpid()  # who holds it, from the lock file
        await first.close()
        await second.start()  # free again
        await second.close()

    asyncio.run(main())


def test_a_failed_commit_stops_the_engine_and_restart_recovers(tmp_path: Path) -> None:
    def boom() -> None:
        raise sqlite3.OperationalError("disk I/O error")

    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.log.create_partition("p")
        await append_many(engine, "p", 3)
        engine._writer.before_commit = boom
        _, done = engine.log.append("p", [Entry(9, b"lost")])
        with pytest.raises(sqlite3.OperationalError):
            await done
        with pytest.raises(EngineFailed):
            engine.log.append("p", [Entry(9, b"refused")])
        with pytest.raises(EngineFailed):
            await engine.meta.put("ns", "k", b"v")
        assert engine.log.committed_offset("p") == 3
        await engine.close()
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        assert engine.log.next_offset("p") == 3 and engine.meta.get("ns", "k") is None
        await engine.close()

    asyncio.run(main())


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_writer_leaves_nobody_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*args: object, **kwargs: object) -> None:
        raise AssertionError("a bug in the writer loop")

    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.log.create_partition("p")
        monkeypatch.setattr(writer.Writer, "_commit", bug)
        _, done = engine.log.append("p", [Entry(1, b"x")])
        with pytest.raises(EngineFailed):
            await done
        with pytest.raises(EngineFailed):
            engine.log.append("p", [Entry(1, b"x")])
        await engine.close()

    asyncio.run(main())


def db_bytes(engine: EmbeddedEngine) -> int:
    return sum(p.stat().st_size for p in engine.data_dir.glob("headwater.sqlite3*"))


def test_trims_give_space_back(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.log.create_partition("p")
        await append_many(engine, "p", 12_000)  # ~12 MiB
        await engine.settle()
        full = db_bytes(engine)
        assert full > 12_000 * 1024
        assert await engine.log.trim("p", 11_000) == 11_000
        await engine.settle()
        assert count_rows(engine.path) == 1000
        assert db_bytes(engine) < full / 4
        await engine.close()

    asyncio.run(main())


def test_a_trimmed_log_stops_growing(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.log.create_partition("p")
        sizes = []
        for round_ in range(8):  # keep ~2 rounds of 2,000 entries: the rest is trimmed away
            await append_many(engine, "p", 2000, ts=round_ * 2000)
            await engine.log.trim("p", (round_ - 1) * 2000)
            await engine.settle()
            sizes.append(db_bytes(engine))
        assert max(sizes[3:]) <= sizes[2] * 1.1, sizes
        await engine.close()

    asyncio.run(main())


def test_drop_deletes_in_the_background_while_appends_go_on(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.log.create_partition("big")
        await engine.log.create_partition("live")
        _, done = engine.log.append("big", [Entry(i, b"x") for i in range(100_000)])
        await done
        dropped = engine.log.drop_partition("big")
        _, done = engine.log.append("live", [Entry(0, b"x")])
        await asyncio.gather(dropped, done)
        # Acknowledged long before the background delete (50 paced chunks) is through.
        assert count_rows(engine.path, pid=1) > 50_000
        await engine.settle()
        assert count_rows(engine.path) == 1
        with sqlite3.connect(engine.path) as db:
            assert db.execute("SELECT name FROM partitions").fetchall() == [("live",)]
        await engine.close()

    asyncio.run(main())


def test_an_interrupted_drop_resumes_after_restart(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.log.create_partition("big")
        await append_many(engine, "big", 20_000)
        await engine.log.drop_partition("big")
        await engine.close()  # right away: the background delete may be cut short
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        assert engine.log.partitions() == []
        await engine.log.create_partition("big")
        assert engine.log.next_offset("big") == 0
        await engine.settle()
        assert count_rows(engine.path) == 0
        await engine.close()

    asyncio.run(main())


def test_reset_empties_the_file(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.log.create_partition("p")
        await append_many(engine, "p", 5000)
        await engine.meta.put("ns", "k", b"v")
        await engine.reset()
        await engine.settle()
        assert count_rows(engine.path) == 0 and db_bytes(engine) < 1 << 20
        await engine.close()
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        assert engine.log.partitions() == [] and engine.meta.get("ns", "k") is None
        await engine.close()

    asyncio.run(main())
