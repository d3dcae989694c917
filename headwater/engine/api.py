"""The engine's interfaces: a partitioned append-only log, a queue store, a metadata store, an
ordered key-value store (for records too many to hold in memory) and a blob store.

Implementations: `memory` (reference, for unit tests and `--durability memory`) and `embedded`
(SQLite, one writer thread with group commit). One contract suite (tests/engine) runs against both.

Rules every implementation keeps:
- Offsets are per partition, start at 0, and increase by one per appended entry in append order.
  `append` assigns them at call time (so concurrent appends are ordered by call order), and its
  returned awaitable completes once the entries are durable for the configured durability mode.
- Readers see an entry only once it is committed (durable), never before.
- Trimming deletes entries; offsets are never reused.
- A blob is immutable once committed. `BlobWriter.commit` returns only when the blob is durable for
  the mode (durable: file and directory fsynced); an uncommitted or aborted blob leaves nothing
  behind, even after a crash. Blobs stream: nothing holds a whole large blob in memory.
- Metadata `put`/`delete` are durable when their awaitable completes; `get`/`scan` see the newest
  value written, committed or not (the service layer owns the in-memory truth).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
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


Change = tuple[str, str, bytes | None]  # (namespace, key, value); None deletes the key


class OrderedStore(Protocol):
    """Namespaces of string keys in code point order (UTF-8 byte order), too many to hold in memory.

    Reads see every write made so far, committed or not, as the metadata store's do (a caller can
    read-modify-write without awaiting in between). `write` applies its changes atomically: after a
    crash all of them are there or none. Implementations may keep a bounded cache; nothing here is
    O(keys) in memory or at start-up."""

    def get(self, namespace: str, key: str) -> bytes | None: ...

    def scan_range(
        self, namespace: str, start_after: str | None, prefix: str, limit: int
    ) -> list[tuple[str, bytes]]:
        """Up to `limit` (key, value) pairs of the namespace whose key starts with `prefix` and is
        strictly greater than `start_after` (when given), in ascending key order."""
        ...

    def write(self, changes: Sequence[Change]) -> Awaitable[None]:
        """Puts and deletes, visible at once, durable (all together) when the awaitable completes."""
        ...


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One stored message: `record` is written once (body, attributes...), `state` is rewritten as
    the message moves (visibility deadline, receive count...). Both are opaque to the engine."""

    seq: int
    record: bytes | None  # None when loaded with records=False
    state: bytes


class QueueStore(Protocol):
    """Durable message storage for queues (SQS).

    The service keeps the in-memory truth (what is visible, in flight, delayed, in which order);
    the store keeps what must survive a restart. Messages are keyed by a per-queue `seq` the
    service assigns (unique within the queue, never reused). Writes of all queues are applied in
    call order; each returned awaitable completes once the write is durable for the configured
    durability mode (and after every earlier write's). `set_state` and `remove` of a seq that is
    not stored are ignored (the message may have gone in between). Unknown queues raise KeyError.
    """

    def create(self, queue: str) -> Awaitable[None]: ...

    def drop(self, queue: str) -> Awaitable[None]:
        """Deletes the queue and its messages (space given back in the background)."""
        ...

    def queues(self) -> list[str]: ...

    def add(self, queue: str, messages: Sequence[tuple[int, bytes, bytes]]) -> Awaitable[None]:
        """Stores (seq, record, state) triples."""
        ...

    def set_state(self, queue: str, updates: Sequence[tuple[int, bytes]]) -> Awaitable[None]:
        """Replaces the state of stored messages: (seq, state) pairs."""
        ...

    def remove(self, queue: str, seqs: Sequence[int]) -> Awaitable[None]: ...

    def clear(self, queue: str) -> Awaitable[None]:
        """Removes every message of the queue (PurgeQueue); the queue stays."""
        ...

    def load(self, queue: str, records: bool = True) -> Iterator[QueuedMessage]:
        """Every stored message of the queue in ascending seq order, as of the last write.
        Meant for start-up: may read the disk on the calling thread."""
        ...

    async def records(self, queue: str, seqs: Sequence[int]) -> list[bytes | None]:
        """The records of these messages (None for any not stored), read off the event loop."""
        ...

    def stats(self, queue: str) -> tuple[int, int]:
        """(how many messages are stored, one past the highest stored seq or 0 when none), as of
        the last completed write, without a scan: start-up sizes a backlog without loading it."""
        ...

    async def page(self, queue: str, start: int, stop: int, limit: int) -> list[QueuedMessage]:
        """Up to `limit` messages with `start <= seq < stop`, ascending, with records, as of the
        last write; fewer only when the range holds no more. Read off the event loop: a service
        pages a backlog in from here instead of keeping it in memory."""
        ...


