"""Background WAL checkpoints, off the writer's path.

A checkpoint copies committed pages from the WAL back into the database file (and, in `durable`
mode, fsyncs it). Run inline after a commit (SQLite's autocheckpoint) it holds up every append
queued behind it for tens of milliseconds. So this thread, on its own connection, runs a PASSIVE
checkpoint shortly after commits, concurrently with the writer; SQLite restarts the WAL from its
beginning at the first write after a checkpoint that caught up. If this thread cannot keep up
(sustained writes faster than the disk), the writer's own autocheckpoint, set much higher, is the
backstop that bounds the WAL.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from headwater.engine.embedded.schema import Durability

INTERVAL_S = 0.05  # gather ~50 ms of commits per checkpoint: each one costs an fsync of the file
MAX_PASSES = 8


class Checkpointer(threading.Thread):
    def __init__(self, path: Path, durability: Durability) -> None:
        super().__init__(name="headwater-engine-checkpointer", daemon=True)
        self._path = path
        self._durability = durability
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self.error: sqlite3.Error | None = None  # the writer's backstop covers for it; kept for tests

    def poke(self) -> None:
        """Writer thread, after a commit."""
        if not self._dirty.is_set():
            self._dirty.set()

    def stop(self) -> None:
        self._stopping.set()
        self._dirty.set()
        self.join()

    def run(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None)
        try:
            db.execute(f"PRAGMA synchronous = {'FULL' if self._durability == 'durable' else 'OFF'}")
            while True:
                self._dirty.wait()
                if self._stopping.wait(INTERVAL_S):
                    return
                self._dirty.clear()
                if self._stopping.is_set():  # stop() ran since the wait timed out: its wake-up is gone
                    return
                try:
                    self._catch_up(db)
                except sqlite3.Error as exc:  # e.g. disk full: leave it to the writer's checkpoints
                    self.error = exc
                    return
        finally:
            db.close()

    def _catch_up(self, db: sqlite3.Connection) -> None:
        # The WAL restarts only after a checkpoint that copied every frame, so repeat at once while
        # commits keep landing during a pass: each pass has less to copy than the one before.
        for _ in range(MAX_PASSES):
            _, frames, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if copied >= frames or self._stopping.is_set():
                return
