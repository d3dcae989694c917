"""The engine contract (engine/api.py), run against every implementation."""

from __future__ import annotations

import asyncio

import pytest

from headwater.engine.api import Engine, Entry, StoredEntry
from tests.engine.runner import RunEngine


def entries(n: int, ts: int = 1000, size: int = 10, tag: str = "e") -> list[Entry]:
    return [Entry(ts + i, f"{tag}{i}".encode().ljust(size, b".")) for i in range(n)]


async def filled(engine: Engine, name: str = "p", n: int = 10, **kw: int) -> list[Entry]:
    await engine.log.create_partition(name)
    batch = entries(n, **kw)
    _, done = engine.log.append(name, batch)
    await done
    return batch


def test_new_partition_is_empty(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await log.create_partition("a")
        await log.create_partition("b")
        assert sorted(log.partitions()) == ["a", "b"]
        assert (log.next_offset("a"), log.committed_offset("a"), log.first_offset("a")) == (0, 0, 0)
        assert log.read("a", 0, 100, 1 << 20) == []
        assert log.offset_at_time("a", 0) == 0

    run_engine(body)


def test_append_assigns_consecutive_offsets_and_reads_back(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await log.create_partition("p")
        first, done = log.append("p", entries(3, tag="a"))
        assert first == 0 and log.next_offset("p") == 3
        await done
        second, done = log.append("p", entries(2, ts=2000, tag="b"))
        assert second == 3
        await done
        assert log.committed_offset("p") == 5 and log.next_offset("p") == 5
        got = log.read("p", 0, 100, 1 << 20)
        assert [e.offset for e in got] == [0, 1, 2, 3, 4]
        assert got[1] == StoredEntry(1, 1001, b"a1........")
        assert got[4] == StoredEntry(4, 2001, b"b1........")
        assert [e.offset for e in log.read("p", 3, 100, 1 << 20)] == [3, 4]
        assert log.read("p", 5, 100, 1 << 20) == []
        assert log.read("p", 99, 100, 1 << 20) == []

    run_engine(body)


def test_offsets_follow_call_order_of_concurrent_appends(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await log.create_partition("p")
        calls = [log.append("p", entries(k + 1, tag=f"c{k}-")) for k in range(5)]
        assert [first for first, _ in calls] == [0, 1, 3, 6, 10]
        await asyncio.gather(*(done for _, done in calls))
        got = log.read("p", 0, 100, 1 << 20)
        assert [e.payload[:4] for e in got[6:10]] == [b"c3-0", b"c3-1", b"c3-2", b"c3-3"]
        assert log.committed_offset("p") == 15

    run_engine(body)


def test_partitions_are_independent(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        await filled(engine, "a", 4)
        await filled(engine, "b", 2, ts=5000)
        assert engine.log.next_offset("a") == 4 and engine.log.next_offset("b") == 2
        assert [e.timestamp_ms for e in engine.log.read("b", 0, 10, 1 << 20)] == [5000, 5001]

    run_engine(body)


def test_empty_append_changes_nothing(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        await filled(engine, "p", 3)
        first, done = engine.log.append("p", [])
        await done
        assert first == 3 and engine.log.next_offset("p") == 3

    run_engine(body)


def test_read_limits(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await filled(engine, "p", 10, size=100)  # every payload is 100 bytes
        assert len(log.read("p", 0, 4, 1 << 20)) == 4
        assert [e.offset for e in log.read("p", 2, 3, 1 << 20)] == [2, 3, 4]
        assert len(log.read("p", 0, 100, 350)) == 3  # stops before the 4th would exceed
        assert len(log.read("p", 0, 100, 400)) == 4  # exactly fits
        assert len(log.read("p", 0, 2, 1000)) == 2  # count binds first
        assert [e.offset for e in log.read("p", 7, 100, 10)] == [7]  # at least one
        assert [e.offset for e in log.read("p", 9, 100, 0)] == [9]
        assert log.read("p", 0, 0, 1 << 20) == []

    run_engine(body)


def test_read_long_log_in_pages(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await log.create_partition("p")
        sent = [Entry(i, i.to_bytes(4, "big") * 64) for i in range(3000)]
        waits = [log.append("p", sent[i : i + 250])[1] for i in range(0, 3000, 250)]
        await asyncio.gather(*waits)
        got: list[StoredEntry] = []
        while len(got) < 3000:
            page = log.read("p", len(got), 700, 256 * 300)
            assert 0 < len(page) <= 300
            got += page
        assert [e.offset for e in got] == list(range(3000))
        assert [(e.timestamp_ms, e.payload) for e in got] == [(e.timestamp_ms, e.payload) for e in sent]

    run_engine(body)


def test_offset_at_time(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await log.create_partition("p")
        stamps = [100, 100, 200, 300, 300, 300, 400]
        _, done = log.append("p", [Entry(ts, b"x") for ts in stamps])
        await done
        assert log.offset_at_time("p", 0) == 0
        assert log.offset_at_time("p", 100) == 0
        assert log.offset_at_time("p", 101) == 2
        assert log.offset_at_time("p", 300) == 3
        assert log.offset_at_time("p", 350) == 6
        assert log.offset_at_time("p", 400) == 6
        assert log.offset_at_time("p", 401) == 7  # none: committed_offset

    run_engine(body)


def test_offset_at_time_when_the_clock_steps_back(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await log.create_partition("p")
        stamps = [100, 300, 200, 250, 400, 350]
        _, done = log.append("p", [Entry(ts, b"x") for ts in stamps])
        await done
        # The first offset whose own timestamp reaches t.
        assert [log.offset_at_time("p", t) for t in (100, 150, 200, 300, 301, 400, 401)] == [
            0,
            1,
            1,
            1,
            4,
            4,
            6,
        ]
        assert [e.timestamp_ms for e in log.read("p", 0, 10, 100)] == stamps  # stored as given

    run_engine(body)


def test_trim_removes_a_prefix_and_offsets_are_never_reused(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await filled(engine, "p", 10)  # timestamps 1000..1009
        assert await log.trim("p", 1004) == 4
        assert log.first_offset("p") == 4
        assert [e.offset for e in log.read("p", 0, 3, 1 << 20)] == [4, 5, 6]
        assert log.offset_at_time("p", 0) == 4
        assert await log.trim("p", 1004) == 0
        assert await log.trim("p", 0) == 0
        assert await log.trim("p", 5000) == 6
        assert log.first_offset("p") == log.committed_offset("p") == 10
        assert log.read("p", 0, 10, 1 << 20) == []
        first, done = log.append("p", entries(2, ts=6000))
        await done
        assert first == 10 and log.first_offset("p") == 10
        assert [e.offset for e in log.read("p", 0, 10, 1 << 20)] == [10, 11]

    run_engine(body)


def test_drop_partition(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await filled(engine, "p", 5)
        await filled(engine, "q", 2)
        await log.drop_partition("p")
        assert log.partitions() == ["q"]
        with pytest.raises(KeyError):
            log.read("p", 0, 1, 1)
        await log.create_partition("p")  # a new partition under the old name starts afresh
        assert log.next_offset("p") == 0 and log.read("p", 0, 10, 1 << 20) == []
        first, done = log.append("p", entries(1, tag="new"))
        await done
        assert first == 0 and log.read("p", 0, 10, 1 << 20)[0].payload.startswith(b"new0")
        assert len(log.read("q", 0, 10, 1 << 20)) == 2

    run_engine(body)


def test_unknown_partition_raises_key_error(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await log.create_partition("known")
        calls = [
            lambda: log.append("nope", entries(1)),
            lambda: log.read("nope", 0, 1, 1),
            lambda: log.next_offset("nope"),
            lambda: log.committed_offset("nope"),
            lambda: log.first_offset("nope"),
            lambda: log.offset_at_time("nope", 0),
            lambda: log.trim("nope", 0),
            lambda: log.drop_partition("nope"),
        ]
        for call in calls:
            with pytest.raises(KeyError):
                call()

    run_engine(body)


def test_creating_an_existing_partition_fails(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        await engine.log.create_partition("p")
        with pytest.raises(ValueError):
            engine.log.create_partition("p")

    run_engine(body)


def test_metadata(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        meta = engine.meta
        assert meta.get("ns", "k") is None
        assert list(meta.scan("ns")) == []
        for k in ("b", "c", "a"):
            await meta.put("ns", k, k.encode())
        await meta.put("other", "a", b"other")
        await meta.put("ns", "b", b"B")  # overwrite
        assert meta.get("ns", "b") == b"B"
        assert list(meta.scan("ns")) == [("a", b"a"), ("b", b"B"), ("c", b"c")]
        await meta.delete("ns", "a")
        await meta.delete("ns", "missing")
        assert meta.get("ns", "a") is None
        assert list(meta.scan("ns")) == [("b", b"B"), ("c", b"c")]
        assert list(meta.scan("other")) == [("a", b"other")]

    run_engine(body)


def test_metadata_reads_see_writes_before_they_are_durable(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        done = engine.meta.put("ns", "k", b"v1")
        assert engine.meta.get("ns", "k") == b"v1"
        gone = engine.meta.delete("ns", "k")
        assert engine.meta.get("ns", "k") is None
        await asyncio.gather(done, gone)

    run_engine(body)


def test_reset_drops_everything(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        await filled(engine, "p", 5)
        await engine.meta.put("ns", "k", b"v")
        await engine.reset()
        assert engine.log.partitions() == []
        assert engine.meta.get("ns", "k") is None and list(engine.meta.scan("ns")) == []
        await filled(engine, "p", 1)
        assert engine.log.next_offset("p") == 1

    run_engine(body)


def test_reset_with_appends_in_flight(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        await engine.log.create_partition("p")
        _, done = engine.log.append("p", entries(3))
        await engine.reset()
        await done  # completes (it was queued first), and leaves nothing behind
        assert engine.log.partitions() == []
        await engine.log.create_partition("p")
        assert engine.log.next_offset("p") == 0 and engine.log.read("p", 0, 10, 1 << 20) == []

    run_engine(body)


def test_read_async_matches_read(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        log = engine.log
        await filled(engine, "p", n=40, size=300)
        for offset, count, limit in [
            (0, 100, 1 << 20),
            (5, 7, 1 << 20),
            (0, 100, 1000),
            (39, 5, 1),
            (40, 5, 1 << 20),
        ]:
            assert await log.read_async("p", offset, count, limit) == log.read("p", offset, count, limit)
        _, done = log.append("p", entries(5, ts=5000, tag="late"))
        await done
        assert await log.read_async("p", 0, 100, 1 << 20) == log.read("p", 0, 100, 1 << 20)
        assert len(await log.read_async("p", 0, 100, 1 << 20)) == 45

    run_engine(body)
