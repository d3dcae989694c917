"""Small blobs: one row each in the engine's SQLite file, written by the group-commit writer.

A file per 1 KiB object costs a create, an fsync, a rename and a directory fsync; as a row, many
concurrent commits share one WAL fsync (measurements in blobs.py). The id is "r" and the rowid;
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
    __slots__ = ("data", "rowid", "weight")

    def __init__(self, data: bytes, rowid: int) -> None:
        super().__init__()
        self.data = data
        self.rowid = rowid  # chosen on the loop thread, so the id is known before the commit
        self.weight = len(data) + 64

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("INSERT INTO blobs (id, data) VALUES (?, ?)", (self.rowid, self.data))

    def result(self) -> str:
        return f"{ROW_PREFIX}{self.rowid}"


class DeleteBlobs(Op):
    __slots__ = ("rowids", "weight")

    def __init__(self, rowids: Sequence[int]) -> None:
        super().__init__()
        self.rowids = rowids
        self.weight = 64 * len(rowids)

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.executemany("DELETE FROM blobs WHERE id = ?", ((rowid,) for rowid in self.rowids))
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

    def get(self, rowid: int) -> bytes | None:
        row = self._db.execute("SELECT data FROM blobs WHERE id = ?", (rowid,)).fetchone()
        return None if row is None else row[0]

    def size(self, rowid: int) -> int | None:
        # length() of a BLOB reads the record header only, never the bytes
        row = self._db.execute("SELECT length(data) FROM blobs WHERE id = ?", (rowid,)).fetchone()
        return None if row is None else row[0]

    def last_id(self) -> int:
        """The highest row id ever used (AUTOINCREMENT's record survives deletes)."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'blobs'").fetchone()
        used = self._db.execute("SELECT max(id) FROM blobs").fetchone()
        return max(row[0] if row else 0, used[0] or 0)

    def ids(self) -> Iterator[str]:
        """Page by page: no read snapshot stays open while the caller iterates."""
        last = 0
        while True:
            page = self._db.execute(
                "SELECT id FROM blobs WHERE id > ? ORDER BY id LIMIT ?", (last, _IDS_PAGE)
            ).fetchall()
            for (rowid,) in page:
                yield f"{ROW_PREFIX}{rowid}"
            if len(page) < _IDS_PAGE:
                return
            last = page[-1][0]

    def close(self) -> None:
        self._db.close()
