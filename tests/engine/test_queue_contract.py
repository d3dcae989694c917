"""The queue store contract (engine/api.py QueueStore), run against every implementation, then the
embedded engine's specifics: restart, background deletes, reads racing the writer."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from headwater.engine.api import Engine, Entry, QueueStore
from headwater.engine.embedded import EmbeddedEngine
from headwater.engine.embedded.schema import OFFSET_BITS
from headwater.engine.memory import MAX_QUEUE_SEQ, MemoryEngine, MemoryQueueStore
from tests.engine.runner import RunEngine

Row = tuple[int, bytes | None, bytes]


def msgs(seqs: range | list[int], tag: str = "m") -> list[tuple[int, bytes, bytes]]:
    return [(seq, f"{tag}-record-{seq}".encode(), f"{tag}-state-{seq}".encode()) for seq in seqs]


def rows(store: QueueStore, queue: str, records: bool = True) -> list[Row]:
    return [(m.seq, m.record, m.state) for m in store.load(queue, records)]


def in_call_order(waits: list[Awaitable[None]]) -> Callable[[], Awaitable[list[int]]]:
    """Returns a coroutine function that awaits `waits` and gives the order they completed in."""
    order: list[int] = []
    futures = [asyncio.ensure_future(w) for w in waits]
    for i, future in enumerate(futures):
        future.add_done_callback(lambda _, i=i: order.append(i))

    async def wait() -> list[int]:
        await asyncio.gather(*futures)
        return order

    return wait


def test_new_queue_is_empty(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("a")
        await store.create("b")
        assert sorted(store.queues()) == ["a", "b"]
        assert rows(store, "a") == [] and rows(store, "a", records=False) == []
        assert await store.records("a", [0, 1]) == [None, None]

    run_engine(body)


def test_load_returns_messages_in_seq_order(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs([5, 1], "a"))
        await store.add("q", msgs([3]) + msgs([10, 2], "b"))
        expected = sorted(msgs([5, 1], "a") + msgs([3]) + msgs([10, 2], "b"))
        assert rows(store, "q") == expected
        assert rows(store, "q", records=False) == [(seq, None, state) for seq, _, state in expected]
        assert await store.records("q", [10, 5]) == [b"b-record-10", b"a-record-5"]

    run_engine(body)


def test_set_state_replaces_only_the_state_and_remove_deletes(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs(range(4)))
        await store.set_state("q", [(1, b"received once"), (2, b"x")])
        await store.set_state("q", [(2, b"received twice")])
        await store.remove("q", [0, 3])
        assert rows(store, "q") == [
            (1, b"m-record-1", b"received once"),
            (2, b"m-record-2", b"received twice"),
        ]
        assert await store.records("q", [0, 1, 2, 3]) == [None, b"m-record-1", b"m-record-2", None]

    run_engine(body)


def test_updates_and_removes_of_unknown_seqs_are_ignored(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.create("other")
        await store.add("q", msgs([1]))
        await store.add("other", msgs([0, MAX_QUEUE_SEQ], "o"))
        far = [7, -1, MAX_QUEUE_SEQ + 1, 2**63]  # the last three cannot even be stored
        await store.set_state("q", [(seq, b"ghost") for seq in far] + [(1, b"s")])
        await store.remove("q", far)
        assert rows(store, "q") == [(1, b"m-record-1", b"s")]
        assert rows(store, "other") == msgs([0, MAX_QUEUE_SEQ], "o")  # no key spilled into it
        assert await store.records("q", far) == [None] * 4
        await store.remove("q", [1])
        await store.remove("q", [1])  # twice: still fine
        await store.set_state("q", [(1, b"too late")])
        assert rows(store, "q") == []

    run_engine(body)


def test_seqs_out_of_range_are_refused(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        for seq in (-1, MAX_QUEUE_SEQ + 1):
            with pytest.raises(ValueError):
                store.add("q", msgs([0, seq]))
        assert rows(store, "q") == []  # nothing of a refused batch was stored
        await store.add("q", msgs([0, MAX_QUEUE_SEQ]))
        assert [seq for seq, _, _ in rows(store, "q")] == [0, MAX_QUEUE_SEQ]

    run_engine(body)


def test_records_of_missing_and_repeated_seqs(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs([1, 3]))
        got = await store.records("q", [3, 99, 1, 3, 2])
        assert got == [b"m-record-3", None, b"m-record-1", b"m-record-3", None]
        assert await store.records("q", []) == []

    run_engine(body)


def test_unknown_queues_raise_key_error(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        calls: list[Callable[[], object]] = [
            lambda: store.add("nope", msgs([1])),
            lambda: store.add("nope", []),
            lambda: store.set_state("nope", [(1, b"s")]),
            lambda: store.remove("nope", [1]),
            lambda: store.clear("nope"),
            lambda: store.drop("nope"),
            lambda: store.load("nope"),
            lambda: store.load("nope", records=False),
        ]
        for call in calls:
            with pytest.raises(KeyError):
                call()
        with pytest.raises(KeyError):
            await store.records("nope", [1])
        with pytest.raises(ValueError):
            store.create("q")
        assert store.queues() == ["q"]

    run_engine(body)


def test_writes_apply_and_complete_in_call_order(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.create("r")
        waits = [
            store.add("q", msgs(range(5))),
            store.add("r", msgs([1], "r")),
            store.set_state("q", [(1, b"a"), (2, b"a")]),
            store.remove("q", [2, 3]),
            store.add("q", msgs([3], "again")),  # a removed seq stored anew
            store.set_state("q", [(1, b"b"), (3, b"b"), (2, b"revived?")]),
            store.remove("r", []),
            store.set_state("q", []),
            store.remove("q", [4]),
        ]
        assert await in_call_order(waits)() == list(range(len(waits)))
        assert rows(store, "q") == [
            (0, b"m-record-0", b"m-state-0"),
            (1, b"m-record-1", b"b"),
            (3, b"again-record-3", b"b"),
        ]
        assert rows(store, "r") == msgs([1], "r")

    run_engine(body)


def test_reads_see_writes_before_they_are_durable(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs(range(4)))
        # Nothing below is awaited before the reads.
        waits = [
            store.add("q", msgs([10, 11], "new")),
            store.set_state("q", [(1, b"s1"), (10, b"s10"), (3, b"s3")]),
            store.remove("q", [2, 11]),
            store.set_state("q", [(2, b"gone"), (11, b"gone")]),
            store.remove("q", [3]),
        ]
        expected = [
            (0, b"m-record-0", b"m-state-0"),
            (1, b"m-record-1", b"s1"),
            (10, b"new-record-10", b"s10"),
        ]
        assert rows(store, "q") == expected
        assert rows(store, "q", records=False) == [(s, None, st) for s, _, st in expected]
        assert await store.records("q", [0, 1, 2, 3, 10, 11]) == [
            b"m-record-0",
            b"m-record-1",
            None,
            None,
            b"new-record-10",
            None,
        ]
        await asyncio.gather(*waits)
        assert rows(store, "q") == expected

    run_engine(body)


def test_load_is_a_snapshot_taken_at_the_call(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs(range(3)))
        pending = store.add("q", msgs([3]))
        snapshot = store.load("q")
        await pending
        await store.remove("q", [0, 3])
        await store.add("q", msgs([4]))
        assert [(m.seq, m.record, m.state) for m in snapshot] == msgs(range(4))

    run_engine(body)


def test_queues_are_independent(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("a")
        await store.create("b")
        await asyncio.gather(store.add("a", msgs(range(3), "a")), store.add("b", msgs(range(2), "b")))
        await store.remove("a", [1])
        await store.set_state("b", [(0, b"b0")])
        await store.clear("b")
        assert rows(store, "a") == msgs([0, 2], "a")
        assert rows(store, "b") == []

    run_engine(body)


def test_drop_and_recreate_starts_empty(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.create("keep")
        await store.add("keep", msgs(range(2), "k"))
        await store.add("q", msgs(range(100)))
        pending = store.add("q", msgs([100, 101]))  # still in flight when dropped
        await store.drop("q")
        await pending
        assert store.queues() == ["keep"]
        await store.create("q")
        assert rows(store, "q") == []
        assert await store.records("q", [0, 5, 100]) == [None, None, None]
        await store.set_state("q", [(5, b"old seq")])  # not stored in the new queue: ignored
        await store.add("q", msgs([7], "new"))
        assert rows(store, "q") == msgs([7], "new")
        assert rows(store, "keep") == msgs(range(2), "k")

    run_engine(body)


def test_clear_empties_the_queue_and_keeps_it(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs(range(50)))
        waits = [store.add("q", msgs([50])), store.set_state("q", [(1, b"in flight")])]
        cleared = store.clear("q")
        waits += [store.add("q", msgs([60], "after")), store.set_state("q", [(2, b"x"), (60, b"s60")])]
        assert rows(store, "q") == [(60, b"after-record-60", b"s60")]
        assert await store.records("q", [1, 50, 60]) == [None, None, b"after-record-60"]
        await asyncio.gather(cleared, *waits)
        assert store.queues() == ["q"]
        assert rows(store, "q") == [(60, b"after-record-60", b"s60")]
        await store.clear("q")
        await store.clear("q")  # an empty queue too
        assert rows(store, "q") == []

    run_engine(body)


def test_large_batches(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        record = b"r" * 1024
        waits = [
            store.add("q", [(seq, record, seq.to_bytes(4, "big")) for seq in range(start, start + 5000)])
            for start in range(0, 20_000, 5000)
        ]
        waits.append(store.set_state("q", [(seq, b"odd") for seq in range(1, 20_000, 2)]))
        waits.append(store.remove("q", list(range(0, 20_000, 4))))
        await asyncio.gather(*waits)
        got = list(store.load("q", records=False))
        assert len(got) == 15_000
        assert all(m.state == (b"odd" if m.seq % 2 else m.seq.to_bytes(4, "big")) for m in got)
        assert [m.seq for m in got] == [seq for seq in range(20_000) if seq % 4]
        seqs = list(range(0, 20_000, 3))
        assert await store.records("q", seqs) == [None if seq % 4 == 0 else record for seq in seqs]

    run_engine(body)


def test_interleaves_with_log_appends(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store, log = engine.queues, engine.log
        await store.create("q")
        await log.create_partition("p")
        waits: list[Awaitable[None]] = []
        queue_waits: list[Awaitable[None]] = []
        for i in range(20):
            waits.append(log.append("p", [Entry(i, f"e{i}".encode())] * 3)[1])
            queue_waits.append(store.add("q", msgs(range(i * 10, i * 10 + 10))))
            queue_waits.append(store.remove("q", [i * 10 + 1]))
            await engine.meta.put("ns", f"k{i}", b"v")
        order = in_call_order(queue_waits)
        await asyncio.gather(*waits)
        assert await order() == list(range(len(queue_waits)))
        assert [e.offset for e in log.read("p", 0, 1000, 1 << 20)] == list(range(60))
        assert [seq for seq, _, _ in rows(store, "q")] == [s for s in range(200) if s % 10 != 1]

    run_engine(body)


def test_reset_drops_every_queue(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs(range(10)))
        pending = store.add("q", msgs([10]))
        await engine.reset()
        await pending
        assert store.queues() == []
        await store.create("q")
        assert rows(store, "q") == []

    run_engine(body)


@pytest.mark.parametrize("seed", range(3))
def test_random_writes_read_back_as_the_reference_does(run_engine: RunEngine, seed: int) -> None:
    """Random writes, awaited at random moments, against MemoryQueueStore: every read agrees."""

    async def body(engine: Engine) -> None:
        rng = random.Random(seed)
        store, reference = engine.queues, MemoryQueueStore()
        await store.create("q")
        await reference.create("q")
        pending: list[Awaitable[None]] = []
        next_seq = 0
        for step in range(400):
            roll = rng.random()
            if roll < 0.35:
                seqs = list(range(next_seq, next_seq + rng.randint(1, 5)))
                if next_seq and rng.random() < 0.2:
                    seqs.append(rng.randrange(next_seq))  # an old seq, perhaps removed: stored anew
                next_seq += 5
                batch = [(seq, f"r{step}-{seq}".encode(), f"s{step}".encode()) for seq in seqs]
                call: Callable[[QueueStore], Awaitable[None]] = lambda s, b=batch: s.add("q", b)  # noqa: E731
            elif roll < 0.6:
                updates = [
                    (rng.randrange(next_seq + 3), f"u{step}".encode()) for _ in range(rng.randint(1, 4))
                ]
                call = lambda s, u=updates: s.set_state("q", u)  # noqa: E731
            elif roll < 0.85:
                gone = [rng.randrange(next_seq + 3) for _ in range(rng.randint(1, 4))]
                call = lambda s, g=gone: s.remove("q", g)  # noqa: E731
            elif roll < 0.87:
                call = lambda s: s.clear("q")  # noqa: E731
            else:
                if pending and rng.random() < 0.5:
                    await pending.pop(rng.randrange(len(pending)))
                records = rng.random() < 0.5
                assert rows(store, "q", records) == rows(reference, "q", records), step
                asked = [rng.randrange(next_seq + 3) for _ in range(rng.randint(0, 6))]
                assert await store.records("q", asked) == await reference.records("q", asked), step
                continue
            pending.append(call(store))
            await call(reference)
        await asyncio.gather(*pending)
        assert rows(store, "q") == rows(reference, "q")

    run_engine(body)


def test_stats_count_messages_and_name_the_end(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        assert store.stats("q") == (0, 0)
        await store.add("q", msgs(range(10)))
        await store.add("q", msgs([3], "again"))  # an overwrite is not a new message
        assert store.stats("q") == (10, 10)
        await store.remove("q", [9, 0, 42])
        await store.set_state("q", [(1, b"received")])
        assert store.stats("q") == (8, 9)
        await store.clear("q")
        assert store.stats("q") == (0, 0)
        with pytest.raises(KeyError):
            store.stats("nope")

    run_engine(body)


def test_page_reads_ranges_in_seq_order_with_pending_writes(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs(range(0, 100, 2)))  # even seqs 0..98
        await store.remove("q", [4, 6])
        page = await store.page("q", 1, 20, 5)
        assert [(m.seq, m.record, m.state) for m in page] == msgs([2, 8, 10, 12, 14])
        # writes not yet durable count, as for load: a pending remove hides, a pending add shows
        store.remove("q", [8])
        store.set_state("q", [(10, b"received")])
        last = store.add("q", msgs([11], "new"))
        page = await store.page("q", 1, 20, 5)
        assert [(m.seq, m.state) for m in page] == [
            (2, b"m-state-2"),
            (10, b"received"),
            (11, b"new-state-11"),
            (12, b"m-state-12"),
            (14, b"m-state-14"),
        ]
        await last
        assert [m.seq for m in await store.page("q", 96, 1000, 10)] == [96, 98]
        assert await store.page("q", 50, 50, 10) == []
        seqs = [m.seq for m in await store.page("q", 0, 100, 100)]
        assert seqs == sorted({*range(0, 100, 2), 11} - {4, 6, 8})
        with pytest.raises(KeyError):
            await store.page("nope", 0, 10, 1)

    run_engine(body)


def test_page_fills_past_removed_rows(run_engine: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs(range(1000)))
        store.remove("q", list(range(0, 900)))  # pending: the file still holds them
        page = await store.page("q", 0, 1000, 50)
        assert [m.seq for m in page] == list(range(900, 950))

    run_engine(body)


# --- the embedded engine's specifics ---------------------------------------------------------


def test_messages_survive_a_restart(make_engine: Callable[[], Engine]) -> None:
    if isinstance(make_engine(), MemoryEngine):
        pytest.skip("nothing to restart from")

    async def write() -> None:
        engine = make_engine()
        await engine.start()
        store = engine.queues
        for name in ("q", "cleared", "gone", "empty"):
            await store.create(name)
        await store.add("q", msgs(range(6)))
        await store.add("cleared", msgs(range(3)))
        await store.add("gone", msgs(range(3)))
        await store.set_state("q", [(2, b"received")])
        await store.remove("q", [0, 5])
        await store.clear("cleared")
        await store.add("cleared", msgs([9], "new"))
        await store.drop("gone")
        store.add("q", msgs([6], "last"))  # not awaited: close commits it
        await engine.close()

    async def reopen() -> None:
        engine = make_engine()
        await engine.start()
        store = engine.queues
        assert sorted(store.queues()) == ["cleared", "empty", "q"]
        assert rows(store, "q") == [
            (1, b"m-record-1", b"m-state-1"),
            (2, b"m-record-2", b"received"),
            (3, b"m-record-3", b"m-state-3"),
            (4, b"m-record-4", b"m-state-4"),
            (6, b"last-record-6", b"last-state-6"),
        ]
        assert rows(store, "cleared") == msgs([9], "new")
        assert store.stats("q") == (5, 7) and store.stats("cleared") == (1, 10)
        assert rows(store, "empty") == []
        assert await store.records("q", [2, 5]) == [b"m-record-2", None]
        await store.create("gone")
        assert rows(store, "gone") == []
        await engine.close()

    asyncio.run(write())
    asyncio.run(reopen())


def count_rows(path: Path, qid: int | None = None) -> tuple[int, int]:
    """(records, states) rows, of one queue id or all."""
    lo, hi = (0, 2**63 - 1) if qid is None else (qid << OFFSET_BITS, (qid + 1) << OFFSET_BITS)
    with sqlite3.connect(path) as db:
        return tuple(  # type: ignore[return-value]
            db.execute(f"SELECT count(*) FROM {table} WHERE key >= ? AND key < ?", (lo, hi)).fetchone()[0]
            for table in ("queue_records", "queue_states")
        )


async def fill(engine: EmbeddedEngine, queue: str, n: int, batch: int = 5000) -> None:
    await asyncio.gather(
        *(engine.queues.add(queue, msgs(range(i, min(n, i + batch)))) for i in range(0, n, batch))
    )


def test_drop_and_clear_delete_in_the_background_while_writes_go_on(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        store = engine.queues
        await store.create("dropped")  # qid 1
        await store.create("cleared")  # qid 2
        await store.create("live")
        await fill(engine, "dropped", 60_000)
        await fill(engine, "cleared", 60_000)
        done = [store.drop("dropped"), store.clear("cleared"), store.add("live", msgs([1]))]
        await asyncio.gather(*done)
        # Acknowledged long before the background deletes (120 paced chunks each) are through.
        assert sum(count_rows(engine.path, 1)) + sum(count_rows(engine.path, 2)) > 100_000
        assert rows(store, "cleared") == []
        await engine.settle()
        assert count_rows(engine.path) == (1, 1)
        with sqlite3.connect(engine.path) as db:
            assert sorted(db.execute("SELECT name, dropped FROM queues")) == [("cleared", 0), ("live", 0)]
        await engine.close()

    asyncio.run(main())


def test_an_interrupted_drop_resumes_after_restart(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.queues.create("big")
        await fill(engine, "big", 20_000)
        await engine.queues.drop("big")
        await engine.close()  # right away: the background delete may be cut short
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        assert engine.queues.queues() == []
        await engine.queues.create("big")
        assert rows(engine.queues, "big") == []
        await engine.settle()
        assert count_rows(engine.path) == (0, 0)
        await engine.close()

    asyncio.run(main())


def test_reset_deletes_queue_rows(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.queues.create("q")
        await fill(engine, "q", 5000)
        await engine.reset()
        await engine.settle()
        assert count_rows(engine.path) == (0, 0)
        await engine.close()
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        assert engine.queues.queues() == []
        await engine.close()

    asyncio.run(main())


def test_durable_writes_are_acknowledged_only_after_commit(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.queues.create("q")
        gate, waiting = threading.Event(), threading.Event()

        def hold() -> None:
            waiting.set()
            assert gate.wait(10)

        engine._writer.before_commit = hold
        done = engine.queues.add("q", msgs([1]))
        assert await asyncio.to_thread(waiting.wait, 10)  # the writer is about to COMMIT
        for _ in range(5):
            await asyncio.sleep(0)
        assert not done.done()  # type: ignore[attr-defined]
        assert count_rows(engine.path) == (0, 0)
        assert rows(engine.queues, "q") == msgs([1])  # the loop sees it already
        assert await engine.queues.records("q", [1]) == [b"m-record-1"]
        engine._writer.before_commit = None
        gate.set()
        await done
        assert count_rows(engine.path) == (1, 1)
        await engine.close()

    asyncio.run(main())


def test_a_run_of_writes_in_one_commit_lands_as_written_one_by_one(tmp_path: Path) -> None:
    """Adds (and removes) next to each other in one transaction go in as one statement per table
    (ops.apply_all): overlapping seqs, another queue between them and the counts still come out as
    the reference store's, before and after a restart."""

    async def main() -> None:
        engine, reference = EmbeddedEngine(tmp_path / "data", "durable"), MemoryQueueStore()
        await engine.start()
        for store in (engine.queues, reference):
            await store.create("q")
            await store.create("other")
        gate, waiting = threading.Event(), threading.Event()

        def hold() -> None:
            waiting.set()
            assert gate.wait(10)

        engine._writer.before_commit = hold
        first = engine.queues.add("q", msgs([0]))
        assert await asyncio.to_thread(waiting.wait, 10)  # what follows queues up behind this commit
        engine._writer.before_commit = None
        writes: list[Callable[[QueueStore], Awaitable[None]]] = [
            lambda s: s.add("q", msgs(range(1, 40))),
            lambda s: s.add("q", msgs([5, 41, 42], "again")),  # 5 overwritten within the run
            lambda s: s.add("q", msgs([42, 43], "third")),
            lambda s: s.add("other", msgs([1, 2])),
            lambda s: s.add("q", msgs([44])),
            lambda s: s.remove("q", [1, 2, 44]),
            lambda s: s.remove("q", [2, 3, 99]),  # 2 again, 99 never stored
            lambda s: s.set_state("q", [(4, b"received")]),
            lambda s: s.remove("other", [2]),
        ]
        pending = [write(engine.queues) for write in writes]
        gate.set()
        await first
        await asyncio.gather(*pending)
        await reference.add("q", msgs([0]))
        for write in writes:
            await write(reference)
        for name in ("q", "other"):
            assert rows(engine.queues, name) == rows(reference, name)
            assert engine.queues.stats(name) == reference.stats(name)
        await engine.close()
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        for name in ("q", "other"):
            assert rows(engine.queues, name) == rows(reference, name)
            assert engine.queues.stats(name) == reference.stats(name)
        await engine.close()

    asyncio.run(main())


