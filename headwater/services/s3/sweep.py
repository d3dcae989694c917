"""Finding blobs no record names, in the background after start.

Theory of operation
-------------------
A crash can leave committed blobs that no record names: a body committed whose record was never
written, or a record removed whose blobs were not deleted yet (store.py orders the writes so that
nothing worse happens). Finding them means comparing every blob with every record, so it runs as
a background task after start, never before the server answers, in pages with a yield to the
loop between pages, and in bounded memory:

1. a Bloom filter (~1.2 bytes per referenced blob, 1% false positives) of every blob id that the
   object records name, built by paging through each bucket's records;
2. every blob id from the blob store, in pages: an id that is not in the filter, not in an upload
   in progress and not *touched* during the sweep is unreferenced, and deleted.

Touched ids cover the sweep's races: while a sweep runs, `TrackedBlobs` notes every blob S3
commits and every blob a record or upload starts naming (store.py calls `touch`), so a blob made
or newly referenced after the filter passed its key is never taken for an orphan. A false
positive of the filter only keeps an orphan until a later start's sweep.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING

from headwater.engine.api import BlobStore, BlobWriter

if TYPE_CHECKING:
    from headwater.services.s3.store import S3Store

log = logging.getLogger("headwater.s3")
PAGE = 1000
_BLOBS = re.compile(rb'"blobs":\[([^\]]*)\]')


class TrackedBlobs:
    """The engine's blob store, noting the ids S3 commits or references while a sweep runs."""

    def __init__(self, blobs: BlobStore) -> None:
        self.inner = blobs
        self.touched: set[str] | None = None  # a set only while a sweep runs

    def touch(self, blob_ids: Iterable[str]) -> None:
        if self.touched is not None:
            self.touched.update(blob_ids)

    def create(
        self, observe: Callable[[bytes], None] | None = None, size_hint: int | None = None
    ) -> BlobWriter:
        return _TrackedWriter(self, self.inner.create(observe, size_hint))

    def read(self, blob_id: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        return self.inner.read(blob_id, start, end)

    def size(self, blob_id: str) -> int | None:
        return self.inner.size(blob_id)

    def delete(self, blob_ids: Sequence[str]) -> Awaitable[None]:
        return self.inner.delete(blob_ids)

    def ids(self) -> Iterator[str]:
        return self.inner.ids()


class _TrackedWriter:
    def __init__(self, owner: TrackedBlobs, inner: BlobWriter) -> None:
        self._owner = owner
        self._inner = inner

    @property
    def size(self) -> int:
        return self._inner.size

    @size.setter
    def size(self, value: int) -> None:
        self._inner.size = value

    async def write(self, chunk: bytes) -> None:
        await self._inner.write(chunk)

    async def commit(self) -> str:
        blob_id = await self._inner.commit()
        self._owner.touch((blob_id,))
        return blob_id

    async def commit_ordered(self) -> str:
        blob_id = await self._inner.commit_ordered()
        self._owner.touch((blob_id,))
        return blob_id

    async def abort(self) -> None:
        await self._inner.abort()


class Bloom:
    """A Bloom filter of strings (Python's string hash: valid within one process)."""

    HASHES = 7
    BITS_PER_ITEM = 10

    def __init__(self, capacity: int) -> None:
        self._bits = max(1024, capacity * self.BITS_PER_ITEM)
        self._array = bytearray(self._bits // 8 + 1)

    def _positions(self, item: str) -> Iterator[int]:
        h = hash(item) & 0xFFFFFFFFFFFFFFFF
        h1, h2 = h & 0xFFFFFFFF, (h >> 32) | 1
        for i in range(self.HASHES):
            yield (h1 + i * h2) % self._bits

    def add(self, item: str) -> None:
        for position in self._positions(item):
            self._array[position >> 3] |= 1 << (position & 7)

    def __contains__(self, item: str) -> bool:
        return all(self._array[p >> 3] & (1 << (p & 7)) for p in self._positions(item))


def named_blobs(raw: bytes) -> Iterator[str]:
    """The blob ids a stored version list names (without decoding the whole list)."""
    for match in _BLOBS.finditer(raw):
        for quoted in match.group(1).split(b","):
            if len(quoted) > 2:
                yield quoted[1:-1].decode()


async def sweep(store: S3Store) -> int:
    """Deletes the blobs no record names; returns how many went."""
    from headwater.services.s3.store import objects_ns  # noqa: PLC0415  (store imports this module)

    blobs = store.blobs
    blobs.touched = set()
    try:
        buckets = [bucket.name for bucket in store.buckets()]
        filter_ = Bloom(sum(store.stats(name).objects for name in buckets) + 1000)
        for name in buckets:
            after: str | None = None
            while True:
                rows = store.ordered.scan_range(objects_ns(name), after, "", PAGE)
                for _, raw in rows:
                    for blob_id in named_blobs(raw):
                        filter_.add(blob_id)
                if len(rows) < PAGE:
                    break
                after = rows[-1][0]
                await asyncio.sleep(0)
        deleted = checked = 0
        ids = blobs.ids()
        while page := list(islice(ids, PAGE)):
            checked += len(page)
            uploading = store.upload_blobs()
            doomed = [
                blob_id
                for blob_id in page
                if blob_id not in filter_ and blob_id not in blobs.touched and blob_id not in uploading
            ]
            if doomed:
                deleted += len(doomed)
                await blobs.delete(doomed)
            await asyncio.sleep(0)
        log.info("orphan sweep done: %d blobs checked, %d unreferenced deleted", checked, deleted)
        return deleted
    finally:
        blobs.touched = None
