"""The embedded engine: one SQLite file under the data directory, one writer thread, and the
files of large blobs beside it.

The directory is locked (flock) for the life of the engine: two processes appending to the same
file would hand out the same offsets.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

from headwater.engine.api import DataDirInUse
from headwater.engine.embedded.blobs import EmbeddedBlobStore
from headwater.engine.embedded.cache import DEFAULT_BUDGET, TailCache
from headwater.engine.embedded.log import EmbeddedLog
from headwater.engine.embedded.meta import EmbeddedMetaStore
from headwater.engine.embedded.ops import Reset, Settle
from headwater.engine.embedded.ordered import EmbeddedOrderedStore
from headwater.engine.embedded.queues import EmbeddedQueueStore
from headwater.engine.embedded.schema import Durability, Reader
from headwater.engine.embedded.writer import Writer

DB_NAME = "headwater.sqlite3"
BLOBS_DIR = "blobs"


class EmbeddedEngine:
    def __init__(self, data_dir: Path, durability: Durability, cache_bytes: int = DEFAULT_BUDGET) -> None:
        self.data_dir = data_dir
        self.path = data_dir / DB_NAME
        self.durability = durability
        self._writer = Writer(self.path, durability)
        self.log = EmbeddedLog(self._writer, TailCache(cache_bytes))
        self.queues = EmbeddedQueueStore(self._writer, self.path)
        self.meta = EmbeddedMetaStore(self._writer)
        self.ordered = EmbeddedOrderedStore(self._writer, self.path)
        self.blobs = EmbeddedBlobStore(data_dir / BLOBS_DIR, self.path, durability, self._writer)
        self._reader: Reader | None = None
        self._lock_fd: int | None = None

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            recovered = await self._writer.open()
            self._reader = Reader(self.path)
            await self.blobs.open()
        except BaseException:
            if self._writer.is_alive():
                await self._writer.stop()
            self._unlock()
            raise
        self.log.load(recovered, self._reader, self.path)
        self.queues.open(recovered)
        self.meta.load(recovered.meta)
        self.ordered.open()

    async def close(self) -> None:
        if self._lock_fd is None:
            return
        try:
            if self._writer.is_alive():
                await self._writer.stop()
        finally:
            self.log.close()
            self.queues.close()
            self.ordered.close()
            await self.blobs.close()
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            self._unlock()

    async def reset(self) -> None:
        self.log.clear()
        self.queues.clear_all()
        self.meta.clear()
        self.ordered.clear()
        await asyncio.gather(self._writer.submit(Reset()), self.blobs.clear())

    async def settle(self) -> None:
        """Waits until background deletes and vacuuming are done and the WAL is checkpointed."""
        await self._writer.submit(Settle())

    def _lock(self) -> None:
        """Takes the directory's lock and writes our pid into the lock file, so that a second server
        can say who holds it (the pid is only informative: the flock is the lock)."""
        fd = os.open(self.data_dir / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(fd, 32).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            raise DataDirInUse(self.data_dir, int(holder) if holder.isdigit() else None) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None