def test_reads_between_commit_and_acknowledgement(tmp_path: Path) -> None:
    """The file already holds writes the loop still has pending: applying them twice is harmless."""

    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        store = engine.queues
        await store.create("q")
        await store.add("q", msgs(range(3)))
        waits = [
            store.remove("q", [0]),
            store.add("q", msgs([3], "new")),
            store.set_state("q", [(1, b"s1"), (3, b"s3")]),
        ]
        # Without yielding to the loop (which would acknowledge them), wait for the last commit.
        deadline = time.monotonic() + 10
        while state_in_file(engine.path, 3) != b"s3":
            assert time.monotonic() < deadline
            time.sleep(0.001)
        expected = [(1, b"m-record-1", b"s1"), (2, b"m-record-2", b"m-state-2"), (3, b"new-record-3", b"s3")]
        assert rows(store, "q") == expected
        assert await store.records("q", [0, 1, 3]) == [None, b"m-record-1", b"new-record-3"]
        await asyncio.gather(*waits)
        assert rows(store, "q") == expected
        await engine.close()

    asyncio.run(main())


def state_in_file(path: Path, seq: int) -> bytes | None:
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT state FROM queue_states WHERE key & ? = ?", ((1 << OFFSET_BITS) - 1, seq)
        ).fetchone()
    return None if row is None else row[0]


