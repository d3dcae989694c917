"""The embedded OrderedStore: rows of one SQLite table, a bounded cache, and the writes in flight.

Theory of operation
-------------------
Every (namespace, key) is a row of the `ordered` table (WITHOUT ROWID, primary key (namespace,
key): a point read is one b-tree seek and a range scan walks adjacent leaves). SQLite compares TEXT
keys with memcmp over their UTF-8 bytes, which is code point order, the order Python compares
strings in, so a scan's order is the order callers expect.

Reads run on the event loop through a read-only connection: a small row costs a few microseconds,
less than a hop to a thread. That connection sees only committed rows, while callers must see
their own writes at once (they read-modify-write without awaiting in between). So every key with a
write in flight is *pending*: its newest value (None for a delete) and how many of its writes have
not committed yet. A pending value is the truth for reads. When the last write in flight of a key
commits, the key leaves the pending map and its value goes into the cache, by then equal to the
committed row. `scan_range` asks SQLite for `limit` rows plus one per pending key of the namespace
inside the range (each pending delete can hide at most one of them), overlays the pending values,
and keeps only keys up to the last row SQLite returned when SQLite filled its window (a pending
key past it might be preceded by rows not read).

The cache (an LRU of recently read or written values, deletes and misses included) is bounded in
bytes; pending keys are outside it, so memory is bounded by the cache budget plus the writes in
flight, whatever the number of keys. Nothing is read at start-up.

A read that would reach SQLite first asks the namespace's key filter (key_filter.py), which answers
"absent" for most keys that have no row once it has seen them all: new keys cost no statement. A
write teaches it the keys it gives a row, except one whose row is committed already (cached): the
filter has that key or its walk will find it. Rewrites of hot keys (an S3 bucket's counters, on
every PUT) thus neither cost a filter update nor fill the filter up.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any

from headwater.engine.api import Change
from headwater.engine.embedded.key_filter import KeyFilter
from headwater.engine.embedded.ops import Cleanup, Op
from headwater.engine.embedded.writer import Writer
from headwater.engine.memory_ordered import lower_bound, prefix_end

DEFAULT_CACHE_BYTES = 8 * 1024 * 1024
READER_CACHE_KIB = 8 * 1024
_ENTRY_OVERHEAD = 200  # rough bytes of the tuple, strings and dict slot around a cached value

Key = tuple[str, str]


class WriteOrdered(Op):
    __slots__ = ("changes", "weight", "store")

    def __init__(self, changes: Sequence[Change], store: EmbeddedOrderedStore, weight: int) -> None:
        super().__init__()
        self.changes = changes
        self.store = store
        self.weight = weight

    def committed(self) -> None:
        # settled here, before the future resolves: no done callback (a loop callback per write)
        self.store._settled(self.changes)
        super().committed()

    def failed(self, exc: BaseException) -> None:
        self.store._settled(self.changes)
        super().failed(exc)

    def apply(self, db: sqlite3.Connection, cleanup: Cleanup) -> None:
        for namespace, key, value in self.changes:
            if value is None:
                db.execute("DELETE FROM ordered WHERE namespace = ? AND key = ?", (namespace, key))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO ordered (namespace, key, value) VALUES (?, ?, ?)",
                    (namespace, key, value),
                )


class EmbeddedOrderedStore:
    def __init__(self, writer: Writer, path: Path, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._writer = writer
        self._path = path
        self.cache_bytes = cache_bytes
        self._db: sqlite3.Connection | None = None
        self._cache: OrderedDict[Key, bytes | None] = OrderedDict()
        self._cached = 0  # bytes charged to the cache
        self._pending: dict[Key, list[Any]] = {}  # key -> [newest value, writes in flight, learnt]
        self._pending_keys: dict[str, set[str]] = {}  # namespace -> its pending keys
        self._filters: dict[str, KeyFilter] = {}  # namespace -> keys that may have a row

    def open(self) -> None:
        self._db = sqlite3.connect(f"{self._path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        self._db.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self.clear()

    def clear(self) -> None:
        self._cache.clear()
        self._cached = 0
        self._pending.clear()
        self._pending_keys.clear()
        self._filters.clear()

    def _reader(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the ordered store is not open")
        return self._db

    # -- reads --------------------------------------------------------------------------------------

    def get(self, namespace: str, key: str) -> bytes | None:
        k = (namespace, key)
        pending = self._pending.get(k)
        if pending is not None:
            value: bytes | None = pending[0]
            return value
        if k in self._cache:
            self._cache.move_to_end(k)
            return self._cache[k]
        known = self._filters.get(namespace)
        if known is None:
            known = self._filters[namespace] = self._new_filter(namespace, 0)
        elif known.absent(key):
            return None
        db = self._reader()
        row = db.execute(
            "SELECT value FROM ordered WHERE namespace = ? AND key = ?", (namespace, key)
        ).fetchone()
        if row is None:  # only misses walk the filter on: reads of stored keys never pay for it
            known.step(db, namespace)
            if known.full:  # the walk found more rows than it was sized for
                self._filters[namespace] = self._new_filter(namespace, known.capacity)
        value = None if row is None else row[0]
        self._remember(k, value)
        return value

    def scan_range(
        self, namespace: str, start_after: str | None, prefix: str, limit: int
    ) -> list[tuple[str, bytes]]:
        if limit <= 0:
            return []
        lower, inclusive = lower_bound(start_after, prefix)
        upper = prefix_end(prefix)
        pending = [
            key
            for key in self._pending_keys.get(namespace, ())
            if (key >= lower if inclusive else key > lower) and (upper is None or key < upper)
        ]
        window = limit + len(pending)
        sql = "SELECT key, value FROM ordered WHERE namespace = ? AND key " + (">= ?" if inclusive else "> ?")
        args: tuple[Any, ...] = (namespace, lower)
        if upper is not None:
            sql += " AND key < ?"
            args += (upper,)
        rows: list[tuple[str, bytes]] = (
            self._reader().execute(sql + " ORDER BY key LIMIT ?", (*args, window)).fetchall()
        )
        if not pending:
            return rows
        merged = dict(rows)
        for key in pending:
            value = self._pending[(namespace, key)][0]
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        ordered = sorted(merged.items())
        if len(rows) == window:
            last = rows[-1][0]
            ordered = [item for item in ordered if item[0] <= last]
        return ordered[:limit]

    # -- writes -------------------------------------------------------------------------------------

    def write(self, changes: Sequence[Change]) -> Awaitable[None]:
        self._writer.check()
        changes = list(changes)
        weight = 0
        all_pending, cache, filters = self._pending, self._cache, self._filters
        for namespace, key, value in changes:
            weight += len(key) + (len(value) if value is not None else 0) + 64
            k = (namespace, key)
            pending = all_pending.get(k)
            if pending is not None:
                pending[0] = value
                pending[1] += 1
                if pending[2] or value is None:
                    continue
                pending[2] = True
            else:
                # The filter must learn every key a write gives a row, except when the row is there
                # already (cached, committed): the filter has it or its walk will find it. The third
                # item says it was learnt by these writes in flight, so the next ones need not (a
                # filter made meanwhile starts with every pending key).
                learn = value is not None and cache.get(k) is None
                all_pending[k] = [value, 1, learn]
                self._pending_keys.setdefault(namespace, set()).add(key)
                if k in cache:
                    self._forget(k)
                if not learn:
                    continue
            known = filters.get(namespace)
            if known is not None:
                known.add(key)
                if known.full:
                    filters[namespace] = self._new_filter(namespace, known.capacity)
        return self._writer.submit(WriteOrdered(changes, self, weight))

    def _new_filter(self, namespace: str, outgrown: int) -> KeyFilter:
        """A filter that knows the keys with writes in flight; its walk finds the committed ones."""
        known = KeyFilter(outgrown * 4) if outgrown else KeyFilter()
        known.add_all(self._pending_keys.get(namespace, ()))
        return known

    def _settled(self, changes: Sequence[Change]) -> None:
        for namespace, key, _ in changes:
            k = (namespace, key)
            pending = self._pending.get(k)
            if pending is None:
                continue  # cleared by a reset meanwhile
            pending[1] -= 1
            if pending[1] == 0:
                del self._pending[k]
                keys = self._pending_keys[namespace]
                keys.discard(key)
                if not keys:
                    del self._pending_keys[namespace]
                self._remember(k, pending[0])

    # -- the cache ----------------------------------------------------------------------------------

    @staticmethod
    def _weight(k: Key, value: bytes | None) -> int:
        return len(k[0]) + len(k[1]) + (len(value) if value is not None else 0) + _ENTRY_OVERHEAD

    def _remember(self, k: Key, value: bytes | None) -> None:
        if self.cache_bytes <= 0:
            return
        self._forget(k)
        self._cache[k] = value
        self._cached += self._weight(k, value)
        while self._cached > self.cache_bytes and self._cache:
            old, old_value = self._cache.popitem(last=False)
            self._cached -= self._weight(old, old_value)

    def _forget(self, k: Key) -> None:
        if k in self._cache:
            self._cached -= self._weight(k, self._cache.pop(k))
