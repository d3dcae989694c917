"""The in-memory blob store (`--durability memory`, unit tests): the reference semantics of
engine/api.py's BlobStore, with the bytes kept in memory.

Also the helpers every blob store shares: the read chunk size, range clamping and the writer's
life cycle (open -> committed | aborted, with `failed` after an error).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence

CHUNK = 1 << 20  # bytes handed to the worker thread per call, and the largest chunk a read yields
INLINE_OBSERVE_MAX = 64 * 1024  # hashing this much on the loop costs ~0.1 ms: cheaper than a hop

Observe = Callable[[bytes], None]
_OWNER = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def valid_owner(owner: str) -> bool:
    return not owner or _OWNER.fullmatch(owner) is not None


def check_owner(owner: str) -> str:
    if not valid_owner(owner):
        raise ValueError(f"invalid blob owner {owner!r}")
    return owner


def owned(owner: str, inner: str) -> str:
    """The id of an owner's blob: the store's own id, prefixed by a named owner."""
    return f"{owner}:{inner}" if owner else inner


def split_owner(blob_id: str) -> tuple[str, str]:
    """(owner, the store's own id) of a blob id; the owner is "" for the default one."""
    owner, _, inner = blob_id.rpartition(":")
    return owner, inner


def clamp(start: int, end: int | None, size: int) -> tuple[int, int]:
    """The range [start, end) cut to a blob of `size` bytes (empty when it starts at or past the end)."""
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"invalid blob range [{start}, {end})")
    stop = size if end is None else min(end, size)
    return min(start, stop), stop


def as_bytes(chunk: bytes) -> bytes:
    """Writers keep a reference to each chunk until it is written: a mutable buffer is copied so that
    the caller may reuse it (exact bytes, and views of exact bytes, which nothing can change, are
    returned as they are: Firehose hands its objects over as views of its log entries)."""
    if type(chunk) is bytes or (isinstance(chunk, memoryview) and type(chunk.obj) is bytes):
        return chunk
    return bytes(chunk)


class WriterState:
    """The life cycle of a blob writer: write and commit only while open; abort at any time."""

    __slots__ = ("state",)

    OPEN, COMMITTING, COMMITTED, ABORTED, FAILED = "open", "committing", "committed", "aborted", "failed"

    def __init__(self) -> None:
        self.state = self.OPEN

    def check_open(self) -> None:
        if self.state != self.OPEN:
            raise RuntimeError(f"blob writer is {self.state}")


class MemoryBlobWriter:
    """Collects the blob in ~1 MiB pieces. `observe` runs on the loop for small pieces and in a
    thread for full ones, one call at a time, in order."""

    def __init__(self, store: MemoryBlobStore, observe: Observe | None, owner: str = "") -> None:
        self.size = 0
        self._owner = owner
        self._store = store
        self._observe = observe
        self._pieces: list[bytes] = []
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._state = WriterState()

    async def write(self, chunk: bytes) -> None:
        self._state.check_open()
        if not chunk:
            return
        self._buffer.append(as_bytes(chunk))
        self._buffered += len(chunk)
        self.size += len(chunk)
        if self._buffered >= CHUNK:
            await self._flush()

    async def _flush(self) -> None:
        piece = b"".join(self._buffer)
        self._buffer, self._buffered = [], 0
        if not piece:
            return
        try:
            if self._observe is not None:
                if len(piece) > INLINE_OBSERVE_MAX:
                    await asyncio.to_thread(self._observe, piece)
                else:
                    self._observe(piece)
        except BaseException:
            self._state.state = WriterState.FAILED
            raise
        self._pieces.append(piece)

    async def commit_ordered(self) -> str:
        return await self.commit()  # durable already: nothing to gain by ordering

    async def commit(self) -> str:
        self._state.check_open()
        self._state.state = WriterState.COMMITTING
        await self._flush()
        if self._state.state != WriterState.COMMITTING:  # aborted while observing
            raise RuntimeError(f"blob writer is {self._state.state}")
        self._state.state = WriterState.COMMITTED
        pieces, self._pieces = self._pieces, []
        return self._store._add(pieces, self.size, self._owner)

    async def abort(self) -> None:
        if self._state.state != WriterState.COMMITTED:
            self._state.state = WriterState.ABORTED
            self._pieces, self._buffer = [], []


class MemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, tuple[list[bytes], int]] = {}  # id -> (pieces, size)
        self._ids = itertools.count(1)  # never reset: ids are never reused

    def create(
        self, observe: Observe | None = None, size_hint: int | None = None, owner: str = ""
    ) -> MemoryBlobWriter:
        return MemoryBlobWriter(self, observe, check_owner(owner))

    def _add(self, pieces: list[bytes], size: int, owner: str) -> str:
        blob_id = owned(owner, f"m{next(self._ids)}")
        self._blobs[blob_id] = (pieces, size)
        return blob_id

    async def read(self, blob_id: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        stored = self._blobs.get(blob_id)
        if stored is None:
            raise KeyError(blob_id)
        pieces, size = stored
        start, end = clamp(start, end, size)
        offset = 0
        for piece in pieces:
            piece_end = offset + len(piece)
            lo, hi = max(start, offset), min(end, piece_end)
            for pos in range(lo, hi, CHUNK):
                yield piece[pos - offset : min(hi, pos + CHUNK) - offset]
            offset = piece_end
            if offset >= end:
                return

    def size(self, blob_id: str) -> int | None:
        stored = self._blobs.get(blob_id)
        return None if stored is None else stored[1]

    def delete(self, blob_ids: Sequence[str]) -> Awaitable[None]:
        for blob_id in blob_ids:
            self._blobs.pop(blob_id, None)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def ids(self, owner: str = "") -> Iterator[str]:
        return iter([blob_id for blob_id in self._blobs if split_owner(blob_id)[0] == owner])

    def clear(self) -> None:
        self._blobs = {}
