"""The engine's interfaces: a partitioned append-only log and a metadata store.

Implementations: `memory` (reference, for unit tests and `--durability memory`) and `embedded`
(SQLite, one writer thread with group commit). One contract suite (tests/engine) runs against both.

Rules every implementation keeps:
- Offsets are per partition, start at 0, and increase by one per appended entry in append order.
  `append` assigns them at call time (so concurrent appends are ordered by call order), and its
  returned awaitable completes once the entries are durable for the configured durability mode.
- Readers see an entry only once it is committed (durable), never before.
- Trimming deletes entries; offsets are never reused.
- Metadata `put`/`delete` are durable when their awaitable completes; `get`/`scan` see the newest
  value written, committed or not (the service layer owns the in-memory truth).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Entry:
    """One record to append: opaque payload plus the arrival time the engine indexes by."""

    timestamp_ms: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class StoredEntry:
    offset: int
    timestamp_ms: int
    payload: bytes


class Log(Protocol):
    def create_partition(self, partition: str) -> Awaitable[None]: ...

    def drop_partition(self, partition: str) -> Awaitable[None]:
        """Deletes the partition and all its entries (space given back in the background)."""
        ...

    def partitions(self) -> list[str]: ...

    def append(self, partition: str, entries: Sequence[Entry]) -> tuple[int, Awaitable[None]]:
        """Assigns consecutive offsets now; returns the first one and an awaitable that completes
        once the entries are durable. Raises KeyError for an unknown partition."""
        ...

    def read(self, partition: str, offset: int, max_count: int, max_bytes: int) -> list[StoredEntry]:
        """Committed entries with offset >= `offset`, oldest first, at most `max_count` of them and
        stopping before `max_bytes` of payload would be exceeded (but always at least one entry if
        one exists)."""
        ...

    async def read_async(
        self, partition: str, offset: int, max_count: int, max_bytes: int
    ) -> list[StoredEntry]:
        """`read`, with entries that must come from disk read off the event loop (a whole GetRecords
        page of old data can take tens of milliseconds)."""
        ...

    def next_offset(self, partition: str) -> int:
        """The offset the next appended entry will get (including uncommitted ones)."""
        ...

    def committed_offset(self, partition: str) -> int:
        """One past the newest committed entry: readers see offsets below it."""
        ...

    def first_offset(self, partition: str) -> int:
        """The oldest retained offset (== committed_offset when empty)."""
        ...

    def offset_at_time(self, partition: str, timestamp_ms: int) -> int:
        """The first retained offset whose timestamp is >= `timestamp_ms`
        (committed_offset if none)."""
        ...

    def trim(self, partition: str, before_timestamp_ms: int) -> Awaitable[int]:
        """Deletes committed entries older than the timestamp; returns how many went."""
        ...


class MetaStore(Protocol):
    def get(self, namespace: str, key: str) -> bytes | None: ...

    def put(self, namespace: str, key: str, value: bytes) -> Awaitable[None]: ...

    def delete(self, namespace: str, key: str) -> Awaitable[None]: ...

    def scan(self, namespace: str) -> Iterable[tuple[str, bytes]]:
        """Every (key, value) of the namespace, keys in ascending order."""
        ...


class Engine(Protocol):
    log: Log
    meta: MetaStore

    async def start(self) -> None: ...

    async def close(self) -> None:
        """Flushes everything pending and releases files."""
        ...

    async def reset(self) -> None:
        """Drops all data (test isolation)."""
        ...
