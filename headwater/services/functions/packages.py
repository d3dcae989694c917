"""Functions' code packages: zips in the engine's blob store, under the blob owner "functions".

Theory of operation
-------------------
A package is stored once per content (its hex SHA-256, a function record's `code_key`) and shared
by every function with the same zip; it goes with the last record naming it. The metadata store
maps the key to the blob id (`functions.packages`): a few bytes per package, where the zips
themselves used to be metadata values, which the embedded engine holds in memory.

The blobs are the owner "functions"'s, so S3's orphan sweep, which lists the default owner's
blobs only, never takes them. The writes are ordered so that a crash leaves at worst a blob no
key names (the blob is committed before its key is written; a key is deleted before its blob):
`start` deletes those, after moving any package an earlier version kept in the metadata store
(`functions.code`) into the blob store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from headwater.engine.api import BlobStore, MetaStore

log = logging.getLogger("headwater.services.functions")
OWNER = "functions"
INDEX = "functions.packages"  # code key -> blob id
LEGACY = "functions.code"  # code key -> the zip (before packages moved to the blob store)


class Packages:
    def __init__(self, meta: MetaStore, blobs: BlobStore) -> None:
        self.meta = meta
        self.blobs = blobs

    async def start(self) -> None:
        legacy = list(self.meta.scan(LEGACY))
        for key, package in legacy:
            if self.meta.get(INDEX, key) is None:
                await self.put(key, package)
            await self.meta.delete(LEGACY, key)
        if legacy:
            log.info("moved %d function code packages into the blob store", len(legacy))
        named = {value.decode() for _, value in self.meta.scan(INDEX)}
        orphans = [blob_id for blob_id in self.blobs.ids(OWNER) if blob_id not in named]
        if orphans:
            await self.blobs.delete(orphans)

    def has(self, key: str) -> bool:
        return self.meta.get(INDEX, key) is not None

    async def put(self, key: str, package: bytes) -> None:
        if self.has(key):
            return
        writer = self.blobs.create(None, len(package), owner=OWNER)
        try:
            await writer.write(package)
            blob_id = await writer.commit()
        finally:
            await writer.abort()  # a no-op after the commit
        await self.meta.put(INDEX, key, blob_id.encode())

    async def get(self, key: str) -> bytes | None:
        blob_id = self.meta.get(INDEX, key)
        if blob_id is None:
            return None
        try:
            return b"".join([chunk async for chunk in self.blobs.read(blob_id.decode())])
        except KeyError:
            return None

    async def forget(self, key: str, still_named: Iterable[str]) -> None:
        """Deletes the package unless a key in `still_named` is its own."""
        if key in set(still_named):
            return
        blob_id = self.meta.get(INDEX, key)
        if blob_id is None:
            return
        await self.meta.delete(INDEX, key)
        await self.blobs.delete([blob_id.decode()])