class BlobWriter(Protocol):
    """One blob being written, one call at a time. Chunks are buffered and written off the event
    loop; `observe` (given to `BlobStore.create`) sees every byte in order, one call at a time,
    large buffers on a worker thread, so hashing a large upload never blocks the loop.

    `observe` has seen every byte only once `commit` returns: a caller that must check a digest
    before keeping the blob commits, compares, and deletes the blob on a mismatch (nothing names
    it yet). A writer dropped without commit or abort leaves nothing behind either."""

    size: int  # bytes written so far

    async def write(self, chunk: bytes) -> None:
        """Keeps a reference to `chunk` until it is written (a mutable buffer is copied)."""
        ...

    async def commit(self) -> str:
        """Makes the blob durable and returns its id (unique, never reused)."""
        ...

    async def commit_ordered(self) -> str:
        """Like `commit`, but may return before the blob is durable, once it is ordered ahead of
        every later write of this engine: awaiting any later metadata write then covers it too. The
        blob is readable as soon as this returns. (Saves a sync per small object: its body and the
        record naming it share one group commit.)"""
        ...

    async def abort(self) -> None:
        """Discards the blob (idempotent; also after a failed write; a no-op after commit, so
        that callers can abort in a `finally`)."""
        ...


class BlobStore(Protocol):
    """Blobs belong to an owner (a short name: `[a-z][a-z0-9_-]{0,31}`, or "" for the default one,
    which S3 uses and which holds every blob written before owners existed). An owned blob's id
    is "<owner>:<id>"; `ids(owner)` lists one owner's blobs only, so that an owner's garbage
    collection (S3's orphan sweep) never sees, let alone deletes, another owner's blobs."""

    def create(
        self, observe: Callable[[bytes], None] | None = None, size_hint: int | None = None, owner: str = ""
    ) -> BlobWriter:
        """A writer for a new blob of `owner` (ValueError for a malformed owner). `size_hint` (the
        declared length, if known) lets an implementation keep small blobs somewhere cheaper than
        a file of their own."""
        ...

    def read(self, blob_id: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes [start, end) of a committed blob, in chunks of at most ~1 MiB, read off the
        event loop. Raises KeyError (at the first iteration) for an unknown id."""
        ...

    def size(self, blob_id: str) -> int | None:
        """The committed blob's size, or None when there is no such blob."""
        ...

    def delete(self, blob_ids: Sequence[str]) -> Awaitable[None]:
        """Deletes blobs and gives their space back (unknown ids are ignored)."""
        ...

    def ids(self, owner: str = "") -> Iterator[str]:
        """Every committed blob id of `owner` (start-up garbage collection of blobs no metadata
        names)."""
        ...


class DataDirInUse(Exception):
    """`Engine.start` found its data directory locked by another process (`pid` when it said)."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        self.data_dir = data_dir
        self.pid = pid
        owner = f" (pid {pid})" if pid else ""
        super().__init__(f"data dir {data_dir} is in use by another Headwater{owner}")


class Engine(Protocol):
    # Read-only members: an implementation's attribute of its own store type (MemoryLog...) matches
    # them, where a plain `log: Log` would be a settable member the implementation must type as Log.
    @property
    def log(self) -> Log: ...

    @property
    def queues(self) -> QueueStore: ...

    @property
    def meta(self) -> MetaStore: ...

    @property
    def ordered(self) -> OrderedStore: ...

    @property
    def blobs(self) -> BlobStore: ...

    async def start(self) -> None: ...

    async def close(self) -> None:
        """Flushes everything pending and releases files."""
        ...

    async def reset(self) -> None:
        """Drops all data (test isolation)."""
        ...
