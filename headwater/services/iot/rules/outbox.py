"""The rules' durable outboxes: one per action of a rule (and one for its errorAction), each a
queue of the engine's queue store, `iot-rules/<account>/<region>/<rule>/<slot>`.

Theory of operation
-------------------
A message that a rule selects becomes one rendered delivery per action, added to that action's
outbox; the tap returns the store's write, so a QoS 1 PUBACK is sent only once every action's work
is on disk. A record (the rendered delivery and the message, for the errorAction) is written once;
its state (when it is next due, attempts so far) is rewritten after each failed attempt. kill -9
loses nothing acknowledged: start-up loads every state (records stay on disk, read per attempt)
and the dispatchers carry on, so a delivery in flight at the kill is made again (at least once).

One dispatcher task per outbox waits for its earliest due record on the server clock (tests move
it with the admin clock route instead of sleeping) and runs up to PARALLEL attempts at a time, each
of up to BATCH due records (one PutRecords for a Kinesis action), so one slow or dead target never
holds up another action. A failed attempt is retried after 1, 2, 4,
8 and 16 s; after the last, `exhausted` hands the record and the error to the runtime (which sends
the errorAction's message) and the record goes. Records made in this process stay resident until
delivered (up to RESIDENT per outbox), so the hot path never reads the disk; loaded ones, and a
dead target's backlog beyond that, are read back per attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
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
BATCH = 100  # records an attempt takes at once (one PutRecords, one PutRecordBatch...)
RESIDENT = 10_000  # records kept in memory per outbox; the rest stay on disk only
RETRY_DELAYS_S = (1, 2, 4, 8, 16)  # after each failed attempt; then the errorAction

Record = bytes  # opaque here: `records.py` makes and reads them
# (outbox key, records) -> for each record None (delivered) or why not
Deliver = Callable[[tuple[str, str, str, str], list[Record]], Awaitable[list[DeliveryError | None]]]
# (outbox key, record, the last error) after the retry budget
Exhausted = Callable[[tuple[str, str, str, str], Record, DeliveryError], Awaitable[None]]


def queue_name(account: str, region: str, rule: str, slot: str) -> str:
    return f"{PREFIX}{account}/{region}/{rule}/{slot}"


@dataclass(slots=True)
class Box:
    key: tuple[str, str, str, str]  # (account, region, rule, slot)
    name: str
    heap: list[tuple[int, int]] = field(default_factory=list)  # (due ms, seq)
    attempts: dict[int, int] = field(default_factory=dict)  # seq -> attempts made
    resident: dict[int, bytes] = field(default_factory=dict)  # records made in this process
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
        await self.close()  # the engine's reset emptied the store
        self._running = True

    def depth(self) -> dict[tuple[str, str, str, str], int]:
        return {box.key: len(box.attempts) for box in self.boxes.values()}

    # --- adding -----------------------------------------------------------------------------------

    def add(self, account: str, region: str, rule: str, slot: str, record: Record) -> Awaitable[None]:
        """Stores a record in the outbox (the awaitable completes once it is durable) and schedules
        its delivery."""
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
        raw = record
        now = self.clock.now_ms()
        written = self.queues.add(name, [(seq, raw, _state(now, 0))])
        if len(box.resident) < RESIDENT:  # beyond it (a dead target's backlog) read back per attempt
            box.resident[seq] = raw
        box.attempts[seq] = 0
        heapq.heappush(box.heap, (now, seq))
        box.wake.set()
        if created is None:
            return written
        return _both(created, written)

    async def drop_rule(self, account: str, region: str, rule: str) -> None:
        """A deleted rule's outboxes go, with what they still held."""
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
            box.task = asyncio.get_running_loop().create_task(self._dispatch(box), name=f"outbox {box.name}")

    async def _dispatch(self, box: Box) -> None:
        while True:
            if not box.heap or box.in_flight >= PARALLEL:
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
                outcomes = await self.deliver(box.key, [raw for _, raw in batch])
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

    async def _failed(self, box: Box, failed: list[tuple[int, Record, DeliveryError]]) -> None:
        later: list[tuple[int, bytes]] = []
        for seq, record, error in failed:
            attempts = box.attempts.get(seq, 0) + 1
            if attempts > len(RETRY_DELAYS_S):
                try:
                    await self.exhausted(box.key, record, error)
                finally:
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


async def _both(first: Awaitable[None], second: Awaitable[None]) -> None:
    await first
    await second
