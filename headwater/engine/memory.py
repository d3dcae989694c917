"""The in-memory engine: the reference semantics of engine/api.py, with nothing on disk.

Time lookups use each entry's *mark*: the running maximum of the timestamps appended so far to its
partition. Marks never decrease, so `offset_at_time` is a binary search and `trim` always cuts a
prefix, even if the clock steps back. For "the first offset whose timestamp >= t" the mark is
exact: the first entry whose mark reaches t is the first whose own timestamp does.

`EntryBuffer` (a contiguous run of entries, cheap to extend at the end and cut at the front) is also
the embedded engine's tail cache.

`MemoryQueueStore` is a dict of messages per queue. Queue seqs are bounded by MAX_QUEUE_SEQ here too,
so that a service tested in memory fails the same way it would on disk (the embedded engine packs
(queue id, seq) into one 63-bit key).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left, bisect_right
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from itertools import accumulate
from typing import TypeVar

from headwater.engine.api import Entry, QueuedMessage, StoredEntry
from headwater.engine.memory_blobs import MemoryBlobStore
from headwater.engine.memory_ordered import MemoryOrderedStore

T = TypeVar("T")

# Rough Python-object bytes around each cached payload (StoredEntry, ints, list slots): counted
# against cache budgets so a budget bounds real memory, not just payload bytes.
ENTRY_OVERHEAD = 160
NO_MARK = -(2**63)
_COMPACT_MIN = 4096
MAX_QUEUE_SEQ = (1 << 40) - 1


def completed(value: T) -> asyncio.Future[T]:
    """An already-resolved future: the awaitable of an operation that is durable at once."""
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


def stamp(first_offset: int, entries: Sequence[Entry], mark: int) -> tuple[list[StoredEntry], list[int]]:
    """Gives `entries` consecutive offsets from `first_offset` and their marks, continuing `mark`."""
    stored: list[StoredEntry] = []
    marks: list[int] = []
    offset = first_offset
    for entry in entries:
        ts = entry.timestamp_ms
        if ts > mark:
            mark = ts
        stored.append(StoredEntry(offset, ts, entry.payload))
        marks.append(mark)
        offset += 1
    return stored, marks


class EntryBuffer:
    """A contiguous run of entries [first, end), with cumulative payload sizes so that a byte-bounded
    read is two bisects, and marks so that a time lookup is one."""

    __slots__ = ("_entries", "_marks", "_starts", "_total", "_base", "_head")

    def __init__(self) -> None:
        self._entries: list[StoredEntry | None] = []  # None: dropped slot awaiting compaction
        self._marks: list[int] = []
        self._starts: list[int] = []  # cumulative payload bytes before each entry
        self._total = 0  # cumulative payload bytes after the last entry
        self._base = 0  # offset of _entries[0]
        self._head = 0  # index of the first live entry

    def __len__(self) -> int:
        return len(self._entries) - self._head

    @property
    def first(self) -> int:
        return self._base + self._head

    @property
    def end(self) -> int:
        return self._base + len(self._entries)

    @property
    def first_mark(self) -> int:
        return self._marks[self._head] if len(self) else NO_MARK

    @property
    def nbytes(self) -> int:
        """Payload bytes plus per-entry overhead of the live entries."""
        if not len(self):
            return 0
        return self._total - self._starts[self._head] + ENTRY_OVERHEAD * len(self)

    def _start_at(self, index: int) -> int:
        return self._starts[index] if index < len(self._starts) else self._total

    def extend(self, entries: Sequence[StoredEntry], marks: Sequence[int]) -> int:
        """Adds entries continuing the run (or starting it anew if empty); returns the bytes added."""
        if not entries:
            return 0
        if not len(self):
            self._restart(entries[0].offset)
        elif entries[0].offset != self.end:
            raise ValueError(f"entry {entries[0].offset} does not continue the run ending at {self.end}")
        starts = list(accumulate((len(e.payload) for e in entries), initial=self._total))
        self._total = starts.pop()
        added = self._total - starts[0] + ENTRY_OVERHEAD * len(entries)
        self._entries.extend(entries)
        self._marks.extend(marks)
        self._starts.extend(starts)
        return added

    def drop_before(self, offset: int) -> int:
        """Drops entries below `offset`; returns the bytes freed."""
        head = self._head
        stop = min(offset, self.end) - self._base
        if stop <= head:
            return 0
        freed = self._start_at(stop) - self._starts[head] + ENTRY_OVERHEAD * (stop - head)
        if stop == len(self._entries):
            self._restart(self.end)
            return freed
        self._entries[head:stop] = [None] * (stop - head)  # release the payloads now
        self._head = stop
        if stop >= _COMPACT_MIN and stop * 2 >= len(self._entries):
            del self._entries[:stop], self._marks[:stop], self._starts[:stop]
            self._base += stop
            self._head = 0
        return freed

    def clear(self) -> int:
        return self.drop_before(self.end)

    def _restart(self, offset: int) -> None:
        self._entries, self._marks, self._starts = [], [], []
        self._base, self._head = offset, 0

    def read(
        self, offset: int, max_count: int, max_bytes: int, at_least_one: bool = True
    ) -> list[StoredEntry]:
        """Entries from `offset` on, at most `max_count`, whose payloads fit in `max_bytes`; the first
        one regardless of its size if `at_least_one`."""
        i = max(offset, self.first) - self._base
        size = len(self._entries)
        if i >= size or max_count <= 0:
            return []
        hi = min(size, i + max_count)
        limit = self._starts[i] + max_bytes
        j = hi if self._start_at(hi) <= limit else bisect_right(self._starts, limit, i, hi) - 1
        if j <= i:
            j = i + 1 if at_least_one else i
        return self._entries[i:j]  # type: ignore[return-value]  # slots from the head on are live

    def offset_of_mark(self, mark: int) -> int | None:
        """The first offset whose mark is >= `mark`, None if every live mark is below it."""
        i = bisect_left(self._marks, mark, self._head)
        return self._base + i if i < len(self._marks) else None


class _Partition:
    __slots__ = ("entries", "next", "mark")

    def __init__(self) -> None:
        self.entries = EntryBuffer()
        self.next = 0
        self.mark = NO_MARK

    @property
    def first(self) -> int:
        return self.entries.first if len(self.entries) else self.next


class MemoryLog:
    def __init__(self) -> None:
        self._partitions: dict[str, _Partition] = {}

    def create_partition(self, partition: str) -> Awaitable[None]:
        if partition in self._partitions:
            raise ValueError(f"partition {partition!r} already exists")
        self._partitions[partition] = _Partition()
        return completed(None)

    def drop_partition(self, partition: str) -> Awaitable[None]:
        del self._partitions[partition]
        return completed(None)

    def partitions(self) -> list[str]:
        return list(self._partitions)

    def append(self, partition: str, entries: Sequence[Entry]) -> tuple[int, Awaitable[None]]:
        p = self._partitions[partition]
        first = p.next
        stored, marks = stamp(first, entries, p.mark)
        if stored:
            p.entries.extend(stored, marks)
            p.next, p.mark = first + len(stored), marks[-1]
        return first, completed(None)

    def read(self, partition: str, offset: int, max_count: int, max_bytes: int) -> list[StoredEntry]:
        return self._partitions[partition].entries.read(offset, max_count, max_bytes)

    async def read_async(
        self, partition: str, offset: int, max_count: int, max_bytes: int
    ) -> list[StoredEntry]:
        return self.read(partition, offset, max_count, max_bytes)

    def next_offset(self, partition: str) -> int:
        return self._partitions[partition].next

    def committed_offset(self, partition: str) -> int:
        return self._partitions[partition].next

    def first_offset(self, partition: str) -> int:
        return self._partitions[partition].first

    def offset_at_time(self, partition: str, timestamp_ms: int) -> int:
        p = self._partitions[partition]
        found = p.entries.offset_of_mark(timestamp_ms)
        return p.next if found is None else found

    def trim(self, partition: str, before_timestamp_ms: int) -> Awaitable[int]:
        p = self._partitions[partition]
        boundary = self.offset_at_time(partition, before_timestamp_ms)
        count = max(0, boundary - p.first)
        p.entries.drop_before(boundary)
        return completed(count)

    def clear(self) -> None:
        self._partitions.clear()


class MemoryMetaStore:
    """Also the embedded engine's in-memory view of its metadata (it adds the writes to disk)."""

    def __init__(self) -> None:
        self._namespaces: dict[str, dict[str, bytes]] = {}

    def get(self, namespace: str, key: str) -> bytes | None:
        values = self._namespaces.get(namespace)
        return None if values is None else values.get(key)

    def put(self, namespace: str, key: str, value: bytes) -> Awaitable[None]:
        self._store(namespace, key, value)
        return completed(None)

    def delete(self, namespace: str, key: str) -> Awaitable[None]:
        self._remove(namespace, key)
        return completed(None)

    def _store(self, namespace: str, key: str, value: bytes) -> None:
        self._namespaces.setdefault(namespace, {})[key] = value

    def _remove(self, namespace: str, key: str) -> None:
        values = self._namespaces.get(namespace)
        if values is not None:
            values.pop(key, None)
            if not values:
                del self._namespaces[namespace]

    def scan(self, namespace: str) -> Iterable[tuple[str, bytes]]:
        return sorted(self._namespaces.get(namespace, {}).items())

    def load(self, namespaces: dict[str, dict[str, bytes]]) -> None:
        self._namespaces = namespaces

    def clear(self) -> None:
        self._namespaces = {}


