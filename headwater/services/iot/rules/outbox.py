"""The rules' durable outboxes: one per action of a rule (and one for its errorAction), each a
queue of the engine's queue store, `iot-rules/<account>/<region>/<rule>/<slot>`.

Theory of operation
-------------------
A message that a rule selects becomes one rendered delivery per action, added to that action's
outbox; the tap returns a write that completes once the record is on disk, so a QoS 1 PUBACK is sent
only once every action's work is stored. Adds are group-written: the records an outbox gets in one
turn of the event loop go to the engine as ONE append, flushed by a callback at the end of the turn
(or before the dispatcher takes records), and every add of that group shares its awaitable. A record (the rendered delivery and the message, for the errorAction) is written once;
its state (when it is next due, attempts so far) is rewritten after each failed attempt. kill -9
loses nothing acknowledged: start-up loads every state (records stay on disk, read per attempt)
and the dispatchers carry on, so a delivery in flight at the kill is made again (at least once).

One dispatcher task per outbox waits for its earliest due record on the server clock (tests move
it with the admin clock route instead of sleeping) and runs up to PARALLEL attempts at a time, each
of up to BATCH due records (one PutRecords for a Kinesis action), so one slow or dead target never
holds up another action. A failed attempt is retried after 1, 2, 4,
8 and 16 s; after the last, `exhausted` hands the record and the error to the runtime (which sends
the errorAction's message) and the record goes, or, when the runtime is still gathering the failures
of that message's other actions, stays on disk (out of the schedule) until the runtime releases it. Records made in this process stay resident until
delivered (up to RESIDENT per outbox), so the hot path never reads the disk; loaded ones, and a
dead target's backlog beyond that, are read back per attempt. A resident record is kept as the
caller's `item` too (the runtime's decoded delivery), so delivering it decodes nothing; records read
back from disk reach `deliver` as bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import heapq
import logging
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from headwater.engine.api import QueueStore
from headwater.runtime.clock import SystemClock
from headwater.services.ports import DeliveryError

log = logging.getLogger("headwater.services.iot.rules")
PREFIX = "iot-rules/"
PARALLEL = 16  # attempts in flight per outbox
BATCH = 500  # records an attempt takes at once (one PutRecords, one PutRecordBatch...)
GATHER = 2  # with this many attempts in flight, a smaller batch waits for one to end (grows meanwhile)
RESIDENT = 10_000  # records kept in memory per outbox; the rest stay on disk only
RETRY_DELAYS_S = (1, 2, 4, 8, 16)  # after each failed attempt; then the errorAction

Record = bytes  # opaque here: `records.py` makes and reads them
Item = object  # what `deliver` gets: the record's bytes, or what the caller gave `add` beside them
# (outbox key, items) -> for each item None (delivered) or why not
Deliver = Callable[[tuple[str, str, str, str], list[Item]], Awaitable[list[DeliveryError | None]]]
# (outbox key, item, the last error, release) after the retry budget; True: the caller keeps the record
# (on disk, out of the schedule) until it calls `release`, False: the record goes now
Exhausted = Callable[[tuple[str, str, str, str], Item, DeliveryError, Callable[[], None]], Awaitable[bool]]


def queue_name(account: str, region: str, rule: str, slot: str) -> str:
    return f"{PREFIX}{account}/{region}/{rule}/{slot}"


@dataclass(slots=True)
class Box:
    key: tuple[str, str, str, str]  # (account, region, rule, slot)
    name: str
    heap: list[tuple[int, int]] = field(default_factory=list)  # (due ms, seq)
    attempts: dict[int, int] = field(default_factory=dict)  # seq -> attempts made
    resident: dict[int, Item] = field(default_factory=dict)  # records made in this process
    pending: list[tuple[int, bytes, bytes]] = field(default_factory=list)  # added this turn, unwritten
    written: asyncio.Future[None] | None = None  # completes when `pending` is stored
    next_seq: int = 0
    in_flight: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Outboxes:
    def __init__(
        self, queues: QueueStore, clock: SystemClock, deliver: Deliver, exhausted: Exhausted
    ) -> None:
        self.queues = queues
        self.clock = clock
        self.deliver = deliver
        self.exhausted = exhausted
        self.boxes: dict[str, Box] = {}
        self._unflushed: list[Box] = []  # boxes with pending adds; one flush per loop turn
        self._running = False
        self._attempts: set[asyncio.Task[None]] = set()  # in flight, cancelled at close

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        for name in self.queues.queues():
            if not name.startswith(PREFIX):
                continue
            account, region, rule, slot = name[len(PREFIX) :].split("/", 3)
            box = self.boxes[name] = Box((account, region, rule, slot), name)
            for stored in self.queues.load(name, records=False):
                due, attempts = _STATE.unpack(stored.state)
                box.heap.append((due, stored.seq))
                box.attempts[stored.seq] = attempts
                box.next_seq = stored.seq + 1
            heapq.heapify(box.heap)
            self._spawn(box)

    async def close(self) -> None:
        self._flush()  # what was acknowledged-pending is written before the store closes
        self._running = False
        tasks = [box.task for box in self.boxes.values() if box.task is not None]
        tasks += list(self._attempts)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.boxes.clear()

    async def reset(self) -> None:
        self._discard_pending()
        await self.close()  # the engine's reset emptied the store
        self._running = True

    def backlogged(self, key: tuple[str, str, str, str]) -> bool:
        """Whether the outbox of this (account, region, rule, slot) holds records."""
        if not self.boxes:  # the usual case, checked for every message: no name to format
            return False
        box = self.boxes.get(queue_name(*key))
        return box is not None and bool(box.attempts)

    def depth(self) -> dict[tuple[str, str, str, str], int]:
        return {box.key: len(box.attempts) for box in self.boxes.values()}

    # --- adding -----------------------------------------------------------------------------------

    def add(
        self,
        account: str,
        region: str,
        rule: str,
        slot: str,
        record: Record,
        item: Item | None = None,
        *,
        attempts: int = 0,
        delay_ms: int = 0,
    ) -> Awaitable[None]:
        """Stores a record in the outbox (the awaitable completes once it is durable, with the rest of
        this loop turn's adds) and schedules its delivery; `item` (default: the record) is what
        `deliver` gets while the record stays resident. A record whose first attempts were made
        elsewhere (direct delivery) says how many, and when the next is due."""
        name = queue_name(account, region, rule, slot)
        box = self.boxes.get(name)
        created: Awaitable[None] | None = None
        if box is None:
            box = self.boxes[name] = Box((account, region, rule, slot), name)
            if name not in self.queues.queues():
                created = self.queues.create(name)
            self._spawn(box)
        seq = box.next_seq
        box.next_seq += 1
        due = self.clock.now_ms() + delay_ms
        written = box.written
        if written is None:
            loop = asyncio.get_running_loop()
            written = box.written = loop.create_future()
            if not self._unflushed:
                loop.call_soon(self._flush)
            self._unflushed.append(box)
        box.pending.append((seq, record, _state(due, attempts)))
        if len(box.resident) < RESIDENT:  # beyond it (a dead target's backlog) read back per attempt
            box.resident[seq] = record if item is None else item
        box.attempts[seq] = attempts
        heapq.heappush(box.heap, (due, seq))
        box.wake.set()
        if created is None:
            return written
        return _both(created, written)

    def _flush(self) -> None:
        """Writes every outbox's pending adds, one engine append per outbox."""
        boxes, self._unflushed = self._unflushed, []
        for box in boxes:
            self._flush_box(box)

    def _flush_box(self, box: Box) -> None:
        waiter, pending = box.written, box.pending
        if waiter is None:
            return
        box.written, box.pending = None, []
        try:
            stored = asyncio.ensure_future(self.queues.add(box.name, pending))
        except Exception as error:  # the engine failed (or was reset): the adds fail, not the loop
            if not waiter.done():
                waiter.set_exception(error)
            return
        stored.add_done_callback(lambda done: _settle(waiter, done))

    def _discard_pending(self) -> None:
        """The store was emptied under the pending adds (reset): they fail."""
        for box in self._unflushed:
            if box.written is not None and not box.written.done():
                box.written.set_exception(RuntimeError("the store was reset"))
                box.written.exception()  # nobody may be waiting any more: no warning
            box.written, box.pending = None, []
        self._unflushed = []

    async def drop_rule(self, account: str, region: str, rule: str) -> None:
        """A deleted rule's outboxes go, with what they still held."""
        self._flush()  # its pending adds are written (and acknowledged) before the queue goes
        for name, box in list(self.boxes.items()):
            if box.key[:3] == (account, region, rule):
                if box.task is not None:
                    box.task.cancel()
                del self.boxes[name]
        for name in self.queues.queues():
            if name.startswith(queue_name(account, region, rule, "")):
                await self.queues.drop(name)

    # --- dispatching ------------------------------------------------------------------------------

    def _spawn(self, box: Box) -> None:
        if self._running:
            # a fresh context: a box made while a republished message runs must not inherit its hops
            box.task = asyncio.get_running_loop().create_task(
                self._dispatch(box), name=f"outbox {box.name}", context=contextvars.Context()
            )

    async def _dispatch(self, box: Box) -> None:
        while True:
            if (
                not box.heap
                or box.in_flight >= PARALLEL
                or (box.in_flight >= GATHER and len(box.heap) < BATCH)
            ):
                box.wake.clear()
                await box.wake.wait()
                continue
            wait_s = (box.heap[0][0] - self.clock.now_ms()) / 1000
            if wait_s > 0:
                box.wake.clear()
                sleeper = asyncio.ensure_future(self.clock.sleep(wait_s))
                waker = asyncio.ensure_future(box.wake.wait())
                try:
                    await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    sleeper.cancel()
                    waker.cancel()
                continue
            if box.written is not None:  # a record is delivered only once its add is submitted
                self._flush_box(box)
            now = self.clock.now_ms()
            seqs: list[int] = []
            while box.heap and box.heap[0][0] <= now and len(seqs) < BATCH:
                seqs.append(heapq.heappop(box.heap)[1])
            box.in_flight += 1
            attempt = asyncio.get_running_loop().create_task(self._attempt(box, seqs))
            self._attempts.add(attempt)
            attempt.add_done_callback(self._attempts.discard)

    async def _attempt(self, box: Box, seqs: list[int]) -> None:
        try:
            raws = [box.resident.get(seq) for seq in seqs]
            missing = [seq for seq, raw in zip(seqs, raws, strict=True) if raw is None]
            if missing:
                read = dict(zip(missing, await self.queues.records(box.name, missing), strict=True))
                raws = [raw if raw is not None else read[seq] for seq, raw in zip(seqs, raws, strict=True)]
            batch = [(seq, raw) for seq, raw in zip(seqs, raws, strict=True) if raw is not None]
            for seq, raw in zip(seqs, raws, strict=True):
                if raw is None:  # gone meanwhile (the rule was deleted)
                    box.attempts.pop(seq, None)
            if not batch:
                return
            try:
                outcomes = await self.deliver(box.key, [item for _, item in batch])
            except Exception as error:  # a target's bug must not kill the dispatcher
                log.exception("rule %s: delivery failed unexpectedly", box.key[2])
                outcomes = [DeliveryError("InternalFailure", str(error))] * len(batch)
            self._done(
                box, [seq for (seq, _), outcome in zip(batch, outcomes, strict=True) if outcome is None]
            )
            failed = [(seq, raw, o) for (seq, raw), o in zip(batch, outcomes, strict=True) if o is not None]
            if failed:
                await self._failed(box, failed)
        finally:
            box.in_flight -= 1
            box.wake.set()

    def _done(self, box: Box, seqs: list[int]) -> None:
        if not seqs:
            return
        for seq in seqs:
            box.resident.pop(seq, None)
            box.attempts.pop(seq, None)
        if self.boxes.get(box.name) is box:
            self.queues.remove(box.name, seqs)  # durable in the background: a redelivery is allowed

    def _release(self, box: Box, seq: int) -> None:
        """A record `exhausted` kept is no longer needed (its error message is stored)."""
        if self.boxes.get(box.name) is box:
            self.queues.remove(box.name, [seq])

    async def _failed(self, box: Box, failed: list[tuple[int, Item, DeliveryError]]) -> None:
        later: list[tuple[int, bytes]] = []
        for seq, record, error in failed:
            attempts = box.attempts.get(seq, 0) + 1
            if attempts > len(RETRY_DELAYS_S):
                kept = False
                try:
                    kept = await self.exhausted(
                        box.key, record, error, functools.partial(self._release, box, seq)
                    )
                finally:
                    if kept:  # stays on disk: after a restart it is tried (and exhausted) once more
                        box.resident.pop(seq, None)
                        box.attempts.pop(seq, None)
                    else:
                        self._done(box, [seq])
                continue
            box.attempts[seq] = attempts
            due = self.clock.now_ms() + RETRY_DELAYS_S[attempts - 1] * 1000
            later.append((seq, _state(due, attempts)))
            heapq.heappush(box.heap, (due, seq))
        if later and self.boxes.get(box.name) is box:
            self.queues.set_state(box.name, later)


_STATE = struct.Struct(">qI")


def _state(due_ms: int, attempts: int) -> bytes:
    return _STATE.pack(due_ms, attempts)


def _settle(waiter: asyncio.Future[None], done: asyncio.Future[None]) -> None:
    if waiter.done():
        return
    if done.cancelled():
        waiter.cancel()
    elif done.exception() is not None:
        waiter.set_exception(done.exception())  # type: ignore[arg-type]
    else:
        waiter.set_result(None)


async def _both(first: Awaitable[None], second: Awaitable[None]) -> None:
    await first
    await second
