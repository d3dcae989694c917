"""The SQLite file: schema, connection settings, recovery at start, and the loop thread's reads.

Entries live in a rowid table whose INTEGER PRIMARY KEY packs (partition id, offset): a ~1 KiB row
stays inside its leaf page (a WITHOUT ROWID b-tree would spill every such row to an overflow page),
each partition is one contiguous key range, and appends always land at the right edge of it.
There is no secondary index: marks (see engine/memory.py) never decrease along a partition, so a
time lookup is a binary search over keys.

Partitions get a fresh id on every creation, so a partition dropped and created again under the
same name never meets the rows of its predecessor, which are deleted in the background.
`first_offset` is the trim floor: rows below it are logically gone (and deleted in the background).

Queue messages (engine/embedded/queues.py) are keyed the same way, (queue id, seq), in two rowid
tables: `queue_records` (written once) and `queue_states` (rewritten on every receive); each queue's
row counts its messages (`stored`, kept in the same transaction as every add and remove), so
start-up sizes a backlog with one lookup. Splitting
them keeps a state update to a small row in a dense page instead of rewriting a ~1 KiB row's page,
and lets start-up load every state without reading the records. A queue gets a fresh id on
creation and on every clear; the old id's rows are deleted in the background, like a dropped
partition's.

Small blobs (engine/embedded/blob_rows.py) are rows of `blobs` (with their owner: '' for the
default one); large ones are files beside it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from headwater.engine.api import StoredEntry

Durability = Literal["durable", "fast"]

OFFSET_BITS = 40  # 10^12 entries per partition; leaves 2^23 partition ids
OFFSET_MASK = (1 << OFFSET_BITS) - 1
MAX_PID = (1 << (63 - OFFSET_BITS)) - 1

PAGE_SIZE = 16384  # measured: ~1.5x the append rate of 4 KiB pages for 1 KiB rows
WRITER_CACHE_KIB = 8 * 1024  # appends touch only the rightmost pages; RSS matters more
READER_CACHE_KIB = 16 * 1024
WAL_AUTOCHECKPOINT_PAGES = 1024  # backstop (see checkpointer.py): the writer checkpoints past 16 MiB
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS partitions (
    pid INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    first_offset INTEGER NOT NULL,
    dropped INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
    key INTEGER PRIMARY KEY,  -- pid << OFFSET_BITS | offset
    ts INTEGER NOT NULL,
    mark INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS queues (
    qid INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    dropped INTEGER NOT NULL DEFAULT 0,
    stored INTEGER  -- how many messages it holds, kept by every write (NULL: counted at start)
);
CREATE TABLE IF NOT EXISTS queue_records (
    key INTEGER PRIMARY KEY,  -- qid << OFFSET_BITS | seq
    record BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_states (
    key INTEGER PRIMARY KEY,  -- same keys as queue_records
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: blob ids are "r<id>" ("<owner>:r<id>")
    data BLOB NOT NULL,
    owner TEXT NOT NULL DEFAULT ''  -- '' the default owner (S3's, and every row older than owners)
);
CREATE TABLE IF NOT EXISTS ordered (  -- engine/embedded/ordered.py
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
"""


def key(pid: int, offset: int) -> int:
    return pid << OFFSET_BITS | offset


