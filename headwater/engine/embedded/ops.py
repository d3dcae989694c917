"""Units of work for the writer thread, and the background cleanup they schedule.

An op is built on the loop thread, `apply`-ed inside a group-commit transaction on the writer
thread, then `committed` (or `failed`) back on the loop thread, which resolves its future.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from headwater.engine.api import StoredEntry
from headwater.engine.embedded.schema import key

DELETE_CHUNK = 2000  # rows per background delete: one chunk rides along with each group commit
# A queue's rows are deleted in smaller chunks, and under load at most one chunk per pace: deleting
# a row rewrites its page into the WAL, so a chunk costs as much I/O as writing its messages did,
# and 8 clients adding batches of 10 keep only ~80 messages in each commit. Measured for 1,000,000
# x 1 KiB (bench/engine/queue.py): 2000 per commit cut adds from ~75k to ~9k msg/s for 5 s;
# 500 per 5 ms keeps them at ~50k msg/s for 12 s.
QUEUE_DELETE_CHUNK = 500
QUEUE_DELETE_PACE_S = 0.005
VACUUM_CHUNK_PAGES = 256  # 4 MiB of file given back per step (a few ms)
VACUUM_MIN_PAGES = 256  # never bother for less than 4 MiB of free pages...
VACUUM_MIN_FRACTION = 4  # ...or less than a quarter of the file (trims of a live log reuse them)


class Op:
    __slots__ = ("future",)
    weight = 64  # rough bytes, to bound the size of one transaction
    # Ops with the same non-None run_key next to each other in one transaction are applied by ONE
    # `apply_run` (e.g. a queue's adds as one multi-row INSERT): every statement the writer runs
    # releases and retakes the GIL, each time maybe waiting behind the busy event loop.
    run_key: object = None

    def __init__(self) -> None:
        self.future: asyncio.Future[Any] | None = None

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        """Writer thread, inside the transaction."""

    @classmethod
    def apply_run(cls, db: sqlite3.Connection, cleanup: Cleanup, ops: Sequence[Op]) -> None:
        """Writer thread: `apply` of each of `ops` (same run_key, in order), maybe in fewer statements."""
        for op in ops:
            op.apply(db, cleanup)

    def result(self) -> Any:
        return None

    def committed(self) -> None:
        """Loop thread, once the transaction is durable."""
        if self.future is not None and not self.future.done():
            self.future.set_result(self.result())

    def failed(self, exc: BaseException) -> None:
        if self.future is not None and not self.future.done():
            self.future.set_exception(exc)


def apply_all(db: sqlite3.Connection, cleanup: Cleanup, ops: Sequence[Op]) -> None:
    """Writer thread: applies `ops` in order, each run of ops sharing a run_key by one apply_run."""
    at, count = 0, len(ops)
    while at < count:
        op, end = ops[at], at + 1
        run_key = op.run_key
        if run_key is not None:
            while end < count and ops[end].run_key == run_key:
                end += 1
        if end - at == 1:
            op.apply(db, cleanup)
        else:
            type(op).apply_run(db, cleanup, ops[at:end])
        at = end


class Append(Op):
    __slots__ = ("pid", "entries", "marks", "on_commit", "weight")

    def __init__(
        self, pid: int, entries: list[StoredEntry], marks: list[int], on_commit: Callable[[Append], None]
    ) -> None:
        super().__init__()
        self.pid, self.entries, self.marks, self.on_commit = pid, entries, marks, on_commit
        self.weight = sum(len(e.payload) for e in entries) + 64 * len(entries)

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        base = key(self.pid, 0)
        db.executemany(
            "INSERT INTO entries (key, ts, mark, payload) VALUES (?, ?, ?, ?)",
            (
                (base + e.offset, e.timestamp_ms, m, e.payload)
                for e, m in zip(self.entries, self.marks, strict=True)
            ),
        )

    def committed(self) -> None:
        self.on_commit(self)
        super().committed()


class CreatePartition(Op):
    __slots__ = ("pid", "name")

    def __init__(self, pid: int, name: str) -> None:
        super().__init__()
        self.pid, self.name = pid, name

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("INSERT INTO partitions (pid, name, first_offset) VALUES (?, ?, 0)", (self.pid, self.name))


class DropPartition(Op):
    __slots__ = ("pid",)

    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("UPDATE partitions SET dropped = 1 WHERE pid = ?", (self.pid,))
        cleanup.drop(self.pid)


class Trim(Op):
    __slots__ = ("pid", "floor", "count")

    def __init__(self, pid: int, floor: int, count: int) -> None:
        super().__init__()
        self.pid, self.floor, self.count = pid, floor, count

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("UPDATE partitions SET first_offset = ? WHERE pid = ?", (self.floor, self.pid))
        cleanup.trim(self.pid, self.floor)

    def result(self) -> int:
        return self.count


class PutMeta(Op):
    __slots__ = ("namespace", "key", "value")

    def __init__(self, namespace: str, key: str, value: bytes) -> None:
        super().__init__()
        self.namespace, self.key, self.value = namespace, key, value

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute(
            "INSERT OR REPLACE INTO meta (namespace, key, value) VALUES (?, ?, ?)",
            (self.namespace, self.key, self.value),
        )


class DeleteMeta(Op):
    __slots__ = ("namespace", "key")

    def __init__(self, namespace: str, key: str) -> None:
        super().__init__()
        self.namespace, self.key = namespace, key

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("DELETE FROM meta WHERE namespace = ? AND key = ?", (self.namespace, self.key))


class Reset(Op):
    """Drops every partition and queue (rows go in the background, as for any drop) and all
    metadata: O(1) for the caller whatever the volume, where deleting a large table at once takes
    seconds."""

    __slots__ = ()

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("UPDATE partitions SET dropped = 1")
        for (pid,) in db.execute("SELECT pid FROM partitions").fetchall():
            cleanup.drop(pid)
        db.execute("UPDATE queues SET dropped = 1")
        for (qid,) in db.execute("SELECT qid FROM queues").fetchall():
            cleanup.drop_queue(qid)
        db.execute("DELETE FROM meta")
        db.execute("DELETE FROM ordered")


class Settle(Op):
    """Completes once no background work is left and the WAL is checkpointed (tests, tooling)."""

    __slots__ = ()


class Stop(Op):
    __slots__ = ()


class Cleanup:
    """Background deletes (trimmed prefixes, dropped partitions and queues) and giving the space back.
    Writer-thread state; `step` does one bounded chunk inside the caller's transaction.

    Deletes ride along with commits, a bounded chunk each (a deleted row's page goes through the
    WAL much like a written one: deleting costs about the I/O that writing the rows did). A vacuum
    step moves live pages from the end of the file into the holes, which costs as much WAL as
    writing them anew; so it only runs when the writer is otherwise idle: under load, appends
    fill the holes instead (SQLite allocates from the freelist first)."""

    def __init__(self) -> None:
        self._ranges: dict[int, tuple[int, bool]] = {}  # pid -> (delete keys below, drop the partition)
        self._queues: dict[int, None] = {}  # qids to delete, in order
        self.vacuuming = False
        self._recheck = True  # at start too: a vacuum may have been cut short by a restart
        self._queue_turn = False  # partitions and queues take turns, so neither waits for the other
        self._queue_due = 0.0

    @property
    def deleting(self) -> bool:
        return bool(self._ranges) or bool(self._queues) or self._recheck

    @property
    def pending(self) -> bool:
        return self.deleting or self.vacuuming

    def trim(self, pid: int, floor: int) -> None:
        hi, drop = self._ranges.get(pid, (0, False))
        self._ranges[pid] = (max(hi, key(pid, floor)), drop)

    def drop(self, pid: int) -> None:
        self._ranges[pid] = (key(pid + 1, 0), True)

    def drop_queue(self, qid: int) -> None:
        self._queues[qid] = None

    def recheck(self) -> None:
        """Rows were deleted outside the background deletes (blobs): see whether to vacuum."""
        self._recheck = True

    def step(self, db: sqlite3.Connection, vacuum: bool, busy: bool = False) -> None:
        now = time.monotonic()
        queue_due = bool(self._queues) and (not busy or now >= self._queue_due)
        if queue_due and (not self._ranges or self._queue_turn):
            self._delete_queue_chunk(db)
            self._queue_due = now + QUEUE_DELETE_PACE_S
        elif self._ranges:
            pid, (hi, drop) = next(iter(self._ranges.items()))
            deleted = db.execute(
                "DELETE FROM entries WHERE key IN (SELECT key FROM entries WHERE key >= ? AND key < ? LIMIT ?)",
                (key(pid, 0), hi, DELETE_CHUNK),
            ).rowcount
            if deleted < DELETE_CHUNK:
                del self._ranges[pid]
                if drop:
                    db.execute("DELETE FROM partitions WHERE pid = ?", (pid,))
                self._recheck = True
            self._queue_turn = True
        elif self.vacuuming and vacuum and not self._queues:
            # sqlite3 steps a statement without result columns once, and each step of
            # incremental_vacuum moves one page: so one execute per page.
            for _ in range(VACUUM_CHUNK_PAGES):
                db.execute("PRAGMA incremental_vacuum")
            self._recheck = True
        if self._recheck:
            self._recheck = False
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            if self.vacuuming:
                self.vacuuming = free > 0
            else:
                pages = db.execute("PRAGMA page_count").fetchone()[0]
                self.vacuuming = free >= VACUUM_MIN_PAGES and free * VACUUM_MIN_FRACTION >= pages

    def _delete_queue_chunk(self, db: sqlite3.Connection) -> None:
        self._queue_turn = False
        qid = next(iter(self._queues))
        lo, hi = key(qid, 0), key(qid + 1, 0)
        deleted = 0
        for table in ("queue_records", "queue_states"):  # both hold the same keys
            deleted = max(
                deleted,
                db.execute(
                    f"DELETE FROM {table} WHERE key IN "
                    f"(SELECT key FROM {table} WHERE key >= ? AND key < ? LIMIT ?)",
                    (lo, hi, QUEUE_DELETE_CHUNK),
                ).rowcount,
            )
        if deleted < QUEUE_DELETE_CHUNK:
            del self._queues[qid]
            db.execute("DELETE FROM queues WHERE qid = ?", (qid,))
            self._recheck = True
