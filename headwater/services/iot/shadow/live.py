"""Recently used shadows kept decoded, and the changes of one loop turn written as one.

Theory of operation
-------------------
`LiveShadows` sits between the service and `ShadowRows`. Its cache, an LRU bounded by the bytes of
the stored rows, holds decoded shadows with their `snapshot` (the shadow as AWS's `previous` /
`current` document, already encoded): an update of a cached shadow neither reads nor decodes its
row, nor encodes the previous document again, and the service lets `document.apply` change the
cached shadow in place rather than copy it. Misses are not cached (the ordered store's key filter
answers them cheaply) and nothing else grows with the number of things.

Changes are staged: the first change of a loop turn opens a batch and schedules its flush with
`call_soon`; every change of that turn joins it, and the flush issues ONE ordered-store write (one
writer op, one future) for all of them: each shadow's newest row (a shadow changed twice in a turn
is written once) and one history row holding the turn's changes (store.py). A change returns the batch's future, resolved once the
write is durable; the callbacks staged with the changes (the answers) run first, in staging order,
so they precede whatever awaits the future (the broker's PUBACKs, reads waiting for the change).
Batches are written in order and the store commits in order: answers stay in arrival order.

Until its batch is issued a staged change exists only here, so the cache is not trimmed while a
batch is open (it may exceed its budget by one turn's new entries); once issued, the ordered
store's reads see the write in flight. A failed write drops its batch's shadows from the cache:
memory must not keep a change the store lost.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from headwater.engine.api import Change
from headwater.services.iot.shadow.document import Shadow
from headwater.services.iot.shadow.store import SHADOWS, ShadowRows

CACHE_BYTES = 16 * 1024 * 1024
ENTRY_OVERHEAD = 600  # rough bytes of the decoded dicts and the entry around a row


@dataclass(slots=True)
class Entry:
    shadow: Shadow
    snapshot: bytes | None  # None until needed; tombstones have none
    weight: int


class Batch:
    __slots__ = ("rows", "history", "newest_ms", "answers", "future")

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.rows: dict[str, bytes] = {}  # shadow key -> its newest row
        self.history: list[bytes] = []  # `store.history_line`s, in staging order
        self.newest_ms = 0
        self.answers: list[Callable[[bool], None]] = []  # called with whether the write succeeded
        self.future = future


class LiveShadows:
    def __init__(self, rows: ShadowRows, cache_bytes: int = CACHE_BYTES) -> None:
        self.rows = rows
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[str, Entry] = OrderedDict()
        self._cached = 0
        self._batch: Batch | None = None
        # shadow key -> the batch future of its latest change still being stored
        self._pending: dict[str, asyncio.Future[None]] = {}

    def clear(self) -> None:
        self._cache.clear()  # an open batch still flushes: its futures have awaiters
        self._cached = 0
        self._pending.clear()

    def read(self, key: str) -> Entry | None:
        entry = self._cache.get(key)
        if entry is not None:
            self._cache.move_to_end(key)
            return entry
        found = self.rows.read_sized(key)
        if found is None:
            return None
        entry = Entry(found[0], None, found[1] + ENTRY_OVERHEAD)
        self._put(key, entry)
        if self._batch is None:
            self._trim()
        return entry

    def forget(self, key: str) -> None:
        entry = self._cache.pop(key, None)
        if entry is not None:
            self._cached -= entry.weight

    def pending(self, key: str) -> asyncio.Future[None] | None:
        return self._pending.get(key)

    def stage(
        self,
        key: str,
        entry: Entry,
        row: bytes,
        history: bytes | None,
        now_ms: int,
        answer: Callable[[bool], None] | None,
    ) -> asyncio.Future[None]:
        """Caches `entry` as the shadow's newest state and adds its row (and its history line) to
        this turn's batch."""
        batch = self._batch
        if batch is None:
            loop = asyncio.get_running_loop()
            batch = self._batch = Batch(loop.create_future())
            loop.call_soon(self._flush, batch)
        batch.rows[key] = row
        if history is not None:
            batch.history.append(history)
            batch.newest_ms = max(batch.newest_ms, now_ms)
        if answer is not None:
            batch.answers.append(answer)
        self._pending[key] = batch.future
        self._put(key, entry)
        return batch.future

    def _flush(self, batch: Batch) -> None:
        self._batch = None
        try:
            changes: list[Change] = [(SHADOWS, key, row) for key, row in batch.rows.items()]
            if batch.history:
                changes.extend(self.rows.history_changes(batch.history, batch.newest_ms))
            write = asyncio.ensure_future(self.rows.ordered.write(changes))
        except Exception as exc:  # the engine refuses writes (fail-stop)
            self._written(batch, exc)
        else:
            write.add_done_callback(partial(self._done, batch))
        self._trim()

    def _done(self, batch: Batch, write: asyncio.Future[None]) -> None:
        exc = asyncio.CancelledError() if write.cancelled() else write.exception()
        self._written(batch, exc)

    def _written(self, batch: Batch, exc: BaseException | None) -> None:
        future = batch.future
        for key in batch.rows:
            if self._pending.get(key) is future:
                del self._pending[key]
            if exc is not None:
                self.forget(key)
        for answer in batch.answers:
            answer(exc is None)
        if future.done():
            return
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)

    def _put(self, key: str, entry: Entry) -> None:
        old = self._cache.pop(key, None)
        if old is not None:
            self._cached -= old.weight
        self._cache[key] = entry
        self._cached += entry.weight

    def _trim(self) -> None:
        while self._cached > self.cache_bytes and self._cache:
            _, old = self._cache.popitem(last=False)
            self._cached -= old.weight