def connect_writer(path: Path, durability: Durability) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, cached_statements=64)
    if db.execute("PRAGMA page_count").fetchone()[0] == 0:  # new file: layout pragmas go first
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        raise RuntimeError(f"{path}: could not switch to WAL (journal_mode={mode})")
    # durable: WAL + NORMAL, a commit writes the WAL and the writer's syncer thread fsyncs it before
    # anything is acknowledged (syncer.py). fast: WAL + OFF, commits reach the OS, never the disk.
    db.execute(f"PRAGMA synchronous = {'NORMAL' if durability == 'durable' else 'OFF'}")
    db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    db.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
    db.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
    db.execute("PRAGMA temp_store = MEMORY")
    db.executescript(_SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(queues)")}
    if "stored" not in columns:  # a file from before message counts: recover() counts once
        db.execute("ALTER TABLE queues ADD COLUMN stored INTEGER")
    columns = {row[1] for row in db.execute("PRAGMA table_info(blobs)")}
    if "owner" not in columns:  # a file from before blob owners: its rows are the default owner's
        db.execute("ALTER TABLE blobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
    return db


@dataclass(frozen=True, slots=True)
class RecoveredPartition:
    pid: int
    name: str
    first: int
    next: int
    mark: int
    has_rows_below_first: bool


@dataclass(frozen=True, slots=True)
class Recovered:
    partitions: list[RecoveredPartition]
    dropped: list[int]  # pids whose rows still await deletion
    meta: dict[str, dict[str, bytes]]
    max_pid: int
    queues: dict[str, int]  # live queue name -> qid
    dropped_queues: list[int]  # qids whose rows still await deletion
    max_qid: int


def recover(db: sqlite3.Connection, no_mark: int) -> Recovered:
    """Reads back what start() needs: every query is a key seek, O(partitions * log n)."""
    live: list[RecoveredPartition] = []
    dropped: list[int] = []
    max_pid = 0
    for pid, name, first, is_dropped in db.execute(
        "SELECT pid, name, first_offset, dropped FROM partitions ORDER BY pid"
    ).fetchall():
        max_pid = max(max_pid, pid)
        if is_dropped:
            dropped.append(pid)
            continue
        last = db.execute(
            "SELECT key, mark FROM entries WHERE key >= ? AND key < ? ORDER BY key DESC LIMIT 1",
            (key(pid, 0), key(pid + 1, 0)),
        ).fetchone()
        below = db.execute(
            "SELECT 1 FROM entries WHERE key >= ? AND key < ? LIMIT 1", (key(pid, 0), key(pid, first))
        ).fetchone()
        next_offset, mark = (
            (first, no_mark) if last is None else (max(first, (last[0] & OFFSET_MASK) + 1), last[1])
        )
        live.append(RecoveredPartition(pid, name, first, next_offset, mark, below is not None))
    meta: dict[str, dict[str, bytes]] = {}
    for namespace, k, value in db.execute("SELECT namespace, key, value FROM meta ORDER BY namespace, key"):
        meta.setdefault(namespace, {})[k] = value
    queues: dict[str, int] = {}
    dropped_queues: list[int] = []
    max_qid = 0
    for qid, name, is_dropped in db.execute("SELECT qid, name, dropped FROM queues ORDER BY qid"):
        max_qid = qid
        if is_dropped:
            dropped_queues.append(qid)
        else:
            queues[name] = qid
    for (qid,) in db.execute("SELECT qid FROM queues WHERE stored IS NULL AND dropped = 0").fetchall():
        (count,) = db.execute(
            "SELECT count(*) FROM queue_states WHERE key >= ? AND key < ?", (key(qid, 0), key(qid + 1, 0))
        ).fetchone()
        db.execute("UPDATE queues SET stored = ? WHERE qid = ?", (count, qid))
    return Recovered(live, dropped, meta, max_pid, queues, dropped_queues, max_qid)


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection; in autocommit mode every statement is its own read transaction."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    db.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
    return db


class Reader:
    """A read-only connection for the loop thread: committed entries older than the tail cache.
    Every statement is its own short read transaction, so it never holds back a checkpoint."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        self._db.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")

    def read(
        self, pid: int, start: int, stop: int, max_count: int, max_bytes: int, at_least_one: bool = True
    ) -> list[StoredEntry]:
        out: list[StoredEntry] = []
        used = 0
        cursor = self._db.execute(
            "SELECT key, ts, payload FROM entries WHERE key >= ? AND key < ? ORDER BY key LIMIT ?",
            (key(pid, start), key(pid, stop), max(0, min(max_count, stop - start))),
        )
        try:
            for k, ts, payload in cursor:
                used += len(payload)
                if used > max_bytes and (out or not at_least_one):
                    break
                out.append(StoredEntry(k & OFFSET_MASK, ts, payload))
        finally:
            cursor.close()
        return out

    def search_mark(self, pid: int, lo: int, hi: int, mark: int) -> int:
        """The first offset in [lo, hi) whose mark is >= `mark` (hi if none): every offset in the
        range must be stored."""
        while lo < hi:
            mid = (lo + hi) // 2
            row = self._db.execute("SELECT mark FROM entries WHERE key = ?", (key(pid, mid),)).fetchone()
            if row is None:
                raise LookupError(f"partition {pid}: committed offset {mid} is missing from the store")
            if row[0] < mark:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def close(self) -> None:
        self._db.close()
