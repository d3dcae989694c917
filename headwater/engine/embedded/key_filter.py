"""Which keys of an ordered-store namespace certainly have no row: a Bloom filter per namespace.

Why: a point read that misses both the pending writes and the cache costs a SQLite statement on the
loop thread, and a write that just committed makes that statement start cold (the reader's page
cache is dropped). Writing new keys (an S3 PUT of a key never seen, which must first read the key's
versions) paid that on every request. A filter that has seen every key with a row answers "absent"
for most new keys without SQLite; "maybe present" falls back to the read, so a false positive costs
only the read it would have cost anyway.

Theory of operation. A namespace's filter is made on its first read that reaches SQLite. It starts
with the keys that have writes in flight (pending), then learns every key written from then on, and
walks the namespace's committed rows in key order, one page per read that SQLite answers with no row
(`step`: a workload that only reads stored keys never pays for the walk).
A key committed before the filter existed is a row the walk reaches; one committed after was
written after, so it was added at its write. Once the walk has passed the last row the filter is
complete, and only then does it answer "absent". Deletes leave their keys in (a false positive,
never a false negative). Past its capacity (by writes, or by what the walk found) the false-positive
rate would climb, so the filter starts again at four times the size and walks the namespace again
(the walks add up to ~1.3 times the keys); memory is ~1.3 bytes per key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

BITS_PER_KEY = 10  # with 3 probes: ~1-2% false positives at capacity
PROBES = 3
FIRST_CAPACITY = 256  # 512 bytes: most namespaces stay small
PAGE = 1024  # rows walked per step


class KeyFilter:
    """A growable Bloom filter over one namespace's keys, complete once its walk is done."""

    __slots__ = ("_bits", "_mask", "_added", "capacity", "complete", "_after", "_walking")

    def __init__(self, capacity: int = FIRST_CAPACITY) -> None:
        self.capacity = capacity
        size = 1 << max(6, (capacity * BITS_PER_KEY - 1).bit_length())
        self._bits = bytearray(size // 8)
        self._mask = size - 1
        self._added = 0
        self.complete = False
        self._after: str | None = None  # the walk's position: the last key read
        self._walking = True

    def add(self, key: str) -> None:
        h = hash(key)
        step = (h >> 32) | 1
        bits, mask = self._bits, self._mask
        for _ in range(PROBES):
            at = h & mask
            bits[at >> 3] |= 1 << (at & 7)
            h += step
        self._added += 1

    def add_all(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.add(key)

    def absent(self, key: str) -> bool:
        """True only when the key certainly has no row (the filter is complete)."""
        if not self.complete:
            return False
        h = hash(key)
        step = (h >> 32) | 1
        bits, mask = self._bits, self._mask
        for _ in range(PROBES):
            at = h & mask
            if not bits[at >> 3] & (1 << (at & 7)):
                return True
            h += step
        return False

    @property
    def full(self) -> bool:
        return self._added > self.capacity

    def step(self, db: sqlite3.Connection, namespace: str) -> None:
        """Walks one page of the namespace's committed rows; complete after the last one."""
        if not self._walking:
            return
        args: tuple[Any, ...]
        if self._after is None:
            sql, args = "SELECT key FROM ordered WHERE namespace = ? ORDER BY key LIMIT ?", (namespace, PAGE)
        else:
            sql = "SELECT key FROM ordered WHERE namespace = ? AND key > ? ORDER BY key LIMIT ?"
            args = (namespace, self._after, PAGE)
        keys: list[str] = [key for (key,) in db.execute(sql, args)]
        self.add_all(keys)
        if len(keys) < PAGE:
            self._walking = False
            self.complete = True
        else:
            self._after = keys[-1]
