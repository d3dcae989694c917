"""The embedded MetaStore: the whole metadata lives in memory (small: definitions, leases...),
so reads never touch the file; writes go through the writer thread."""

from __future__ import annotations

from collections.abc import Awaitable

from headwater.engine.embedded.ops import DeleteMeta, PutMeta
from headwater.engine.embedded.writer import Writer
from headwater.engine.memory import MemoryMetaStore


class EmbeddedMetaStore(MemoryMetaStore):
    def __init__(self, writer: Writer) -> None:
        super().__init__()
        self._writer = writer

    def put(self, namespace: str, key: str, value: bytes) -> Awaitable[None]:
        self._writer.check()
        self._store(namespace, key, value)
        return self._writer.submit(PutMeta(namespace, key, value))

    def delete(self, namespace: str, key: str) -> Awaitable[None]:
        self._writer.check()
        self._remove(namespace, key)
        return self._writer.submit(DeleteMeta(namespace, key))
