"""The queue store's units of work for the writer thread (see ops.py for the life of an op).

Message writes also keep the loop's *overlay* (queues.py) honest: each one records its effect
there when submitted, tagged with the op, and removes it once committed, unless a later write to
the same seq has taken the slot over (that one removes it when it commits: ops commit in order).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import cast

from headwater.engine.embedded.ops import Cleanup, Op
from headwater.engine.embedded.schema import key

# Rows go in as multi-row statements of CHUNKS sizes (10 rows: 8 + 2): pysqlite releases and
# retakes the GIL around every sqlite3_step, so one step per row (executemany) makes the writer
# queue behind the busy event loop for the GIL once per row; a handful of steps per op does not.
CHUNKS = (64, 32, 16, 8, 4, 2, 1)


def insert_rows(db: sqlite3.Connection, head: str, rows: list[tuple[object, object]]) -> int:
    """`head` (an INSERT up to VALUES) over `rows` of two values; returns the rows it changed."""
    changed, at = 0, 0
    for size in CHUNKS:
        while len(rows) - at >= size:
            values = [value for row in rows[at : at + size] for value in row]
            changed += db.execute(head + ",".join(("(?, ?)",) * size), values).rowcount
            at += size
    return changed


def delete_keys(db: sqlite3.Connection, table: str, keys: list[int]) -> int:
    """Deletes `table`'s rows of `keys` (as insert_rows does, a few steps); returns how many went."""
    removed, at = 0, 0
    for size in CHUNKS:
        while len(keys) - at >= size:
            marks = ",".join(("?",) * size)
            removed += db.execute(
                f"DELETE FROM {table} WHERE key IN ({marks})", keys[at : at + size]
            ).rowcount
            at += size
    return removed


# seq -> (the op that wrote it last, record, state). record None: a state update of whatever the
# file holds; state None: removed.
Pending = tuple[Op, bytes | None, bytes | None]
Overlay = dict[int, Pending]


class CreateQueue(Op):
    __slots__ = ("qid", "name")

    def __init__(self, qid: int, name: str) -> None:
        super().__init__()
        self.qid, self.name = qid, name

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("INSERT INTO queues (qid, name, stored) VALUES (?, ?, 0)", (self.qid, self.name))


class DropQueue(Op):
    __slots__ = ("qid",)

    def __init__(self, qid: int) -> None:
        super().__init__()
        self.qid = qid

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("UPDATE queues SET dropped = 1 WHERE qid = ?", (self.qid,))
        cleanup.drop_queue(self.qid)


class ClearQueue(Op):
    """The queue goes on under a fresh id, atomically; the old id's rows go in the background."""

    __slots__ = ("old", "new", "name")

    def __init__(self, old: int, new: int, name: str) -> None:
        super().__init__()
        self.old, self.new, self.name = old, new, name

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        db.execute("UPDATE queues SET dropped = 1 WHERE qid = ?", (self.old,))
        db.execute("INSERT INTO queues (qid, name, stored) VALUES (?, ?, 0)", (self.new, self.name))
        cleanup.drop_queue(self.old)


class _MessageWrite(Op):
    __slots__ = ("qid", "overlay")

    def __init__(self, qid: int, overlay: Overlay) -> None:
        super().__init__()
        self.qid, self.overlay = qid, overlay

    def seqs(self) -> Iterable[int]:
        raise NotImplementedError

    def committed(self) -> None:
        overlay = self.overlay
        if overlay:
            for seq in self.seqs():
                pending = overlay.get(seq)
                if pending is not None and pending[0] is self:
                    del overlay[seq]
        super().committed()


class AddMessages(_MessageWrite):
    __slots__ = ("messages", "weight", "run_key")

    def __init__(self, qid: int, overlay: Overlay, messages: list[tuple[int, bytes, bytes]]) -> None:
        super().__init__(qid, overlay)
        self.messages = messages
        self.weight = sum(len(r) + len(s) for _, r, s in messages) + 64 * len(messages)
        self.run_key = (AddMessages, qid)  # a commit's adds to one queue: one INSERT per table
        for seq, record, state in messages:
            overlay[seq] = (self, record, state)

    def seqs(self) -> Iterable[int]:
        return (seq for seq, _, _ in self.messages)

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        self.apply_run(db, cleanup, [self])

    @classmethod
    def apply_run(cls, db: sqlite3.Connection, cleanup: Cleanup, ops: Sequence[Op]) -> None:
        qid = cast(AddMessages, ops[0]).qid
        messages = [message for op in ops for message in cast(AddMessages, op).messages]
        # OR REPLACE: a seq stored twice (a service bug) overwrites, as in memory, rather than
        # failing the transaction and with it the whole engine; rows go in in order, the last wins.
        base = key(qid, 0)
        insert_rows(
            db,
            "INSERT OR REPLACE INTO queue_records (key, record) VALUES ",
            [(base + seq, record) for seq, record, _ in messages],
        )
        # IGNORE counts the new rows exactly; an overwrite is rare
        added = insert_rows(
            db,
            "INSERT OR IGNORE INTO queue_states (key, state) VALUES ",
            [(base + seq, state) for seq, _, state in messages],
        )
        if added != len(messages):  # in order: each seq ends with its last state
            db.executemany(
                "UPDATE queue_states SET state = ? WHERE key = ?",
                ((state, base + seq) for seq, _, state in messages),
            )
        db.execute("UPDATE queues SET stored = stored + ? WHERE qid = ?", (added, qid))


class SetStates(_MessageWrite):
    __slots__ = ("updates", "weight")

    def __init__(self, qid: int, overlay: Overlay, updates: list[tuple[int, bytes]]) -> None:
        super().__init__(qid, overlay)
        self.updates = updates
        self.weight = sum(len(s) for _, s in updates) + 64 * len(updates)
        for seq, state in updates:
            pending = overlay.get(seq)
            if pending is None:  # applies to the file's copy, if there is one
                overlay[seq] = (self, None, state)
            elif pending[2] is not None:  # on top of a pending add or state update
                overlay[seq] = (self, pending[1], state)
            # else: a pending remove, which this update cannot undo

    def seqs(self) -> Iterable[int]:
        return (seq for seq, _ in self.updates)

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        base = key(self.qid, 0)
        db.executemany(
            "UPDATE queue_states SET state = ? WHERE key = ?",
            ((state, base + seq) for seq, state in self.updates),
        )


class RemoveMessages(_MessageWrite):
    __slots__ = ("removed", "weight", "run_key")

    def __init__(self, qid: int, overlay: Overlay, seqs: list[int]) -> None:
        super().__init__(qid, overlay)
        self.removed = seqs
        self.weight = 64 * len(seqs)
        self.run_key = (RemoveMessages, qid)  # a commit's deletes from one queue: one DELETE per table
        for seq in seqs:
            overlay[seq] = (self, None, None)

    def seqs(self) -> Iterable[int]:
        return self.removed

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        self.apply_run(db, cleanup, [self])

    @classmethod
    def apply_run(cls, db: sqlite3.Connection, cleanup: Cleanup, ops: Sequence[Op]) -> None:
        qid = cast(RemoveMessages, ops[0]).qid
        base = key(qid, 0)
        keys = [base + seq for op in ops for seq in cast(RemoveMessages, op).removed]
        delete_keys(db, "queue_records", keys)
        removed = delete_keys(db, "queue_states", keys)
        if removed:
            db.execute("UPDATE queues SET stored = stored - ? WHERE qid = ?", (removed, qid))
