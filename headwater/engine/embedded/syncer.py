"""Durable mode's fsync thread: commits are acknowledged once the WAL is on disk, off the writer's path.

Theory of operation. With ``synchronous = FULL`` SQLite fsyncs the WAL inside every COMMIT, so the
writer sits idle through each fsync, and every op that arrives meanwhile waits for that fsync and
then for a whole commit + fsync of its own. Instead the writer connection runs ``synchronous =
NORMAL`` (a COMMIT writes its WAL frames but does not sync them) and hands each committed batch's
acknowledgement to this thread, which fsyncs the WAL file and only then posts the acknowledgements
to the loop. The writer meanwhile applies and commits the next batch, so one fsync overlaps the next
transaction, and one fsync covers every batch committed before it started. That hand-off is worth
it only with a next batch to overlap: when fewer than HANDOFF_MIN_WAITING ops wait and this thread
holds nothing, the writer fsyncs and posts itself (the same fsync, on its own thread).

Why this is as durable as FULL: an acknowledgement is posted only after an ``fdatasync`` of the WAL
that began after its transaction's COMMIT returned, i.e. after its frames (and the WAL header they
follow) were written; the fsync makes all of them durable. A crash before that loses only
transactions nobody was told about; SQLite's frame checksums drop a torn tail, as they always do.
Checkpoints (checkpointer.py, the writer's own) still sync the WAL before copying it and the
database file after, whatever this thread does. Acknowledgements keep their commit order: one
queue, drained in order, and the writer posts its own only when every job it handed over is posted.

A failed fsync leaves the file's state unknown: the syncer fails its batches and everything after
them, and the writer goes fail-stop (a restart recovers from what the disk holds).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from headwater.engine.embedded.ops import Stop

# fdatasync where there is one: the WAL's data (and its size), not its timestamps
_sync_file: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)

# The writer hands a commit's fsync over only when this many ops wait for it: a hand-off is a thread
# wake-up on the way to every acknowledgement, and on contended CPUs that wait (measured with S3 1
# KiB PUTs, 8 clients, load ~12 on 2 cores: the syncer thread waited ~0.15-0.25 ms in the run queue
# per PUT, and throughput fell ~25%) costs more than overlapping a small next batch saves.
HANDOFF_MIN_WAITING = 4

Post = Callable[..., None]  # the writer's hand-over to the loop: post(callback, *args)
Job = tuple[Callable[..., None], tuple[Any, ...]] | None  # None: stop


class Syncer(threading.Thread):
    def __init__(self, wal: Path, post: Post, failed: Callable[[BaseException], BaseException]) -> None:
        super().__init__(name="headwater-engine-syncer", daemon=True)
        self._wal = wal
        self._post = post
        self._failed = failed  # records the failure on the writer; returns the error to fail with
        self._queue: SimpleQueue[Job] = SimpleQueue()
        self._fd: int | None = None
        self._handed = 0  # jobs queued so far (writer thread)
        self._posted = 0  # jobs posted so far (syncer thread)
        self.failure: BaseException | None = None

    def open(self) -> None:
        """Writer thread, once its connection is open (the WAL file exists from then on)."""
        # The fd stays open until close(): closing any fd of a file drops the process's POSIX
        # locks on it, and SQLite keeps none on the WAL, but never closing mid-run keeps it so.
        self._fd = os.open(self._wal, os.O_RDONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        self.start()

    def after_sync(self, callback: Callable[..., None], *args: Any, waiting: int = 0) -> None:
        """Writer thread: post `callback(*args)` to the loop once what is committed now is durable.
        `waiting`: ops queued for the writer. Unless enough wait for it to overlap a commit with
        this fsync, and while this thread holds nothing, the writer syncs and posts itself."""
        if waiting < HANDOFF_MIN_WAITING and self._posted == self._handed:
            # Every job handed over is posted already, so acknowledgements keep commit order.
            self._sync([(callback, args)])
            return
        self._handed += 1
        self._queue.put((callback, args))

    def close(self) -> None:
        """Writer thread: syncs and posts everything handed over so far, then ends the thread."""
        if self.is_alive():
            self._queue.put(None)
            self.join()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def run(self) -> None:
        assert self._fd is not None
        while True:
            jobs = [self._queue.get()]
            while not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            stopping = jobs[-1] is None
            ready = [job for job in jobs if job is not None]
            if ready:
                self._sync(ready)
                self._posted += len(ready)
            if stopping:
                return

    def _sync(self, jobs: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> None:
        assert self._fd is not None
        if self.failure is None:
            try:
                _sync_file(self._fd)
            except OSError as exc:
                self.failure = self._failed(exc)
        for callback, args in jobs:
            if self.failure is None:
                self._post(callback, *args)
            else:
                self._post(_fail, callback, args, self.failure)


def _fail(callback: Callable[..., None], args: tuple[Any, ...], error: BaseException) -> None:
    """Loop thread: a batch whose fsync failed fails instead of succeeding (ops, or a Stop)."""
    ops = args[0] if args else []
    for op in ops:
        if isinstance(op, Stop):
            op.committed()  # stopping still completes: nothing more can be written
        else:
            op.failed(error)
