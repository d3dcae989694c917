"""Small blobs: one row each in the engine's SQLite file, written by the group-commit writer.

A file per 1 KiB object costs a create, an fsync, a rename and a directory fsync; as a row, many
concurrent commits share one WAL fsync (measurements in blobs.py). The id is "r" and the rowid
(prefixed "<owner>:" for a named owner, whose name is in the row's `owner` column too);
AUTOINCREMENT keeps rowids of deleted rows from ever being handed out again. The loop thread reads
rows through its own read-only connection: a point lookup of a cached page takes microseconds,
less than a hop to a thread would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from headwater.engine.embedded.ops import Cleanup, Op
from headwater.engine.embedded.schema import connect_reader

ROW_PREFIX = "r"
_MAX_ROWID = (1 << 63) - 1
_IDS_PAGE = 10_000


def row_of(blob_id: str) -> int | None:
    """The rowid a row blob id names, None for any other string."""
    digits = blob_id[1:]
    if blob_id[:1] != ROW_PREFIX or not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        return None
    rowid = int(digits)
    return rowid if 0 < rowid <= _MAX_ROWID else None


class PutBlob(Op):
    __slots__ = ("data", "rowid", "owner", "weight", "pending")

    def __init__(
        self, data: bytes, rowid: int, owner: str = "", pending: dict[tuple[int, str], bytes] | None = None
    ) -> None:
        super().__init__()
        self.data = data
        self.rowid = rowid  # chosen on the loop thread, so the id is known before the commit
        self.owner = owner
        self.weight = len(data) + 64
        # commit_ordered: the row is readable from `pending` until it commits, and nobody awaits
        # the future (settled here rather than by a done callback: one loop callback less per blob)
        self.pending = pending

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute(
            "INSERT INTO blobs (id, data, owner) VALUES (?, ?, ?)", (self.rowid, self.data, self.owner)
        )

    def committed(self) -> None:
        if self.pending is not None:
            self.pending.pop((self.rowid, self.owner), None)
        super().committed()

    def failed(self, exc: BaseException) -> None:
        super().failed(exc)
        if self.pending is not None:
            self.pending.pop((self.rowid, self.owner), None)
            if self.future is not None and not self.future.cancelled():
                self.future.exception()  # retrieved: the later writes awaited after it fail too


class DeleteBlobs(Op):
    __slots__ = ("rows", "weight")

    def __init__(self, rows: Sequence[tuple[int, str]]) -> None:
        super().__init__()
        self.rows = rows  # (rowid, owner): a row is deleted only by an id of its own owner
        self.weight = 64 * len(rows)

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.executemany("DELETE FROM blobs WHERE id = ? AND owner = ?", self.rows)
        cleanup.recheck()  # a vacuum step gives the pages back once enough are free


class ClearBlobs(Op):
    __slots__ = ()

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("DELETE FROM blobs")
        cleanup.recheck()


class RowReader:
    """The loop thread's reads of row blobs. Every statement is its own short read transaction."""

    def __init__(self, path: Path) -> None:
        self._db: sqlite3.Connection = connect_reader(path)

    def get(self, rowid: int, owner: str = "") -> bytes | None:
        row = self._db.execute("SELECT data FROM blobs WHERE id = ? AND owner = ?", (rowid, owner)).fetchone()
        return None if row is None else row[0]

    def size(self, rowid: int, owner: str = "") -> int | None:
        # length() of a BLOB reads the record header only, never the bytes
        row = self._db.execute(
            "SELECT length(data) FROM blobs WHERE id = ? AND owner = ?", (rowid, owner)
        ).fetchone()
        return None if row is None else row[0]

    def last_id(self) -> int:
        """The highest row id ever used (AUTOINCREMENT's record survives deletes)."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'blobs'").fetchone()
        used = self._db.execute("SELECT max(id) FROM blobs").fetchone()
        return max(row[0] if row else 0, used[0] or 0)

    def ids(self, owner: str = "") -> Iterator[str]:
        """Page by page: no read snapshot stays open while the caller iterates. (No index on
        owner: a page walks the rowids in order, and the sweeps that call this are rare.)"""
        last = 0
        prefix = f"{owner}:{ROW_PREFIX}" if owner else ROW_PREFIX
        while True:
            page = self._db.execute(
                "SELECT id, owner = ? FROM blobs WHERE id > ? ORDER BY id LIMIT ?", (owner, last, _IDS_PAGE)
            ).fetchall()
            for rowid, mine in page:
                if mine:
                    yield f"{prefix}{rowid}"
            if len(page) < _IDS_PAGE:
                return
            last = page[-1][0]

    def close(self) -> None:
        self._db.close()
