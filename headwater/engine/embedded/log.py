"""The embedded Log: loop-thread state and reads; every write goes through the writer thread.

Per partition the loop keeps three counters: `next` (handed out by append, at call time),
`committed` (advanced when the writer reports a commit) and `first` (the trim floor). Readers see
[first, committed): from the tail cache when the range starts inside it, otherwise from the
read-only connection and then the cache. Trims and drops take effect for readers at once; the rows
go in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from headwater.engine.api import Entry, StoredEntry
from headwater.engine.embedded.cache import TailCache
from headwater.engine.embedded.ops import Append, CreatePartition, DropPartition, Trim
from headwater.engine.embedded.schema import MAX_PID, OFFSET_MASK, Reader, Recovered
from headwater.engine.embedded.writer import Writer
from headwater.engine.memory import NO_MARK, EntryBuffer, completed, stamp


class _Partition:
    __slots__ = ("pid", "next", "committed", "first", "mark", "tail", "dropped")

    def __init__(self, pid: int, first: int = 0, next_offset: int = 0, mark: int = NO_MARK) -> None:
        self.pid = pid
        self.first = first
        self.next = next_offset
        self.committed = next_offset
        self.mark = mark  # running max timestamp of everything handed out
        self.tail = EntryBuffer()  # a suffix of [first, committed)
        self.dropped = False


class EmbeddedLog:
    def __init__(self, writer: Writer, cache: TailCache) -> None:
        self._writer = writer
        self._cache = cache
        self._reader: Reader | None = None
        self._parts: dict[str, _Partition] = {}
        self._next_pid = 1
        # read_async's disk reads: one thread with a connection of its own (sqlite3 connections stay
        # in the thread that made them)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="headwater-reader")
        self._pool_reader: Reader | None = None
        self._path: Path | None = None

    def load(self, recovered: Recovered, reader: Reader, path: Path) -> None:
        self._reader = reader
        self._path = path
        self._next_pid = recovered.max_pid + 1
        for r in recovered.partitions:
            self._parts[r.name] = _Partition(r.pid, r.first, r.next, r.mark)

    def clear(self) -> None:
        for part in self._parts.values():
            part.dropped = True
        self._parts.clear()
        self._cache.clear()

    # --- writes ------------------------------------------------------------------------------

    def create_partition(self, partition: str) -> Awaitable[None]:
        self._writer.check()
        if partition in self._parts:
            raise ValueError(f"partition {partition!r} already exists")
        if self._next_pid > MAX_PID:
            raise RuntimeError("partition ids exhausted")
        pid, self._next_pid = self._next_pid, self._next_pid + 1
        self._parts[partition] = _Partition(pid)
        return self._writer.submit(CreatePartition(pid, partition))

    def drop_partition(self, partition: str) -> Awaitable[None]:
        self._writer.check()
        part = self._parts.pop(partition)
        part.dropped = True
        self._cache.forget(part.tail)
        return self._writer.submit(DropPartition(part.pid))

    def append(self, partition: str, entries: Sequence[Entry]) -> tuple[int, Awaitable[None]]:
        part = self._parts[partition]
        first = part.next
        if not entries:
            return first, completed(None)
        self._writer.check()
        if first + len(entries) > OFFSET_MASK:
            raise OverflowError(f"partition {partition!r} is out of offsets")
        stored, marks = stamp(first, entries, part.mark)
        part.next, part.mark = first + len(stored), marks[-1]
        return first, self._writer.submit(Append(part.pid, stored, marks, self._on_commit(part)))

    def _on_commit(self, part: _Partition) -> Callable[[Append], None]:
        def committed(op: Append) -> None:
            if part.dropped:
                return
            part.committed = op.entries[-1].offset + 1
            self._cache.add(part.tail, op.entries, op.marks)

        return committed

    def trim(self, partition: str, before_timestamp_ms: int) -> Awaitable[int]:
        part = self._parts[partition]
        boundary = self.offset_at_time(partition, before_timestamp_ms)
        if boundary <= part.first:
            return completed(0)
        self._writer.check()
        count = boundary - part.first
        part.first = boundary
        self._cache.drop_before(part.tail, boundary)
        return self._writer.submit(Trim(part.pid, boundary, count))

    # --- reads -------------------------------------------------------------------------------

    def partitions(self) -> list[str]:
        return list(self._parts)

    def next_offset(self, partition: str) -> int:
        return self._parts[partition].next

    def committed_offset(self, partition: str) -> int:
        return self._parts[partition].committed

    def first_offset(self, partition: str) -> int:
        return self._parts[partition].first

    def read(self, partition: str, offset: int, max_count: int, max_bytes: int) -> list[StoredEntry]:
        part = self._parts[partition]
        start = max(offset, part.first)
        if start >= part.committed or max_count <= 0:
            return []
        tail = part.tail
        if len(tail) and start >= tail.first:
            return tail.read(start, max_count, max_bytes)
        stop = tail.first if len(tail) else part.committed
        assert self._reader is not None
        out = self._reader.read(part.pid, start, stop, max_count, max_bytes)
        if len(out) == stop - start and len(tail) and len(out) < max_count:
            used = sum(len(e.payload) for e in out)
            out += tail.read(stop, max_count - len(out), max_bytes - used, at_least_one=False)
        return out

    async def read_async(
        self, partition: str, offset: int, max_count: int, max_bytes: int
    ) -> list[StoredEntry]:
        part = self._parts[partition]
        start = max(offset, part.first)
        tail = part.tail
        if start >= part.committed or max_count <= 0 or (len(tail) and start >= tail.first):
            return self.read(partition, offset, max_count, max_bytes)
        stop = tail.first if len(tail) else part.committed
        loop = asyncio.get_running_loop()
        out = await loop.run_in_executor(
            self._pool, self._read_off_loop, part.pid, start, stop, max_count, max_bytes
        )
        # The tail may have moved on while the thread read: top up only where it still continues.
        if part.dropped:
            return []
        if len(out) == stop - start and len(out) < max_count and len(tail) and tail.first <= stop < tail.end:
            used = sum(len(e.payload) for e in out)
            out += tail.read(stop, max_count - len(out), max_bytes - used, at_least_one=False)
        return out

    def _read_off_loop(
        self, pid: int, start: int, stop: int, max_count: int, max_bytes: int
    ) -> list[StoredEntry]:
        if self._pool_reader is None:
            assert self._path is not None
            self._pool_reader = Reader(self._path)
        return self._pool_reader.read(pid, start, stop, max_count, max_bytes)

    def close(self) -> None:
        """Closes the reader thread and its connection."""

        def close_reader() -> None:
            if self._pool_reader is not None:
                self._pool_reader.close()
                self._pool_reader = None

        self._pool.submit(close_reader)
        self._pool.shutdown(wait=True)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="headwater-reader")

    def offset_at_time(self, partition: str, timestamp_ms: int) -> int:
        part = self._parts[partition]
        tail = part.tail
        if len(tail) and tail.first_mark < timestamp_ms:  # the answer lies past the tail's start
            found = tail.offset_of_mark(timestamp_ms)
            return part.committed if found is None else found
        hi = tail.first if len(tail) else part.committed
        if part.first >= hi:
            return hi
        assert self._reader is not None
        return self._reader.search_mark(part.pid, part.first, hi, timestamp_ms)
