"""EntryBuffer (the memory log and the tail cache) and the tail cache's byte budget."""

from __future__ import annotations

import random

import pytest

from headwater.engine.api import StoredEntry
from headwater.engine.embedded.cache import TailCache
from headwater.engine.memory import ENTRY_OVERHEAD, EntryBuffer


def run(first: int, sizes: list[int]) -> list[StoredEntry]:
    return [StoredEntry(first + i, first + i, b"x" * size) for i, size in enumerate(sizes)]


def naive_read(entries: list[StoredEntry], offset: int, max_count: int, max_bytes: int) -> list[StoredEntry]:
    out: list[StoredEntry] = []
    used = 0
    for e in entries:
        if e.offset < offset or len(out) >= max_count:
            continue
        used += len(e.payload)
        if used > max_bytes and out:
            break
        out.append(e)
    return out


def test_reads_match_a_naive_reference() -> None:
    rng = random.Random(7)
    buffer = EntryBuffer()
    kept: list[StoredEntry] = []
    next_offset = 100
    for _ in range(300):
        batch = run(next_offset, [rng.randrange(0, 50) for _ in range(rng.randrange(1, 40))])
        buffer.extend(batch, [e.timestamp_ms for e in batch])
        kept += batch
        next_offset += len(batch)
        if rng.random() < 0.3:
            cut = rng.randrange(kept[0].offset, next_offset + 1)
            buffer.drop_before(cut)
            kept = [e for e in kept if e.offset >= cut]
        assert len(buffer) == len(kept)
        assert buffer.nbytes == sum(len(e.payload) + ENTRY_OVERHEAD for e in kept)
        for _ in range(5):
            offset = rng.randrange(90, next_offset + 5)
            count, limit = rng.randrange(0, 60), rng.randrange(0, 800)
            assert buffer.read(offset, count, limit) == naive_read(kept, offset, count, limit)


def test_extend_must_continue_the_run() -> None:
    buffer = EntryBuffer()
    buffer.extend(run(5, [1, 1]), [0, 0])
    with pytest.raises(ValueError):
        buffer.extend(run(8, [1]), [0])
    buffer.clear()
    buffer.extend(run(50, [1]), [0])  # an emptied buffer starts anew anywhere
    assert (buffer.first, buffer.end) == (50, 51)


def test_large_drops_compact_and_keep_offsets() -> None:
    buffer = EntryBuffer()
    buffer.extend(run(0, [1] * 10_000), list(range(10_000)))
    buffer.drop_before(9_000)
    assert (buffer.first, buffer.end, len(buffer)) == (9_000, 10_000, 1_000)
    assert [e.offset for e in buffer.read(9_998, 10, 100)] == [9_998, 9_999]
    assert buffer.offset_of_mark(9_500) == 9_500 and buffer.offset_of_mark(10) == 9_000
    assert buffer.offset_of_mark(10_000) is None


def test_tail_cache_stays_within_budget_and_keeps_suffixes() -> None:
    cache = TailCache(budget=10 * (100 + ENTRY_OVERHEAD))  # room for 10 entries of 100 bytes
    a, b = EntryBuffer(), EntryBuffer()
    for i in range(0, 30, 3):
        for buffer in (a, b):
            batch = run(i, [100] * 3)
            cache.add(buffer, batch, [0] * 3)
            assert cache.nbytes <= cache.budget
            assert buffer.end == i + 3  # whatever was evicted came off the front
    assert cache.nbytes == a.nbytes + b.nbytes and len(a) + len(b) >= 6
    cache.forget(a)
    assert len(a) == 0 and cache.nbytes == b.nbytes


def test_tail_cache_with_no_budget_caches_nothing() -> None:
    cache, buffer = TailCache(budget=0), EntryBuffer()
    cache.add(buffer, run(0, [10]), [0])
    assert len(buffer) == 0 and cache.nbytes == 0