def test_records_of_a_queue_dropped_or_cleared_during_the_read(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        store = engine.queues
        for name in ("dropped", "cleared"):
            await store.create(name)
            await store.add(name, msgs([1, 2]))
        for name, change in (("dropped", store.drop), ("cleared", store.clear)):
            gate = threading.Event()
            store._pool.submit(gate.wait, 10)  # holds the reader thread
            read = asyncio.create_task(store.records(name, [1, 2]))
            await asyncio.sleep(0)  # the task takes its snapshot of the overlay and waits for the reader
            await change(name)
            gate.set()
            assert await read == [None, None]
        assert rows(store, "cleared") == []
        await engine.close()

    asyncio.run(main())


def test_a_data_file_from_before_queues_opens_and_gains_them(tmp_path: Path) -> None:
    async def write_log() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.log.create_partition("p")
        await engine.log.append("p", [Entry(1, b"kept")])[1]
        await engine.close()

    asyncio.run(write_log())
    path = tmp_path / "data" / "headwater.sqlite3"
    with sqlite3.connect(path) as db:  # as the engine left files before the queue store existed
        for table in ("queues", "queue_records", "queue_states"):
            db.execute(f"DROP TABLE {table}")

    async def reopen() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        assert [e.payload for e in engine.log.read("p", 0, 10, 100)] == [b"kept"]
        assert engine.queues.queues() == []
        await engine.queues.create("q")
        await engine.queues.add("q", msgs([1]))
        assert rows(engine.queues, "q") == msgs([1])
        await engine.close()

    asyncio.run(reopen())


def test_a_data_file_from_before_message_counts_counts_once_at_start(tmp_path: Path) -> None:
    async def write() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        await engine.queues.create("q")
        await engine.queues.add("q", msgs(range(7)))
        await engine.close()

    asyncio.run(write())
    path = tmp_path / "data" / "headwater.sqlite3"
    with sqlite3.connect(path) as db:  # as files were before queues counted their messages
        db.execute("ALTER TABLE queues DROP COLUMN stored")

    async def reopen() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        assert engine.queues.stats("q") == (7, 7)
        await engine.queues.remove("q", [0])
        assert engine.queues.stats("q") == (6, 7)
        await engine.close()

    asyncio.run(reopen())