def check_seqs(messages: Sequence[tuple[int, bytes, bytes]]) -> None:
    """Refuses seqs the store cannot key (before anything is written)."""
    for seq, _, _ in messages:
        if not 0 <= seq <= MAX_QUEUE_SEQ:
            raise ValueError(f"queue seq {seq} is outside [0, {MAX_QUEUE_SEQ}]")


class MemoryQueueStore:
    def __init__(self) -> None:
        self._queues: dict[str, dict[int, tuple[bytes, bytes]]] = {}  # seq -> (record, state)

    def create(self, queue: str) -> Awaitable[None]:
        if queue in self._queues:
            raise ValueError(f"queue {queue!r} already exists")
        self._queues[queue] = {}
        return completed(None)

    def drop(self, queue: str) -> Awaitable[None]:
        del self._queues[queue]
        return completed(None)

    def queues(self) -> list[str]:
        return list(self._queues)

    def add(self, queue: str, messages: Sequence[tuple[int, bytes, bytes]]) -> Awaitable[None]:
        stored = self._queues[queue]
        check_seqs(messages)
        for seq, record, state in messages:
            stored[seq] = (record, state)
        return completed(None)

    def set_state(self, queue: str, updates: Sequence[tuple[int, bytes]]) -> Awaitable[None]:
        stored = self._queues[queue]
        for seq, state in updates:
            old = stored.get(seq)
            if old is not None:
                stored[seq] = (old[0], state)
        return completed(None)

    def remove(self, queue: str, seqs: Sequence[int]) -> Awaitable[None]:
        stored = self._queues[queue]
        for seq in seqs:
            stored.pop(seq, None)
        return completed(None)

    def clear(self, queue: str) -> Awaitable[None]:
        if queue not in self._queues:
            raise KeyError(queue)
        self._queues[queue] = {}
        return completed(None)

    def load(self, queue: str, records: bool = True) -> Iterator[QueuedMessage]:
        snapshot = sorted(self._queues[queue].items())  # now, not when the caller starts iterating
        if records:
            return (QueuedMessage(seq, record, state) for seq, (record, state) in snapshot)
        return (QueuedMessage(seq, None, state) for seq, (_, state) in snapshot)

    async def records(self, queue: str, seqs: Sequence[int]) -> list[bytes | None]:
        stored = self._queues[queue]
        return [None if (found := stored.get(seq)) is None else found[0] for seq in seqs]

    def stats(self, queue: str) -> tuple[int, int]:
        stored = self._queues[queue]
        return len(stored), (max(stored) + 1 if stored else 0)

    async def page(self, queue: str, start: int, stop: int, limit: int) -> list[QueuedMessage]:
        stored = self._queues[queue]
        if stop - start <= 16 * limit + 1024:  # a backlog's seqs are dense: walk them
            seqs = [seq for seq in range(max(0, start), stop) if seq in stored][: max(0, limit)]
        else:
            seqs = sorted(seq for seq in stored if start <= seq < stop)[: max(0, limit)]
        return [QueuedMessage(seq, *stored[seq]) for seq in seqs]

    def clear_all(self) -> None:
        self._queues = {}


class MemoryEngine:
    def __init__(self) -> None:
        self.log = MemoryLog()
        self.queues = MemoryQueueStore()
        self.meta = MemoryMetaStore()
        self.ordered = MemoryOrderedStore()
        self.blobs = MemoryBlobStore()

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def reset(self) -> None:
        self.log.clear()
        self.queues.clear_all()
        self.meta.clear()
        self.ordered.clear()
        self.blobs.clear()
