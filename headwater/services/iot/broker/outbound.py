"""A session's outgoing QoS 1 messages: packet ids, the in-flight window, the queue behind it.

Theory of operation
-------------------
A QoS 1 delivery becomes an `Entry` (the message, the RETAIN flag this receiver gets, and, for a
persistent session, its seq in the session's stored queue). While the client is connected and has
room (fewer than `window` unacknowledged: min(100, its Receive Maximum) in AWS mode) and its
outlet is not backed up, the entry gets a packet id and is written; otherwise it waits in
`pending`. A PUBACK frees the id (and removes the stored copy), and the next waiting entries go
out. On reconnect (`resume`) the in-flight entries are written again with DUP and their old ids.

Memory is bounded: at most `MEMORY_WINDOW` entries wait in `pending`. Past that, a persistent
session has stored the message already and remembers only the seq range `[cold_start, cold_stop)`
that lives in the store alone. A non-persistent (clean) session has nowhere to spill to, and
dropping the message would lose what its publisher is told was delivered, so it pushes back
instead: the entry is queued all the same and `push` returns the `_room` future, which the
publisher's PUBACK waits for. The listener stops reading that publisher meanwhile (TCP pushes back
on it), so each publisher adds at most one entry past the window and memory stays bounded by
the window plus the publishers. `_room` is resolved once `pending` is below the window again. A
subscriber that does not make room within `SLOW_CONSUMER_DEADLINE` (it stopped reading) would
stall its publishers forever, so it is disconnected (as Mosquitto and EMQX do with slow
consumers): its clean session ends, its queue goes with it (MQTT's clean-session contract), and
the waiting publishers are released. Counters: `qos1_backpressure` (messages that made a
publisher wait), `slow_consumers_disconnected`. Once `pending` runs low
the range is paged in, oldest first (`QueueStore.page`). While a cold range exists every new
entry joins it, so order is kept. A restart makes every stored message cold.

A persistent session stores each QoS 1 delivery before the publisher's PUBACK (the awaitable
`push` returns is awaited by the publisher), so an acknowledged message survives kill -9.

Replay pacing (AWS mode, `replay_rate` > 0): AWS sends a resumed session's stored messages at
most 10 a second. On `resume` every message queued so far (seq below `replay_stop`) is the
backlog; `flush` sends those one token at a time (a bucket of one, refilled at the rate, on the
loop's monotonic time) and sets a timer for the next. Messages routed after the resume wait
behind the backlog (order is kept) but are not themselves paced.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable
from typing import Protocol

from headwater.protocol.mqtt import reason_codes as rc
from headwater.services.iot.broker.context import (
    MEMORY_WINDOW,
    SLOW_CONSUMER_BYTES,
    SLOW_CONSUMER_DEADLINE,
    BrokerContext,
)
from headwater.services.iot.broker.message import Message, outgoing
from headwater.services.ports import MqttOutlet


class Wire(Protocol):
    """What the outbound queue needs of a connection."""

    outlet: MqttOutlet
    level: int
    window: int

    def close(self, reason_code: int, reason: str | None = None) -> None: ...


class Entry:
    __slots__ = ("message", "retain", "seq", "sent")
    # a future resolved by the entry's PUBACK: only a SendDirectMessage with confirmation has one
    # (`direct.Confirmed`, a subclass with the slot); routed entries read this class default
    confirmed: asyncio.Future[None] | None = None

    def __init__(self, message: Message, retain: bool, seq: int | None) -> None:
        self.message = message
        self.retain = retain
        self.seq = seq
        self.sent = False


class Outbound:
    def __init__(self, ctx: BrokerContext, queue: str | None) -> None:
        self.ctx = ctx
        self.queue = queue  # the stored queue (persistent sessions), else None
        self.connection: Wire | None = None
        self.inflight: dict[int, Entry] = {}
        self.pending: deque[Entry] = deque()
        self.next_id = 1
        self.next_seq = 0
        self.cold_start = self.cold_stop = 0
        self._paging: asyncio.Task[None] | None = None
        self.replay_stop = 0  # seqs below it are the backlog a resume replays (paced)
        self._tokens = 1.0
        self._refilled = 0.0
        self._pacer: asyncio.TimerHandle | None = None
        self._room: asyncio.Future[None] | None = None  # publishers waiting for the window (clean sessions)
        self._deadline: asyncio.TimerHandle | None = None

    def restore(self, count: int, next_seq: int) -> None:
        """After a restart: the stored messages are all cold."""
        self.next_seq = next_seq
        self.cold_start, self.cold_stop = (0, next_seq) if count else (next_seq, next_seq)

    def push(self, message: Message, retain: bool) -> Awaitable[None] | None:
        seq = stored = None
        if self.queue is not None:
            seq, self.next_seq = self.next_seq, self.next_seq + 1
            stored = self.ctx.store.enqueue(self.queue, seq, message, retain)
        if self.cold_start < self.cold_stop or len(self.pending) >= MEMORY_WINDOW:
            if seq is None:
                return self._push_back(Entry(message, retain, None))
            if self.cold_start >= self.cold_stop:
                self.cold_start = seq
            self.cold_stop = seq + 1
            return stored
        self.pending.append(Entry(message, retain, seq))
        if self.connection is not None:
            self.flush()
        return stored

    def flush(self) -> None:
        conn = self.connection
        if conn is None:
            return
        if not self.pending and self._room is None and self.cold_start >= self.cold_stop:
            return  # (most acks: nothing waits, nothing to page in)
        outlet, inflight, pending = conn.outlet, self.inflight, self.pending
        now = self.ctx.clock.now()
        while pending and len(inflight) < conn.window and outlet.buffered <= SLOW_CONSUMER_BYTES:
            seq = pending[0].seq
            if seq is not None and seq < self.replay_stop and not self._token():
                break
            entry = pending.popleft()
            if entry.message.expires_at is not None and entry.message.expired(now):
                self.ctx.counters.expired_dropped += 1
                self._forget(entry)
                continue
            packet_id = self._allocate()
            inflight[packet_id] = entry
            outlet.write(outgoing(entry.message, conn.level, 1, entry.retain, packet_id, entry.sent, now))
            entry.sent = True
        if self._room is not None and len(pending) < MEMORY_WINDOW:
            self._release()
        if self.cold_start < self.cold_stop and len(pending) < MEMORY_WINDOW // 2 and self._paging is None:
            self._paging = asyncio.get_running_loop().create_task(self._page_in())

    def _push_back(self, entry: Entry) -> Awaitable[None] | None:
        """A clean session's window is full: queue the entry anyway and hold its publisher."""
        self.ctx.counters.qos1_backpressure += 1
        self.pending.append(entry)
        room = self._room
        if room is None:
            loop = asyncio.get_running_loop()
            room = self._room = loop.create_future()
            self._deadline = loop.call_later(SLOW_CONSUMER_DEADLINE, self._stalled)
        if self.connection is not None:
            self.flush()
        # (None when the flush made room at once; shielded: one publisher's cancelled wait must not
        # cancel the others')
        return None if room.done() else asyncio.shield(room)

    def release(self) -> None:
        """Lets every publisher waiting for this queue go (the broker is closing)."""
        self._release()

    def _release(self) -> None:
        room, self._room = self._room, None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if room is not None and not room.done():
            room.set_result(None)

    def _stalled(self) -> None:
        """The subscriber made no room in time: it goes, and its publishers with it are released."""
        self._deadline = None
        if self._room is None:
            return
        self.ctx.counters.slow_consumers_disconnected += 1
        conn = self.connection
        if conn is not None:
            conn.close(rc.QUOTA_EXCEEDED, "slow consumer: its QoS 1 queue stayed full")
        self._release()

    def ack(self, packet_id: int) -> bool:
        entry = self.inflight.pop(packet_id, None)
        if entry is None:
            if self.pending:  # (any packet from the client gives a backed-up queue a chance)
                self.flush()
            return False
        self._forget(entry)
        confirmed = entry.confirmed
        if confirmed is not None and not confirmed.done():
            confirmed.set_result(None)
        self.flush()
        return True

    def resume(self, conn: Wire) -> None:
        """A (re)connected client: in-flight messages again with DUP, then what waits."""
        self.connection = conn
        if self.ctx.replay_rate > 0 and self.queue is not None:
            self.replay_stop = self.next_seq
            self._tokens, self._refilled = 1.0, asyncio.get_running_loop().time()
        now = self.ctx.clock.now()
        for packet_id, entry in self.inflight.items():
            conn.outlet.write(outgoing(entry.message, conn.level, 1, entry.retain, packet_id, True, now))
        self.flush()

    def clear(self) -> None:
        self.inflight.clear()
        self.pending.clear()
        self._release()  # the session is gone: nothing waits for its room any more
        self.cold_start = self.cold_stop
        if self._pacer is not None:
            self._pacer.cancel()
            self._pacer = None
        if self._paging is not None:
            self._paging.cancel()
            self._paging = None

    def __len__(self) -> int:
        return len(self.inflight) + len(self.pending) + (self.cold_stop - self.cold_start)

    def _token(self) -> bool:
        """Takes a replay token, or arms the timer that flushes again when the next one is due."""
        rate = self.ctx.replay_rate
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._tokens = min(1.0, self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        if self._pacer is None:
            self._pacer = loop.call_later((1.0 - self._tokens) / rate, self._paced)
        return False

    def _paced(self) -> None:
        self._pacer = None
        self.flush()

    def _forget(self, entry: Entry) -> None:
        if entry.seq is not None and self.queue is not None:
            self.ctx.store.acked(self.queue, entry.seq)

    def _allocate(self) -> int:
        packet_id = self.next_id
        while packet_id in self.inflight:
            packet_id = packet_id % 65535 + 1
        self.next_id = packet_id % 65535 + 1
        return packet_id

    async def prefetch(self) -> None:
        """Before a resumed session's CONNACK: the first page of a stored backlog, so the replay
        starts with the CONNACK rather than a store read later."""
        if self.queue is None or self.cold_start >= self.cold_stop or self._paging is not None:
            return
        limit = MEMORY_WINDOW // 2 or 1
        start, stop = self.cold_start, self.cold_stop
        rows = await self.ctx.store.page(self.queue, start, stop, limit)
        if self.cold_start != start or self._paging is not None:
            return
        for seq, message, retain in rows:
            self.pending.append(Entry(message, retain, seq))
        self.cold_start = rows[-1][0] + 1 if len(rows) == limit else stop

    async def _page_in(self) -> None:
        try:
            while self.queue is not None and self.cold_start < self.cold_stop and self.connection is not None:
                limit = MEMORY_WINDOW // 2 or 1
                start, stop = self.cold_start, self.cold_stop
                rows = await self.ctx.store.page(self.queue, start, stop, limit)
                if self.cold_start != start:  # cleared meanwhile
                    return
                for seq, message, retain in rows:
                    self.pending.append(Entry(message, retain, seq))
                self.cold_start = rows[-1][0] + 1 if len(rows) == limit else stop
                if len(self.pending) >= MEMORY_WINDOW // 2:
                    break
        finally:
            self._paging = None
        self.flush()
