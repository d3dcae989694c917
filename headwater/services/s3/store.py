"""Where S3's records live: buckets and uploads in memory, object records in the engine's ordered
store.

Theory of operation
-------------------
Bucket definitions and multipart uploads are few and small: they live in the metadata store and
in memory (loaded at start). Object records are as many as the objects, so none is resident: each
bucket's keys are a namespace of the engine's ordered store whose value is the key's whole version
list, newest first (a PUT is one write). Point reads (`versions`) go to that store's bounded cache
or one SQLite seek; listings page through its range scans in key order (code point order, which
is the UTF-8 byte order S3 lists keys in). Start-up reads the buckets, their counters and the
uploads, never the objects, so its time and memory do not grow with the object count.

Every mutation is visible synchronously (callers read-modify-write without awaiting in between,
so two concurrent PUTs to one key cannot lose each other) and returns the awaitable of the durable
write. A version list and its bucket's counters (stats.py) change in one atomic write. Bodies live
in the blob store; a blob is committed before the version naming it is written, and deleted only
after the write that dropped it is durable, so a crash can leave an unreferenced blob (found in
the background after start: sweep.py) but never a version without its body.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Iterable, Iterator, Sequence

from headwater.engine.api import BlobStore, Change, MetaStore, OrderedStore
from headwater.services.s3.records import Bucket, ObjectVersion, Upload, from_bytes, from_dict, to_bytes
from headwater.services.s3.stats import BucketStats
from headwater.services.s3.tracked_blobs import TrackedBlobs

BUCKETS = "s3:buckets"
STATS = "s3:stats"  # bucket -> its counters, in the ordered store
_PAGE = 1000
_RECENT = 4096  # decoded version lists kept (a few MB)


def objects_ns(bucket: str) -> str:
    return f"s3:o:{bucket}"


def _uploads_ns(bucket: str) -> str:
    return f"s3:u:{bucket}"


class S3Store:
    def __init__(self, meta: MetaStore, ordered: OrderedStore, blobs: BlobStore) -> None:
        self.meta = meta
        self.ordered = ordered
        self.blobs = TrackedBlobs(blobs)  # S3 creates its blobs here, so the sweep sees new ones
        self._buckets: dict[str, Bucket] = {}
        self._stats: dict[str, BucketStats] = {}
        self._uploads: dict[str, dict[str, Upload]] = {}  # bucket -> upload id -> Upload
        # Decoded version lists recently read or written: a read returns the same objects until the
        # key changes (callers find a version, then replace it by identity: `v is version`).
        self._recent: OrderedDict[tuple[str, str], list[ObjectVersion]] = OrderedDict()

    # -- start-up ---------------------------------------------------------------------------------

    async def load(self) -> None:
        self.clear()
        for name, raw in self.meta.scan(BUCKETS):
            self._buckets[name] = from_bytes(Bucket, raw)
            stats = self.ordered.get(STATS, name)
            self._stats[name] = BucketStats.from_bytes(stats) if stats else await self._migrate(name)
            self._uploads[name] = {
                upload_id: from_bytes(Upload, raw_upload)
                for upload_id, raw_upload in self.meta.scan(_uploads_ns(name))
            }

    async def _migrate(self, bucket: str) -> BucketStats:
        """A bucket written before records moved to the ordered store (or before counters): its
        records move over and its counters are counted, once."""
        stats = BucketStats()
        old = list(self.meta.scan(objects_ns(bucket)))
        if old:
            moved: list[Change] = [(objects_ns(bucket), key, raw) for key, raw in old]
            await self.ordered.write(moved)
        for key, raw in old:
            stats.apply([], _decode_versions(raw))
            await self.meta.delete(objects_ns(bucket), key)
        await self.ordered.write([(STATS, bucket, stats.to_bytes())])
        return stats

    def upload_blobs(self) -> set[str]:
        """The blobs of the uploads in progress."""
        return {
            p.blob_id
            for uploads in self._uploads.values()
            for u in uploads.values()
            for p in u.parts.values()
            if p.blob_id
        }

    # -- buckets ------------------------------------------------------------------------------------

    def bucket(self, name: str) -> Bucket | None:
        return self._buckets.get(name)

    def buckets(self) -> list[Bucket]:
        return sorted(self._buckets.values(), key=lambda bucket: bucket.name)

    def stats(self, bucket: str) -> BucketStats:
        return self._stats.get(bucket) or BucketStats()

    def put_bucket(self, bucket: Bucket) -> Awaitable[None]:
        new = bucket.name not in self._buckets
        self._buckets[bucket.name] = bucket
        self._uploads.setdefault(bucket.name, {})
        written = self.meta.put(BUCKETS, bucket.name, to_bytes(bucket))
        if not new:
            return written
        self._stats[bucket.name] = BucketStats()
        return settle([written, self.ordered.write([(STATS, bucket.name, BucketStats().to_bytes())])])

    def drop_bucket(self, name: str) -> Awaitable[None]:
        """Removes an (empty) bucket."""
        self._buckets.pop(name, None)
        self._stats.pop(name, None)
        self._uploads.pop(name, None)
        return settle([self.meta.delete(BUCKETS, name), self.ordered.write([(STATS, name, None)])])

    # -- objects ------------------------------------------------------------------------------------

    def object_count(self, bucket: str) -> int:
        """How many keys the bucket has (those holding only delete markers included)."""
        return self.stats(bucket).keys

    def versions(self, bucket: str, key: str) -> list[ObjectVersion]:
        """The key's versions, newest first (delete markers included); [] when none."""
        recent = self._recent.get((bucket, key))
        if recent is not None:
            self._recent.move_to_end((bucket, key))
            return recent
        raw = self.ordered.get(objects_ns(bucket), key)
        versions = _decode_versions(raw) if raw is not None else []
        self._remember(bucket, key, versions)
        return versions

    def _remember(self, bucket: str, key: str, versions: list[ObjectVersion]) -> None:
        self._recent[(bucket, key)] = versions
        self._recent.move_to_end((bucket, key))
        if len(self._recent) > _RECENT:
            self._recent.popitem(last=False)

    def latest(self, bucket: str, key: str) -> ObjectVersion | None:
        """The newest version (possibly a delete marker), or None."""
        versions = self.versions(bucket, key)
        return versions[0] if versions else None

    def entries(
        self, bucket: str, after: str | None = None, prefix: str = ""
    ) -> Iterator[tuple[str, list[ObjectVersion]]]:
        """(key, versions) in UTF-8 byte order, keys strictly after `after` starting with `prefix`.
        Reads a page at a time (the first one small: most listings stop early or jump)."""
        namespace, page = objects_ns(bucket), 64
        while True:
            rows = self.ordered.scan_range(namespace, after, prefix, page)
            for key, raw in rows:
                yield key, _decode_versions(raw)
            if len(rows) < page:
                return
            after, page = rows[-1][0], _PAGE

    def keys(self, bucket: str, after: str | None = None, prefix: str = "") -> Iterator[str]:
        """Keys in UTF-8 byte order, strictly after `after`, starting with `prefix`."""
        for key, _ in self.entries(bucket, after, prefix):
            yield key

    def set_versions(self, bucket: str, key: str, versions: Sequence[ObjectVersion]) -> Awaitable[None]:
        """Replaces the key's version list (newest first); an empty list removes the key."""
        stats = self._stats.setdefault(bucket, BucketStats())
        stats.apply(self.versions(bucket, key), versions)
        if self.blobs.touched is not None:  # a sweep runs
            self.blobs.touch(blob for version in versions for blob in version.blobs)
        self._remember(bucket, key, list(versions))
        value = _encode_versions(versions) if versions else None
        return self.ordered.write([(objects_ns(bucket), key, value), (STATS, bucket, stats.to_bytes())])

    # -- multipart uploads --------------------------------------------------------------------------

    def upload(self, bucket: str, upload_id: str) -> Upload | None:
        return self._uploads.get(bucket, {}).get(upload_id)

    def uploads(self, bucket: str) -> list[Upload]:
        return list(self._uploads.get(bucket, {}).values())

    def put_upload(self, upload: Upload) -> Awaitable[None]:
        self._uploads[upload.bucket][upload.upload_id] = upload
        self.blobs.touch(p.blob_id for p in upload.parts.values() if p.blob_id)
        return self.meta.put(_uploads_ns(upload.bucket), upload.upload_id, to_bytes(upload))

    def drop_upload(self, bucket: str, upload_id: str) -> Awaitable[None]:
        self._uploads.get(bucket, {}).pop(upload_id, None)
        return self.meta.delete(_uploads_ns(bucket), upload_id)

    # -- bodies -------------------------------------------------------------------------------------

    async def release(self, durable: Awaitable[None], blob_ids: Sequence[str | None]) -> None:
        """Deletes blobs once the write that stopped naming them is durable."""
        await durable
        doomed = [blob_id for blob_id in blob_ids if blob_id]
        if doomed:
            await self.blobs.delete(doomed)

    def clear(self) -> None:
        self._buckets, self._stats, self._uploads = {}, {}, {}
        self._recent.clear()


def _encode_versions(versions: Sequence[ObjectVersion]) -> bytes:
    return b"[" + b",".join(to_bytes(v) for v in versions) + b"]"


def _decode_versions(raw: bytes) -> list[ObjectVersion]:
    return [from_dict(ObjectVersion, item) for item in json.loads(raw)]


async def settle(writes: Iterable[Awaitable[None]]) -> None:
    """Awaits durable writes already submitted (so they share a group commit); one after the other
    is cheaper than asyncio.gather's tasks, and the last to finish bounds both ways."""
    for write in writes:
        await write
