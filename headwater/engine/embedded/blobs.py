"""The embedded BlobStore: small blobs as SQLite rows, large ones as files.

A writer whose declared size (`size_hint`) is at most ROW_THRESHOLD buffers the blob in memory
and commits it as one row through the group-commit writer (blob_rows.py); any other writer
streams to a file (blob_files.py). A small writer that receives more than ROW_THRESHOLD after
all (the declared size was wrong) moves to a file on the way. The id says where a blob lives ("r<rowid>" or "f<hex>",
prefixed "<owner>:" for a named owner), so reads, sizes and deletes need no index.

Measured on the 2-core development VM (durable mode, 8 concurrent writers each committing blobs
of one size in a loop, commits/s; then 8 concurrent readers, reads/s):
    size      files PUT   rows PUT   files GET   rows GET
    1 KiB       ~1,500     ~17,000     ~11,000   ~120,000
    16 KiB      ~1,300      ~7,000     ~14,000    ~60,000
    64 KiB      ~1,000      ~3,300     ~12,000    ~37,000
    128 KiB       ~550      ~1,550      ~8,500    ~22,000
    256 KiB       ~350        ~700      ~4,000    ~10,000
A row read on the loop thread takes ~5 us (a file read's hop to a thread ~70 us). Rows win at
every size here, by less as the size grows, while their costs grow: the writer buffers the whole
blob, a transaction of big rows delays the log's and queues' commits behind it, and every byte is
written twice (WAL, then checkpoint). Hence the threshold.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from itertools import chain
from pathlib import Path

from headwater.engine.api import BlobWriter
from headwater.engine.embedded.blob_files import FileBlobs, FileBlobWriter
from headwater.engine.embedded.blob_rows import (
    ROW_PREFIX,
    ClearBlobs,
    DeleteBlobs,
    PutBlob,
    RowReader,
    row_of,
)
from headwater.engine.embedded.schema import Durability
from headwater.engine.embedded.writer import Writer
from headwater.engine.memory import completed
from headwater.engine.memory_blobs import (
    INLINE_OBSERVE_MAX,
    Observe,
    WriterState,
    as_bytes,
    check_owner,
    clamp,
    owned,
    split_owner,
)

ROW_THRESHOLD = 128 * 1024


class RowBlobWriter:
    """Buffers a small blob and stores it as one row; becomes a file writer past the threshold."""

    def __init__(self, store: EmbeddedBlobStore, observe: Observe | None, owner: str) -> None:
        self.size = 0
        self._owner = owner
        self._store = store
        self._observe = observe
        self._chunks: list[bytes] = []
        self._file: FileBlobWriter | None = None
        self._state = WriterState()

    async def write(self, chunk: bytes) -> None:
        if self._file is not None:
            await self._file.write(chunk)
            self.size = self._file.size
            return
        self._state.check_open()
        if not chunk:
            return
        self._chunks.append(as_bytes(chunk))
        self.size += len(chunk)
        if self.size > self._store.row_threshold:  # more than declared: stream the rest to a file
            self._file = self._store.files.writer(self._observe, self._owner)
            chunks, self._chunks = self._chunks, []
            for buffered in chunks:
                await self._file.write(buffered)

    async def commit(self) -> str:
        return await self._commit(ordered=False)

    async def commit_ordered(self) -> str:
        return await self._commit(ordered=True)

    async def _commit(self, *, ordered: bool) -> str:
        if self._file is not None:
            return await self._file.commit()
        self._state.check_open()
        self._state.state = WriterState.COMMITTING
        data = b"".join(self._chunks)
        self._chunks = []
        try:
            if self._observe is not None:
                if len(data) > INLINE_OBSERVE_MAX:
                    await asyncio.to_thread(self._observe, data)
                else:
                    self._observe(data)
            if self._state.state != WriterState.COMMITTING:
                raise RuntimeError(f"blob writer is {self._state.state}")
            # Cancelled from here on, the row may still commit: an orphan for start-up collection.
            blob_id = await self._store.put_row(data, ordered=ordered, owner=self._owner)
        except BaseException:
            if self._state.state == WriterState.COMMITTING:
                self._state.state = WriterState.FAILED
            raise
        self._state.state = WriterState.COMMITTED
        return blob_id

    async def abort(self) -> None:
        if self._file is not None:
            await self._file.abort()
        elif self._state.state != WriterState.COMMITTED:
            self._state.state = WriterState.ABORTED
            self._chunks = []


class EmbeddedBlobStore:
    def __init__(
        self,
        root: Path,
        db_path: Path,
        durability: Durability,
        writer: Writer,
        row_threshold: int = ROW_THRESHOLD,
    ) -> None:
        self.files = FileBlobs(str(root), durability == "durable")
        self.writer = writer
        self.row_threshold = row_threshold
        self._db_path = db_path
        self._rows: RowReader | None = None
        self._last_row = 0
        # rows submitted but not yet committed (commit_ordered): readable from here meanwhile
        self._pending: dict[tuple[int, str], bytes] = {}

    async def open(self) -> None:
        """After the writer has opened the file (and created the table)."""
        await asyncio.to_thread(self.files.open)
        self._rows = RowReader(self._db_path)
        self._last_row = self._rows.last_id()

    async def put_row(self, data: bytes, *, ordered: bool, owner: str = "") -> str:
        self._last_row += 1
        rowid = self._last_row
        blob_id = owned(owner, f"{ROW_PREFIX}{rowid}")
        if not ordered:
            await self.writer.submit(PutBlob(data, rowid, owner))
            return blob_id
        self.writer.submit(PutBlob(data, rowid, owner, self._pending))  # settles its pending entry
        self._pending[rowid, owner] = data
        return blob_id

    async def close(self) -> None:
        await self.files.close()
        if self._rows is not None:
            self._rows.close()
            self._rows = None

    async def clear(self) -> None:
        await asyncio.gather(self.writer.submit(ClearBlobs()), self.files.clear())

    def _reader(self) -> RowReader:
        assert self._rows is not None, "engine not started"
        return self._rows

    # --- BlobStore ---------------------------------------------------------------------------

    def create(
        self, observe: Observe | None = None, size_hint: int | None = None, owner: str = ""
    ) -> BlobWriter:
        check_owner(owner)
        self.writer.check()
        if size_hint is not None and 0 <= size_hint <= self.row_threshold:
            return RowBlobWriter(self, observe, owner)
        return self.files.writer(observe, owner)

    def read(self, blob_id: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        owner, inner = split_owner(blob_id)
        rowid = row_of(inner)
        if rowid is None:
            return self.files.read(blob_id, start, end)
        return self._read_row(blob_id, rowid, owner, start, end)

    async def _read_row(
        self, blob_id: str, rowid: int, owner: str, start: int, end: int | None
    ) -> AsyncIterator[bytes]:
        data = self._pending.get((rowid, owner))
        if data is None:
            data = self._reader().get(rowid, owner)
        if data is None:
            raise KeyError(blob_id)
        start, end = clamp(start, end, len(data))
        if start < end:
            yield data if end - start == len(data) else data[start:end]

    def size(self, blob_id: str) -> int | None:
        owner, inner = split_owner(blob_id)
        rowid = row_of(inner)
        if rowid is None:
            return self.files.size(blob_id)
        pending = self._pending.get((rowid, owner))
        return len(pending) if pending is not None else self._reader().size(rowid, owner)

    def delete(self, blob_ids: Sequence[str]) -> Awaitable[None]:
        rowids: list[tuple[int, str]] = []
        files: list[str] = []
        for blob_id in blob_ids:
            owner, inner = split_owner(blob_id)
            rowid = row_of(inner)
            if rowid is None:
                files.append(blob_id)
            else:
                rowids.append((rowid, owner))
        waits: list[Awaitable[None]] = []
        if rowids:
            waits.append(self.writer.submit(DeleteBlobs(rowids)))
        if files:
            waits.append(self.files.delete(files))
        if not waits:
            return completed(None)
        if len(waits) == 1:
            return waits[0]
        return asyncio.ensure_future(_all(waits))

    def ids(self, owner: str = "") -> Iterator[str]:
        return chain(self._reader().ids(owner), self.files.ids(owner))


async def _all(waits: list[Awaitable[None]]) -> None:
    await asyncio.gather(*waits)
