"""Where S3's records live: an in-memory index over the engine's metadata store.

Theory of operation
-------------------
The metadata store is the durable truth; this index is rebuilt from it at start. Buckets are one
namespace (bucket names are global, across accounts). Each bucket's keys are a namespace of their
own whose value is the key's whole version list, newest first, so a PUT is one metadata write; the
in-memory side is a SortedDict per bucket, because Python orders strings by code point, which is
the UTF-8 byte order S3 lists keys in.

Every mutation updates the index synchronously (callers read-modify-write without awaiting in
between, so two concurrent PUTs to one key cannot lose each other) and returns the awaitable of the
durable write. Bodies live in the blob store; a blob is committed before the version naming it is
written, and deleted only after the write that dropped it is durable, so a crash can leave an
unreferenced blob (swept at start: `orphans`) but never a version without its body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Iterable, Iterator, Sequence

from sortedcontainers import SortedDict

from headwater.engine.api import BlobStore, MetaStore
from headwater.services.s3.records import Bucket, ObjectVersion, Upload, from_bytes, from_dict, to_bytes

BUCKETS = "s3:buckets"


def _objects_ns(bucket: str) -> str:
    return f"s3:o:{bucket}"


def _uploads_ns(bucket: str) -> str:
    return f"s3:u:{bucket}"


class S3Store:
    def __init__(self, meta: MetaStore, blobs: BlobStore) -> None:
        self.meta = meta
        self.blobs = blobs
        self._buckets: dict[str, Bucket] = {}
        self._objects: dict[str, SortedDict[str, list[ObjectVersion]]] = {}  # bucket -> key -> versions
        self._uploads: dict[str, dict[str, Upload]] = {}  # bucket -> upload id -> Upload

    # -- start-up ---------------------------------------------------------------------------------

    def load(self) -> None:
        self._buckets, self._objects, self._uploads = {}, {}, {}
        for name, raw in self.meta.scan(BUCKETS):
            self._buckets[name] = from_bytes(Bucket, raw)
            index: SortedDict[str, list[ObjectVersion]] = SortedDict()
            for key, versions in self.meta.scan(_objects_ns(name)):
                index[key] = _decode_versions(versions)
            self._objects[name] = index
            self._uploads[name] = {
                upload_id: from_bytes(Upload, raw_upload)
                for upload_id, raw_upload in self.meta.scan(_uploads_ns(name))
            }

    def referenced_blobs(self) -> set[str]:
        referenced: set[str] = set()
        for index in self._objects.values():
            for versions in index.values():
                for version in versions:
                    referenced.update(version.blobs)
        for uploads in self._uploads.values():
            for upload in uploads.values():
                referenced.update(p.blob_id for p in upload.parts.values() if p.blob_id)
        return referenced

    def orphans(self) -> list[str]:
        """Committed blobs no record names (a crash between a blob's commit and its record's write,
        or between a record's removal and its blob's delete)."""
        referenced = self.referenced_blobs()
        return [blob_id for blob_id in self.blobs.ids() if blob_id not in referenced]

    # -- buckets ------------------------------------------------------------------------------------

    def bucket(self, name: str) -> Bucket | None:
        return self._buckets.get(name)

    def buckets(self) -> list[Bucket]:
        return sorted(self._buckets.values(), key=lambda bucket: bucket.name)

    def put_bucket(self, bucket: Bucket) -> Awaitable[None]:
        self._buckets[bucket.name] = bucket
        self._objects.setdefault(bucket.name, SortedDict())
        self._uploads.setdefault(bucket.name, {})
        return self.meta.put(BUCKETS, bucket.name, to_bytes(bucket))

    def drop_bucket(self, name: str) -> Awaitable[None]:
        """Removes an (empty) bucket."""
        self._buckets.pop(name, None)
        self._objects.pop(name, None)
        self._uploads.pop(name, None)
        return self.meta.delete(BUCKETS, name)

    # -- objects ------------------------------------------------------------------------------------

    def object_count(self, bucket: str) -> int:
        return len(self._objects.get(bucket, ()))

    def versions(self, bucket: str, key: str) -> list[ObjectVersion]:
        """The key's versions, newest first (delete markers included); [] when none."""
        return self._objects[bucket].get(key, [])

    def latest(self, bucket: str, key: str) -> ObjectVersion | None:
        """The newest version (possibly a delete marker), or None."""
        versions = self._objects[bucket].get(key)
        return versions[0] if versions else None

    def keys(self, bucket: str, after: str | None = None, prefix: str = "") -> Iterator[str]:
        """Keys in UTF-8 byte order, strictly after `after`, starting with `prefix`."""
        index = self._objects[bucket]
        start = after if after is not None and after >= prefix else prefix
        inclusive = not (after is not None and after >= prefix)
        for key in index.irange(minimum=start, inclusive=(inclusive, True)):
            if not key.startswith(prefix):
                return
            yield key

    def set_versions(self, bucket: str, key: str, versions: Sequence[ObjectVersion]) -> Awaitable[None]:
        """Replaces the key's version list (newest first); an empty list removes the key."""
        index = self._objects[bucket]
        if versions:
            index[key] = list(versions)
            return self.meta.put(_objects_ns(bucket), key, _encode_versions(versions))
        index.pop(key, None)
        return self.meta.delete(_objects_ns(bucket), key)

    # -- multipart uploads --------------------------------------------------------------------------

    def upload(self, bucket: str, upload_id: str) -> Upload | None:
        return self._uploads.get(bucket, {}).get(upload_id)

    def uploads(self, bucket: str) -> list[Upload]:
        return list(self._uploads.get(bucket, {}).values())

    def put_upload(self, upload: Upload) -> Awaitable[None]:
        self._uploads[upload.bucket][upload.upload_id] = upload
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
        self._buckets, self._objects, self._uploads = {}, {}, {}


def _encode_versions(versions: Sequence[ObjectVersion]) -> bytes:
    return b"[" + b",".join(to_bytes(v) for v in versions) + b"]"


def _decode_versions(raw: bytes) -> list[ObjectVersion]:
    return [from_dict(ObjectVersion, item) for item in json.loads(raw)]


async def settle(writes: Iterable[Awaitable[None]]) -> None:
    """Awaits durable writes already submitted (so they share a group commit); one after the other
    is cheaper than asyncio.gather's tasks, and the last to finish bounds both ways."""
    for write in writes:
        await write
