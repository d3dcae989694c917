"""The edge bridge's store-and-forward queue: messages bound upstream, on disk in the engine's queue
store, bounded in bytes, with a drop policy.

Theory of operation
-------------------
One engine queue (`iot-edge/<name>`) holds every message not yet acknowledged upstream, keyed by
a sequence number assigned at `add` (one order for all topics, so each topic's order is kept). The
record is the upstream topic, the RETAIN flag and the payload; the state column holds the record's
size, so start-up (after a crash too) sizes the backlog from `load(records=False)` without reading
payloads. `add` returns the store's write: the local PUBACK waits for it, so in durable mode a
PUBACK means the message is on disk.

In memory: `entries` (seq -> size, in seq order), the bytes they take, `unsent` (the seqs to send
next, in order; rewound to every stored seq when a connection starts, since what was in flight on
a lost connection may not have arrived) and a bounded cache of records, so a live bridge sends
from memory and a backlog is paged in from disk. `ack` removes a message once the upstream
acknowledged it.

When a message does not fit under `max_bytes`: `oldest` drops the oldest stored messages until it
fits; `newest` drops the new one (its publisher still gets its PUBACK: the drop is counted, not
refused); `none` makes its publisher wait (its PUBACK held, so the client's in-flight window
stops it) until acknowledgements make room, in arrival order; QoS 0 messages, whose publishers
wait for nothing, are dropped instead of piling up in memory. A message larger than the whole
bound is always dropped.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import struct
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Literal

from headwater.engine.api import QueueStore
from headwater.services.iot.contracts import Backpressure

log = logging.getLogger("headwater.iot.edge")
_SIZE = struct.Struct(">Q")
_HEAD = struct.Struct(">BH")  # flags (1: retain), topic length
CACHE_BYTES = 8 * 1024 * 1024
PAGE = 128


@dataclass(slots=True)
class Outgoing:
    seq: int
    topic: str
    payload: bytes
    retain: bool


@dataclass(slots=True)
class Counters:
    queued: int = 0
    forwarded: int = 0
    dropped_oldest: int = 0
    dropped_newest: int = 0
    blocked: int = 0  # publishers that waited for room (drop policy none)
    rejected: int = 0  # refused by the upstream for good (not authorized, bad topic, too large)
    throttled: int = 0  # refused for now (quota): sent again
    received: int = 0  # upstream -> local
    reconnects: int = 0


def encode(topic: str, payload: bytes, retain: bool) -> bytes:
    name = topic.encode()
    return _HEAD.pack(1 if retain else 0, len(name)) + name + payload


def decode(seq: int, record: bytes) -> Outgoing:
    flags, length = _HEAD.unpack_from(record)
    start = _HEAD.size
    topic = record[start : start + length].decode()
    return Outgoing(seq, topic, record[start + length :], bool(flags & 1))


def _quiet(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:  # the message is resent after a restart
        log.warning("edge: removing a forwarded message failed", exc_info=future.exception())


class EdgeQueue:
    def __init__(
        self, store: QueueStore, name: str, max_bytes: int, drop: Literal["oldest", "newest", "none"]
    ) -> None:
        self.store = store
        self.name = f"iot-edge/{name}"
        self.max_bytes = max_bytes
        self.drop = drop
        self.counters = Counters()
        self.entries: dict[int, int] = {}  # seq -> record size, ascending seq
        self.bytes = 0
        self.unsent: collections.deque[int] = collections.deque()
        self._cache: dict[int, bytes] = {}
        self._cache_bytes = 0
        self._writes: dict[int, asyncio.Future[None]] = {}  # seq -> its store write, until done
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()
        self._next_seq = 0
        self.changed = asyncio.Event()  # set when something is added or acknowledged

    # --- lifecycle ------------------------------------------------------------------------------

    async def load(self) -> None:
        """The stored backlog (what a previous run, crashed or not, left unacknowledged)."""
        self._forget()
        if self.name not in self.store.queues():
            await self.store.create(self.name)
            return
        for stored in self.store.load(self.name, records=False):
            (size,) = _SIZE.unpack(stored.state)
            self.entries[stored.seq] = size
            self.bytes += size
        self._next_seq = self.store.stats(self.name)[1]
        self.rewind()

    def _forget(self) -> None:
        self.entries.clear()
        self.unsent.clear()
        self._cache.clear()
        self.bytes = self._cache_bytes = self._next_seq = 0
        self._writes.clear()
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        self._waiters.clear()

    # --- in: the local tap ------------------------------------------------------------------------

    def add(self, topic: str, payload: bytes, retain: bool, qos: int) -> Awaitable[None] | None:
        """Queues a message bound upstream; the store write its PUBACK waits for, or None when it
        was dropped (counted)."""
        record = encode(topic, payload, retain)
        size = len(record)
        if size > self.max_bytes:
            self._dropped_newest()
            return None
        if self.bytes + size > self.max_bytes or self._waiters:
            if self.drop == "oldest":
                self._make_room(size)
            elif self.drop == "newest" or qos == 0:
                self._dropped_newest()
                return None
            else:
                return Backpressure(self._add_when_room(record, size))  # stop reading the publisher
        return self._store(record, size)

    def _store(self, record: bytes, size: int) -> Awaitable[None]:
        seq = self._next_seq
        self._next_seq += 1
        self.entries[seq] = size
        self.bytes += size
        self.unsent.append(seq)
        if self._cache_bytes + size <= CACHE_BYTES:
            self._cache[seq] = record
            self._cache_bytes += size
        write = asyncio.ensure_future(self.store.add(self.name, [(seq, record, _SIZE.pack(size))]))
        self._writes[seq] = write
        write.add_done_callback(functools.partial(self._written, seq))
        self.counters.queued += 1
        self.changed.set()
        return write

    def _written(self, seq: int, write: asyncio.Future[None]) -> None:
        self._writes.pop(seq, None)
        if not write.cancelled() and write.exception() is not None:
            log.error("edge: a queue write failed", exc_info=write.exception())

    async def _add_when_room(self, record: bytes, size: int) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((size, waiter))
        self.counters.blocked += 1
        try:
            await waiter  # `_admit` reserved our bytes
        except asyncio.CancelledError:  # the publisher went away
            if waiter.done() and not waiter.cancelled():  # admitted already: give the room back
                self.bytes -= size
                self._admit()
            raise
        self.bytes -= size
        await self._store(record, size)

    def _admit(self) -> None:
        while self._waiters:
            size, waiter = self._waiters[0]
            if waiter.done():  # its publisher went away
                self._waiters.popleft()
                continue
            if self.bytes + size > self.max_bytes:
                return
            self._waiters.popleft()
            self.bytes += size  # reserved until `_add_when_room` stores it
            waiter.set_result(None)

    def _make_room(self, size: int) -> None:
        while self.entries and self.bytes + size > self.max_bytes:
            seq = next(iter(self.entries))
            self._remove(seq)
            self.counters.dropped_oldest += 1

    def _dropped_newest(self) -> None:
        self.counters.dropped_newest += 1

    # --- out: the upstream pump -----------------------------------------------------------------

    def rewind(self) -> None:
        """A new connection: every stored message is sent again, oldest first."""
        self.unsent = collections.deque(self.entries)

    async def take(self) -> Outgoing | None:
        """The next message to send, oldest first; None when there is none now."""
        while self.unsent:
            seq = self.unsent[0]
            if seq not in self.entries:  # dropped or acknowledged since
                self.unsent.popleft()
                continue
            record = self._cache.get(seq)
            if record is None:
                record = await self._page_in(seq)
                if record is None or seq not in self.entries:
                    continue
            self.unsent.popleft()
            return decode(seq, record)
        return None

    async def _page_in(self, seq: int) -> bytes | None:
        write = self._writes.get(seq)
        if write is not None:
            await write
        rows = await self.store.page(self.name, seq, seq + PAGE * 4, PAGE)
        found = None
        for row in rows:
            if row.record is None or row.seq not in self.entries:
                continue
            if row.seq == seq:
                found = row.record
            elif row.seq not in self._cache:
                self._cache[row.seq] = row.record
                self._cache_bytes += len(row.record)
        if found is None:  # not on disk: nothing will bring it back
            self._remove(seq)
        return found

    def ack(self, seq: int, rejected: bool = False) -> None:
        if seq in self.entries:
            self._remove(seq)
            if rejected:
                self.counters.rejected += 1
            else:
                self.counters.forwarded += 1

    def _remove(self, seq: int) -> None:
        self.bytes -= self.entries.pop(seq)
        record = self._cache.pop(seq, None)
        if record is not None:
            self._cache_bytes -= len(record)
        # the store applies writes in call order: a remove right after its add is safe
        done = asyncio.ensure_future(self.store.remove(self.name, [seq]))
        done.add_done_callback(_quiet)
        self._admit()
        self.changed.set()

    def status(self) -> dict[str, object]:
        return {
            "messages": len(self.entries),
            "bytes": self.bytes,
            "max_bytes": self.max_bytes,
            "drop": self.drop,
            "waiting_publishers": len(self._waiters),
        }
