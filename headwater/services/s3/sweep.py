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

Touched ids cover the sweep's races: while a sweep runs, `TrackedBlobs` (tracked_blobs.py) notes every blob S3
commits and every blob a record or upload starts naming (store.py calls `touch`), so a blob made
or newly referenced after the filter passed its key is never taken for an orphan. A false
positive of the filter only keeps an orphan until a later start's sweep.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from itertools import islice

from headwater.services.s3.store import S3Store, objects_ns

log = logging.getLogger("headwater.s3")
PAGE = 1000
_BLOBS = re.compile(rb'"blobs":\[([^\]]*)\]')


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
