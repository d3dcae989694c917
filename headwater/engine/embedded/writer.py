"""The single writer thread: group commit, bridged to the asyncio loop.

Theory of operation. The loop thread never touches the writer connection: it builds ops and puts
them on a queue (never blocks), each with a future. The writer blocks on the queue, then drains
everything already queued (bounded by MAX_BATCH_WEIGHT) into ONE transaction, so the batch grows
with the load while the disk is busy, and one fsync covers the whole batch (adjacent ops with one
`run_key`, e.g. a queue's adds, are applied by one `apply_run`: ops.apply_all). After COMMIT returns
one `call_soon_threadsafe` hands the whole batch back to the loop, which applies each op's effects
(committed offsets, tail cache) and resolves its future; in `durable` mode that hand-over waits
for the WAL's fsync, which runs on the syncer thread (syncer.py) while the writer commits the next
batch. Ops commit in queue order, so the loop sees commits in the order it submitted them.

Background cleanup (ops.Cleanup) is chunked: each transaction carries at most one chunk of
deletes (after trims and drops), and an idle writer runs chunks alone, a few ms apart, so deleting
a large partition never stalls appends. Vacuum steps run only after a quiet spell. WAL checkpoints
run on their own thread (checkpointer.py), with the writer's autocheckpoint as a backstop.

A failed transaction is rolled back and the writer goes fail-stop: the failed ops and everything
after them fail with the error, since offsets handed out on the loop can no longer be honoured.
A restart recovers the committed state from the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

from headwater.engine.embedded.checkpointer import Checkpointer
from headwater.engine.embedded.ops import Cleanup, Op, Settle, Stop, apply_all
from headwater.engine.embedded.schema import Durability, Recovered, connect_writer, recover
from headwater.engine.embedded.syncer import Syncer
from headwater.engine.memory import NO_MARK

MAX_BATCH_WEIGHT = 16 * 1024 * 1024
VACUUM_AFTER_IDLE_S = 0.1
DELETE_PACE_S = 0.005
TRUNCATE_ATTEMPTS = 100  # idle deletes leave gaps in which a checkpoint can catch up with the WAL


class EngineFailed(RuntimeError):
    """The writer hit an error it cannot recover from; restart to recover from disk."""


def _done_all(ops: list[Op]) -> None:
    for op in ops:
        op.committed()


def _fail_all(ops: list[Op], exc: BaseException) -> None:
    for op in ops:
        op.failed(exc)


def _resolve(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(result)
    else:
        future.set_exception(exc)


class Writer(threading.Thread):
    def __init__(self, path: Path, durability: Durability) -> None:
        super().__init__(name="headwater-engine-writer", daemon=True)
        self._path = path
        self._durability = durability
        self._queue: SimpleQueue[Op] = SimpleQueue()
        self._cleanup = Cleanup()
        self._settles: list[Op] = []
        self._inflight: list[Op] = []  # taken from the queue, not yet handed back
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[Recovered] | None = None
        self._checkpointer = Checkpointer(path, durability)
        self._syncer: Syncer | None = None  # durable mode: acknowledgements wait for its fsync
        self.failure: BaseException | None = None
        # Test hook: called on the writer thread right before each COMMIT.
        self.before_commit: Callable[[], object] | None = None

    # --- loop thread -------------------------------------------------------------------------

    async def open(self) -> Recovered:
        """Starts the thread; returns what the file holds."""
        self._loop = asyncio.get_running_loop()
        self._ready = self._loop.create_future()
        self.start()
        return await self._ready

    def check(self) -> None:
        if self.failure is not None:
            raise self._failed()

    def submit(self, op: Op) -> asyncio.Future[Any]:
        self.check()
        assert self._loop is not None, "engine not started"
        op.future = self._loop.create_future()
        self._queue.put(op)
        return op.future

    async def stop(self) -> None:
        """Commits everything queued before it, checkpoints, closes the file and ends the thread."""
        self._queue.put(Stop())
        await asyncio.to_thread(self.join)  # returns even if the thread died some other way

    # --- writer thread -----------------------------------------------------------------------

    def _acknowledge(self, callback: Callable[..., None], *args: Any) -> None:
        """Posts `callback(*args)` once what is committed so far is durable (durable mode: after the
        syncer's next fsync of the WAL; otherwise at once)."""
        if self._syncer is not None:
            self._syncer.after_sync(callback, *args, waiting=self._queue.qsize())
        else:
            self._post(callback, *args)

    def _sync_failed(self, exc: BaseException) -> BaseException:
        """Syncer thread: an fsync failed; the writer goes fail-stop."""
        if self.failure is None:
            self.failure = exc
        return self._failed()

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            self._loop.call_soon_threadsafe(callback, *args)

    def run(self) -> None:
        assert self._ready is not None
        try:
            db = connect_writer(self._path, self._durability)
        except Exception as exc:
            self._post(_resolve, self._ready, None, exc)
            return
        try:
            recovered = recover(db, NO_MARK)
        except Exception as exc:
            db.close()
            self._post(_resolve, self._ready, None, exc)
            return
        for part in recovered.partitions:
            if part.has_rows_below_first:
                self._cleanup.trim(part.pid, part.first)
        for pid in recovered.dropped:
            self._cleanup.drop(pid)
        for qid in recovered.dropped_queues:
            self._cleanup.drop_queue(qid)
        if self._durability == "durable":
            self._syncer = Syncer(Path(f"{self._path}-wal"), self._post, self._sync_failed)
            try:
                self._syncer.open()
            except OSError as exc:
                db.close()
                self._post(_resolve, self._ready, None, exc)
                return
        self._checkpointer.start()
        self._post(_resolve, self._ready, recovered, None)
        try:
            self._serve(db)
        except BaseException as exc:  # a bug: fail everything rather than leave awaiters hanging
            if self.failure is None:
                self.failure = exc
            self._post(self._fail_queued)
            raise
        finally:
            self._checkpointer.stop()
            if self._syncer is not None:
                self._syncer.close()  # posts what it holds once synced: committed, so durable
            db.close()

    def _serve(self, db: sqlite3.Connection) -> None:
        while True:
            wait = self._wait()
            ops, stop = self._take(wait)
            self._inflight = ops
            if self.failure is not None:
                if ops:
                    self._post(_fail_all, ops, self._failed())
            elif ops or (stop is None and self._cleanup.pending):
                # A vacuum step only after a quiet spell (or when someone waits for it).
                quiet = not ops and (wait == VACUUM_AFTER_IDLE_S or bool(self._settles))
                self._commit(db, ops, vacuum=quiet)  # on error, fails `ops` and sets self.failure
            if self._settles and (self.failure is not None or not self._cleanup.pending):
                settles, self._settles = self._settles, []
                self._checkpoint(db)
                if self.failure is None:
                    self._acknowledge(_done_all, settles)
                else:
                    self._post(_fail_all, settles, self._failed())
            if stop is not None:
                self._checkpointer.stop()
                self._checkpoint(db)  # leave a compact file behind
                self._acknowledge(_done_all, [stop])
                return

    def _fail_queued(self) -> None:
        """Loop thread, once the writer has died: nothing can be queued behind this any more."""
        failed = self._failed()
        pending, self._settles, self._inflight = self._inflight + self._settles, [], []
        while not self._queue.empty():
            pending.append(self._queue.get_nowait())
        for op in pending:
            if isinstance(op, Stop):
                op.committed()
            else:
                op.failed(failed)

    def _wait(self) -> float | None:
        """How long to wait for ops: forever with nothing else to do, not at all while deletes are
        due or a settle waits, a quiet spell before a vacuum step."""
        if self.failure is not None or not self._cleanup.pending:
            return None
        if self._settles:
            return 0.0
        if self._cleanup.deleting:
            return DELETE_PACE_S
        return VACUUM_AFTER_IDLE_S

    def _failed(self) -> EngineFailed:
        failure = EngineFailed(f"storage engine failed: {self.failure!r}")
        failure.__cause__ = self.failure
        return failure

    def _checkpoint(self, db: sqlite3.Connection) -> None:
        if self.failure is not None:
            return
        try:
            # busy while the checkpointer thread's own pass (or a reader's snapshot) overlaps it:
            # a settle must leave the WAL truncated, so try again shortly
            for _ in range(TRUNCATE_ATTEMPTS):
                busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    return
                time.sleep(0.01)
        except sqlite3.Error as exc:
            self.failure = exc

    def _take(self, wait: float | None) -> tuple[list[Op], Op | None]:
        """Everything queued, waiting up to `wait` seconds for the first op (None: forever), up to
        MAX_BATCH_WEIGHT."""
        ops: list[Op] = []
        weight = 0
        try:
            op = self._queue.get(wait != 0.0, wait)
        except Empty:
            return ops, None
        while True:
            if isinstance(op, Stop):
                return ops, op
            if isinstance(op, Settle):
                self._settles.append(op)
            else:
                ops.append(op)
                weight += op.weight
                if weight >= MAX_BATCH_WEIGHT:
                    return ops, None
            try:
                op = self._queue.get_nowait()
            except Empty:
                return ops, None

    def _commit(self, db: sqlite3.Connection, ops: list[Op], vacuum: bool) -> None:
        try:
            db.execute("BEGIN IMMEDIATE")
            apply_all(db, self._cleanup, ops)
            if self._cleanup.pending:
                self._cleanup.step(db, vacuum, busy=bool(ops))
            if self.before_commit is not None:
                self.before_commit()
            db.execute("COMMIT")
            self._checkpointer.poke()
        except Exception as exc:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            self.failure = exc
            self._post(_fail_all, ops, exc)
            return
        if ops:
            self._acknowledge(_done_all, ops)
