"""The embedded QueueStore: loop-thread state and reads; every write goes through the writer thread.

Theory of operation. Per queue the loop keeps its current id (qid: keys are qid << 40 | seq, see
schema.py) and an *overlay*: the effect, by seq, of every write submitted but not yet committed
(queue_ops.py). The file holds exactly the committed writes, so the overlay applied to the file is
the state as of the last write, which is what `load` and `records` return: like the memory store,
they see a write as soon as it is made, without waiting for the writer. Both read the file in one
statement (one read snapshot); a write that commits in between is applied twice, harmlessly: adds
and states are overwrites, removes are idempotent, and a pending state update only applies where
the file holds the seq, exactly as its own commit would have.

`clear` moves the queue to a fresh qid, whose key range holds nothing, with a new overlay; `drop`
forgets the queue. In both cases the old qid's rows are deleted in the background (ops.Cleanup).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from headwater.engine.api import QueuedMessage
from headwater.engine.embedded.ops import Op
from headwater.engine.embedded.queue_ops import (
    AddMessages,
    ClearQueue,
    CreateQueue,
    DropQueue,
    Overlay,
    Pending,
    RemoveMessages,
    SetStates,
)
from headwater.engine.embedded.schema import MAX_PID, OFFSET_MASK, Recovered, connect_reader, key
from headwater.engine.embedded.writer import Writer
from headwater.engine.memory import MAX_QUEUE_SEQ, check_seqs

assert MAX_QUEUE_SEQ == OFFSET_MASK
MAX_QID = MAX_PID
_IN_CHUNK = 500  # keys per `IN (...)` lookup


class _Queue:
    __slots__ = ("qid", "overlay", "dropped")

    def __init__(self, qid: int) -> None:
        self.qid = qid
        self.overlay: Overlay = {}
        self.dropped = False


class EmbeddedQueueStore:
    def __init__(self, writer: Writer, path: Path) -> None:
        self._writer = writer
        self._path = path
        self._queues: dict[str, _Queue] = {}
        self._next_qid = 1
        self._db: sqlite3.Connection | None = None  # load()'s reads, on the loop thread
        # records()'s reads: one thread with a connection of its own
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="headwater-queue-reader")
        self._pool_db: sqlite3.Connection | None = None

    def open(self, recovered: Recovered) -> None:
        self._db = connect_reader(self._path)
        self._next_qid = recovered.max_qid + 1
        self._queues = {name: _Queue(qid) for name, qid in recovered.queues.items()}

    def close(self) -> None:
        def close_reader() -> None:
            if self._pool_db is not None:
                self._pool_db.close()
                self._pool_db = None

        self._pool.submit(close_reader)
        self._pool.shutdown(wait=True)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="headwater-queue-reader")
        if self._db is not None:
            self._db.close()
            self._db = None

    def clear_all(self) -> None:
        """Forgets every queue (reset); the writer's Reset op drops their rows."""
        for queue in self._queues.values():
            queue.dropped = True
        self._queues = {}

    def _new_qid(self) -> int:
        if self._next_qid > MAX_QID:
            raise RuntimeError("queue ids exhausted")
        qid, self._next_qid = self._next_qid, self._next_qid + 1
        return qid

    # --- writes ------------------------------------------------------------------------------

    def create(self, queue: str) -> Awaitable[None]:
        self._writer.check()
        if queue in self._queues:
            raise ValueError(f"queue {queue!r} already exists")
        qid = self._new_qid()
        self._queues[queue] = _Queue(qid)
        return self._writer.submit(CreateQueue(qid, queue))

    def drop(self, queue: str) -> Awaitable[None]:
        self._writer.check()
        q = self._queues.pop(queue)
        q.dropped = True
        return self._writer.submit(DropQueue(q.qid))

    def add(self, queue: str, messages: Sequence[tuple[int, bytes, bytes]]) -> Awaitable[None]:
        q = self._queues[queue]
        check_seqs(messages)
        self._writer.check()
        if not messages:
            return self._writer.submit(Op())  # still completes after every earlier write
        return self._writer.submit(AddMessages(q.qid, q.overlay, list(messages)))

    def set_state(self, queue: str, updates: Sequence[tuple[int, bytes]]) -> Awaitable[None]:
        q = self._queues[queue]
        self._writer.check()
        # A seq out of range is not stored (and must not be packed into another queue's key).
        valid = [(seq, state) for seq, state in updates if 0 <= seq <= MAX_QUEUE_SEQ]
        if not valid:
            return self._writer.submit(Op())
        return self._writer.submit(SetStates(q.qid, q.overlay, valid))

    def remove(self, queue: str, seqs: Sequence[int]) -> Awaitable[None]:
        q = self._queues[queue]
        self._writer.check()
        valid = [seq for seq in seqs if 0 <= seq <= MAX_QUEUE_SEQ]
        if not valid:
            return self._writer.submit(Op())
        return self._writer.submit(RemoveMessages(q.qid, q.overlay, valid))

    def clear(self, queue: str) -> Awaitable[None]:
        q = self._queues[queue]
        self._writer.check()
        old, q.qid = q.qid, self._new_qid()
        q.overlay = {}  # pending writes to the old qid keep (and empty) the old overlay
        return self._writer.submit(ClearQueue(old, q.qid, queue))

    # --- reads -------------------------------------------------------------------------------

    def queues(self) -> list[str]:
        return list(self._queues)

    def load(self, queue: str, records: bool = True) -> Iterator[QueuedMessage]:
        q = self._queues[queue]
        assert self._db is not None, "engine not started"
        base = key(q.qid, 0)
        bounds = (base, key(q.qid + 1, 0))
        # Both taken now, not when the caller starts iterating: the statement's first step opens
        # its read snapshot (held until the iterator ends, which holds back WAL checkpoints: this is
        # for start-up, not for a loop that awaits between messages).
        if records:
            cursor = self._db.execute(
                "SELECT s.key, r.record, s.state FROM queue_states AS s"
                " JOIN queue_records AS r ON r.key = s.key"
                " WHERE s.key >= ? AND s.key < ? ORDER BY s.key",
                bounds,
            )
        else:
            cursor = self._db.execute(
                "SELECT key, NULL, state FROM queue_states WHERE key >= ? AND key < ? ORDER BY key", bounds
            )
        return _closing(cursor, _merge(cursor, base, sorted(q.overlay.items()), records))

    async def records(self, queue: str, seqs: Sequence[int]) -> list[bytes | None]:
        q = self._queues[queue]
        out: list[bytes | None] = [None] * len(seqs)
        wanted: list[tuple[int, int]] = []  # (index in seqs, seq) to read from the file
        overlay = q.overlay
        for i, seq in enumerate(seqs):
            pending = overlay.get(seq) if overlay else None
            if pending is not None and (pending[1] is not None or pending[2] is None):
                out[i] = pending[1]  # a pending add, or None for a pending remove
            elif 0 <= seq <= MAX_QUEUE_SEQ:
                wanted.append((i, seq))
        if not wanted:
            return out
        qid = q.qid
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self._pool, self._read_records, qid, [s for _, s in wanted])
        if q.dropped or q.qid != qid:  # dropped or cleared meanwhile: every message has gone
            return [None] * len(seqs)
        for (i, _), record in zip(wanted, found, strict=True):
            out[i] = record
        return out

    def stats(self, queue: str) -> tuple[int, int]:
        q = self._queues[queue]
        assert self._db is not None, "engine not started"
        row = self._db.execute("SELECT stored FROM queues WHERE qid = ?", (q.qid,)).fetchone()
        last = self._db.execute(
            "SELECT key FROM queue_states WHERE key >= ? AND key < ? ORDER BY key DESC LIMIT 1",
            (key(q.qid, 0), key(q.qid + 1, 0)),
        ).fetchone()
        return (row[0] or 0) if row else 0, 0 if last is None else (last[0] & OFFSET_MASK) + 1

    async def page(self, queue: str, start: int, stop: int, limit: int) -> list[QueuedMessage]:
        q = self._queues[queue]
        start, stop = max(0, start), min(stop, MAX_QUEUE_SEQ + 1)
        out: list[QueuedMessage] = []
        loop = asyncio.get_running_loop()
        while len(out) < limit and start < stop:
            qid = q.qid
            # the pending writes as of now, taken before the file is read: one that commits in
            # between is then applied twice, harmlessly (see the module's docstring)
            pending = sorted((seq, p) for seq, p in q.overlay.items() if start <= seq < stop)
            want = limit - len(out)
            rows = await loop.run_in_executor(self._pool, self._read_page, qid, start, stop, want)
            if q.dropped or q.qid != qid:
                return []
            full = len(rows) == want
            # rows end at the last one read: pending writes past it belong to the next round
            end = (rows[-1][0] - key(qid, 0)) + 1 if full else stop
            merged = list(_merge_rows(rows, key(qid, 0), [p for p in pending if p[0] < end]))
            out.extend(merged[: limit - len(out)])
            if not full:
                break
            start = end
        return out

    def _read_page(self, qid: int, start: int, stop: int, limit: int) -> list[tuple[int, bytes, bytes]]:
        """Reader thread: committed messages of [start, stop), ascending, at most `limit`."""
        if self._pool_db is None:
            self._pool_db = connect_reader(self._path)
        return self._pool_db.execute(
            "SELECT s.key, r.record, s.state FROM queue_states AS s"
            " JOIN queue_records AS r ON r.key = s.key"
            " WHERE s.key >= ? AND s.key < ? ORDER BY s.key LIMIT ?",
            (key(qid, start), key(qid, stop), limit),
        ).fetchall()

    def _read_records(self, qid: int, seqs: list[int]) -> list[bytes | None]:
        """Reader thread: committed records of these seqs, in one read snapshot."""
        if self._pool_db is None:
            self._pool_db = connect_reader(self._path)
        db = self._pool_db
        base = key(qid, 0)
        keys = [base + seq for seq in seqs]
        found: dict[int, bytes] = {}
        chunked = len(keys) > _IN_CHUNK
        if chunked:
            db.execute("BEGIN")  # one snapshot for all the lookups
        try:
            for i in range(0, len(keys), _IN_CHUNK):
                chunk = keys[i : i + _IN_CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(
                    db.execute(f"SELECT key, record FROM queue_records WHERE key IN ({marks})", chunk)
                )
        finally:
            if chunked:
                db.execute("COMMIT")
        return [found.get(k) for k in keys]


def _merge_rows(
    rows: list[tuple[int, bytes, bytes]], base: int, pending: list[tuple[int, Pending]]
) -> Iterator[QueuedMessage]:
    """A page's rows with the pending writes applied."""
    return _merge(rows, base, pending, True)


def _closing(cursor: sqlite3.Cursor, messages: Iterator[QueuedMessage]) -> Iterator[QueuedMessage]:
    try:
        yield from messages
    finally:
        cursor.close()


def _merge(
    cursor: Iterable[tuple[int, bytes | None, bytes]],
    base: int,
    pending: list[tuple[int, Pending]],
    records: bool,
) -> Iterator[QueuedMessage]:
    """The file's rows (key, record or NULL, state) in key order, with the pending writes applied."""
    if not pending:
        for k, record, state in cursor:
            yield QueuedMessage(k - base, record, state)
        return
    i, n = 0, len(pending)
    for k, record, state in cursor:
        seq = k - base
        while i < n and pending[i][0] < seq:  # not in the file: only a pending add counts
            added, (_, rec, st) = pending[i]
            i += 1
            if rec is not None and st is not None:
                yield QueuedMessage(added, rec if records else None, st)
        if i < n and pending[i][0] == seq:
            _, (_, rec, st) = pending[i]
            i += 1
            if st is not None:  # else removed
                yield QueuedMessage(seq, (record if rec is None else rec) if records else None, st)
            continue
        yield QueuedMessage(seq, record, state)
    for added, (_, rec, st) in pending[i:]:
        if rec is not None and st is not None:
            yield QueuedMessage(added, rec if records else None, st)
