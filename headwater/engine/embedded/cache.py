"""The tail cache: recently committed entries of every partition, in memory, under one byte budget.

Each partition keeps its cached entries in an EntryBuffer that is always a suffix of what it has
committed. Commits are recorded in one global FIFO; past the budget, the oldest commit is evicted,
which is always the front of its partition's buffer, so eviction keeps every buffer a suffix.
Trims and drops shrink buffers directly; the FIFO records they leave behind evict nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from headwater.engine.api import StoredEntry
from headwater.engine.memory import EntryBuffer

DEFAULT_BUDGET = 48 * 1024 * 1024  # keeps server RSS under ~250 MB with 10 MiB responses in flight
_COMPACT_RECORDS = 65536


class TailCache:
    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self.nbytes = 0
        self._order: deque[tuple[EntryBuffer, int]] = deque()  # (buffer, end offset of one commit)
        self._compact_at = _COMPACT_RECORDS

    def add(self, buffer: EntryBuffer, entries: Sequence[StoredEntry], marks: Sequence[int]) -> None:
        if self.budget <= 0 or not entries:
            return
        self.nbytes += buffer.extend(entries, marks)
        self._order.append((buffer, buffer.end))
        while self.nbytes > self.budget and self._order:
            old, end = self._order.popleft()
            self.nbytes -= old.drop_before(end)
        if len(self._order) >= self._compact_at:
            # Records of trimmed or dropped runs would otherwise pile up while under budget.
            self._order = deque((b, end) for b, end in self._order if end > b.first and len(b))
            self._compact_at = max(_COMPACT_RECORDS, 2 * len(self._order))

    def drop_before(self, buffer: EntryBuffer, offset: int) -> None:
        self.nbytes -= buffer.drop_before(offset)

    def forget(self, buffer: EntryBuffer) -> None:
        self.nbytes -= buffer.clear()

    def clear(self) -> None:
        """The caller forgets every buffer it holds."""
        self._order.clear()
        self.nbytes = 0
        self._compact_at = _COMPACT_RECORDS
