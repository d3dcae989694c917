"""The blob store as S3 sees it: the engine's, noting new and newly referenced blob ids while the
orphan sweep runs (sweep.py explains why)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence

from headwater.engine.api import BlobStore, BlobWriter


class TrackedBlobs:
    """The engine's blob store, noting the ids S3 commits or references while a sweep runs."""

    def __init__(self, blobs: BlobStore) -> None:
        self.inner = blobs
        self.touched: set[str] | None = None  # a set only while a sweep runs

    def touch(self, blob_ids: Iterable[str]) -> None:
        if self.touched is not None:
            self.touched.update(blob_ids)

    def create(
        self, observe: Callable[[bytes], None] | None = None, size_hint: int | None = None, owner: str = ""
    ) -> BlobWriter:
        return _TrackedWriter(self, self.inner.create(observe, size_hint, owner))

    def read(self, blob_id: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        return self.inner.read(blob_id, start, end)

    def size(self, blob_id: str) -> int | None:
        return self.inner.size(blob_id)

    def delete(self, blob_ids: Sequence[str]) -> Awaitable[None]:
        return self.inner.delete(blob_ids)

    def ids(self, owner: str = "") -> Iterator[str]:
        return self.inner.ids(owner)  # S3 lists the default owner's only: other services' blobs are not its


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
