"""A queue's resident window: how a backlog of any size lives in the engine, not in memory.

Theory of operation. A queue keeps in memory (`Queue.messages`, the ready index, the timers) only a
*window*: its messages with seq below `cold_from`. Messages at or above it are *cold*: stored in the
engine and nowhere else (no object, no body, only `Queue.cold`, their count). While the window
holds fewer than WINDOW visible or delayed messages a send lands in it as before; once it is full,
`cold_from` is set to the next seq and every later message (sends, dead-letter copies) goes cold.
Since seqs grow in send order, the cold messages are one seq range, [cold_from, next_seq), and
everything resident is older than everything cold: FIFO groups stay in order (a group's resident
messages are always a prefix of the group), and retention, which expires oldest first, never has
to look into the cold range while anything older is resident.

Refill pages the cold range in, oldest first, PAGE messages per read (`QueueStore.page`, off the
event loop), and advances `cold_from`; when it reaches `next_seq` the queue stops spilling. A
receive refills in the background once the window runs low, and waits for a refill only when the
window cannot serve it (empty, or every resident FIFO group locked). One lock per queue orders
refills with the operations that act on cold messages, so a page read never brings back a
message deleted while it was in flight.

Start-up reads the first WINDOW messages and the engine's count (`QueueStore.stats`): the rest is
cold. Messages received before a restart may be cold then; a receipt handle for a cold seq is
served from its stored copy (delete, change visibility), and the message takes its turn with its
stored state when it is paged in. Approximations: cold messages count as visible (a cold delayed
or in-flight message is counted as visible until it is paged in), a FIFO queue's new
DelaySeconds reaches cold delayed messages only when they are paged in, and after a restart FIFO
de-duplication remembers the newest DEDUP_TAIL cold messages' ids (plus every resident one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from headwater.engine.api import QueuedMessage, QueueStore
from headwater.runtime.clock import SystemClock
from headwater.services.sqs.message import DELETED, Message
from headwater.services.sqs.queue import DEDUP_WINDOW_MS, Queue

PAGE = 2_000  # messages per refill read
LOW = 4_000  # a window with fewer visible messages refills in the background
CAP = 4 * 10_000  # a refill for locked FIFO groups stops at this many resident messages
DEDUP_TAIL = 20_000


class SqsCore(Protocol):
    """What paging needs of the service core (service.py, which imports this module)."""

    @property
    def store(self) -> QueueStore: ...

    @property
    def clock(self) -> SystemClock: ...

    def unseal(self, queue: Queue, body: Any) -> str: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...


def admit(core: SqsCore, queue: Queue, stored: QueuedMessage, now_ms: int) -> Message:
    """Puts a stored message into the window (start-up, refill)."""
    assert stored.record is not None
    message, body = Message.restore(stored.seq, stored.record, stored.state, now_ms)
    if message.status != DELETED:
        message.body = core.unseal(queue, body)
    queue.admit(message, now_ms)
    _remember(queue, message, now_ms)
    return message


def _remember(queue: Queue, message: Message, now_ms: int) -> None:
    if message.sequence_number:
        queue.last_sequence_number = max(queue.last_sequence_number, int(message.sequence_number))
    if queue.fifo and message.dedup and message.sent_ms + DEDUP_WINDOW_MS > now_ms:
        key = queue.dedup_key(message.group or "", message.dedup)
        if key not in queue.dedup:
            queue.remember_dedup(
                key, message.sent_ms + DEDUP_WINDOW_MS, message.message_id, message.sequence_number
            )


async def restore(core: SqsCore, queue: Queue, now_ms: int) -> None:
    """Start-up: the first WINDOW messages resident, the rest cold."""
    store_id = queue.definition.store_id
    count, end = core.store.stats(store_id)
    rows = await core.store.page(store_id, 0, end, queue.window)
    for stored in rows:
        admit(core, queue, stored, now_ms)
    if len(rows) < queue.window or rows[-1].seq + 1 >= end:
        return
    queue.cold_from = rows[-1].seq + 1
    queue.next_seq = max(queue.next_seq, end)
    queue.cold = max(0, count - len(rows))
    if queue.fifo:  # the newest messages' de-duplication ids and sequence numbers
        tail = await core.store.page(store_id, max(queue.cold_from, end - DEDUP_TAIL), end, DEDUP_TAIL)
        for stored in tail:
            assert stored.record is not None
            message, _ = Message.restore(stored.seq, stored.record, stored.state, now_ms)
            _remember(queue, message, now_ms)


async def refill(core: SqsCore, queue: Queue) -> None:
    """Pages the next PAGE cold messages into the window."""
    async with queue.paging:
        start, stop = queue.cold_from, queue.next_seq
        if start is None or queue.deleted:
            return
        store_id = queue.definition.store_id
        rows = await core.store.page(store_id, start, stop, PAGE)
        if queue.cold_from != start or queue.deleted:  # purged meanwhile
            return
        now_ms = core.clock.now_ms()
        for stored in rows:
            if admit(core, queue, stored, now_ms).status != DELETED:
                queue.cold -= 1
        after = rows[-1].seq + 1 if len(rows) == PAGE else stop
        if after >= queue.next_seq:
            queue.cold_from, queue.cold = None, 0
        else:
            queue.cold_from, queue.cold = after, max(0, queue.cold)
        queue.settle(now_ms)  # past their retention already: they go at once


def _refill_soon(core: SqsCore, queue: Queue) -> None:
    if not queue.paging.locked():
        core.spawn(refill(core, queue))


async def ensure(core: SqsCore, queue: Queue, wanted: int) -> None:
    """Before a receive (or a move task's chunk): makes sure the window can serve `wanted`."""
    while queue.cold_from is not None and queue.visible < wanted and not queue.deleted:
        await refill(core, queue)
    if queue.cold_from is not None and queue.visible < LOW:
        _refill_soon(core, queue)


async def widen(core: SqsCore, queue: Queue) -> bool:
    """A receive found too little although the window is not empty (FIFO groups locked by
    messages in flight): pages in more, up to CAP resident messages; False when it cannot."""
    if queue.cold_from is None or queue.visible + queue.delayed >= CAP or queue.deleted:
        return False
    await refill(core, queue)
    return True


async def cold_message(core: SqsCore, queue: Queue, seq: int) -> Message | None:
    """The stored copy of a cold message (None when it is gone); the caller holds `queue.paging`
    and has checked `queue.is_cold(seq)`. Its body is not read back into clear."""
    rows = await core.store.page(queue.definition.store_id, seq, seq + 1, 1)
    if not rows:
        return None
    assert rows[0].record is not None
    message, _ = Message.restore(seq, rows[0].record, rows[0].state, core.clock.now_ms())
    return None if message.status == DELETED else message
