"""Units of work for the writer thread, and the background cleanup they schedule.

An op is built on the loop thread, `apply`-ed inside a group-commit transaction on the writer
thread, then `committed` (or `failed`) back on the loop thread, which resolves its future.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

from headwater.engine.api import StoredEntry
from headwater.engine.embedded.schema import key

DELETE_CHUNK = 2000  # rows per background delete: one chunk rides along with each group commit
VACUUM_CHUNK_PAGES = 256  # 4 MiB of file given back per step (a few ms)
VACUUM_MIN_PAGES = 256  # never bother for less than 4 MiB of free pages...
VACUUM_MIN_FRACTION = 4  # ...or less than a quarter of the file (trims of a live log reuse them)


class Op:
    __slots__ = ("future",)
    weight = 64  # rough bytes, to bound the size of one transaction

    def __init__(self) -> None:
        self.future: asyncio.Future[Any] | None = None

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        """Writer thread, inside the transaction."""

    def result(self) -> Any:
        return None

    def committed(self) -> None:
        """Loop thread, once the transaction is durable."""
        if self.future is not None and not self.future.done():
            self.future.set_result(self.result())

    def failed(self, exc: BaseException) -> None:
        if self.future is not None and not self.future.done():
            self.future.set_exception(exc)


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
    """Drops every partition (rows go in the background, as for any drop) and all metadata: O(1)
    for the caller whatever the volume, where deleting a large table at once takes seconds."""

    __slots__ = ()

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("UPDATE partitions SET dropped = 1")
        for (pid,) in db.execute("SELECT pid FROM partitions").fetchall():
            cleanup.drop(pid)
        db.execute("DELETE FROM meta")


class Settle(Op):
    """Completes once no background work is left and the WAL is checkpointed (tests, tooling)."""

    __slots__ = ()


class Stop(Op):
    __slots__ = ()


class Cleanup:
    """Background deletes (trimmed prefixes, dropped partitions) and giving the space back.
    Writer-thread state; `step` does one bounded chunk inside the caller's transaction.

    Deletes are cheap (freed pages are not rewritten) and ride along with every commit. A vacuum
    step moves live pages from the end of the file into the holes, which costs as much WAL as
    writing them anew; so it only runs when the writer is otherwise idle: under load, appends
    fill the holes instead (SQLite allocates from the freelist first)."""

    def __init__(self) -> None:
        self._ranges: dict[int, tuple[int, bool]] = {}  # pid -> (delete keys below, drop the partition)
        self.vacuuming = False
        self._recheck = True  # at start too: a vacuum may have been cut short by a restart

    @property
    def deleting(self) -> bool:
        return bool(self._ranges) or self._recheck

    @property
    def pending(self) -> bool:
        return self.deleting or self.vacuuming

    def trim(self, pid: int, floor: int) -> None:
        hi, drop = self._ranges.get(pid, (0, False))
        self._ranges[pid] = (max(hi, key(pid, floor)), drop)

    def drop(self, pid: int) -> None:
        self._ranges[pid] = (key(pid + 1, 0), True)

    def step(self, db: sqlite3.Connection, vacuum: bool) -> None:
        if self._ranges:
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
        elif self.vacuuming and vacuum:
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
