"""One queue: its definition and the life of its messages (visibility, delays, retention).

Theory of operation. Every live message is in `messages` (by seq) with a status: VISIBLE messages
wait in the ready index (FIFO groups or fair tenants); DELAYED and INFLIGHT ones have a deadline in
the `timers` heap. Nothing runs on a timer: every operation first `settle`s the queue to the clock,
which promotes due timers to VISIBLE and expires messages past retention, so the test clock can jump
and everything follows. Long-poll waiters sleep until the earliest deadline or a send wakes them.

Retention walks seqs upward from the oldest: seqs are dense and in send order, so expiry is O(1)
per message without an index. Messages moved here from a dead-letter source keep their original
send time (standard queues), which can be older than their neighbours': those also go in a small
heap so they expire on time.

State changes are written behind (the store orders writes); the service awaits the write where a
reply depends on it (send, delete).

Only a bounded window of the queue is in memory: messages with seq >= `cold_from` are *cold*, in
the store alone, and `cold` counts them (window.py pages them in and explains the model).
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from headwater.engine.api import QueueStore
from headwater.services.sqs.attributes import RedrivePolicy, parse_redrive_policy
from headwater.services.sqs.fair import FairIndex
from headwater.services.sqs.fifo import FifoIndex
from headwater.services.sqs.message import DELAYED, DELETED, INFLIGHT, VISIBLE, Message

DEDUP_WINDOW_MS = 5 * 60 * 1000
WINDOW = 10_000  # visible or delayed messages in memory before sends go cold


@dataclass(slots=True)
class QueueDef:
    """What the queue is: persisted in the metadata store as JSON."""

    account: str
    region: str
    name: str
    store_id: str  # the queue store's name for it (fresh per creation)
    attributes: dict[str, str]
    created: int  # epoch seconds
    modified: int
    tags: dict[str, str] = field(default_factory=dict)
    _numbers_of: dict[str, str] | None = field(default=None, repr=False, compare=False)
    _numbers: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"

    def seconds(self, name: str) -> int:
        """A numeric attribute as an int, parsed once per attribute map (every send reads two;
        SetQueueAttributes replaces the map, which empties the cache)."""
        if self._numbers_of is not self.attributes:
            self._numbers_of, self._numbers = self.attributes, {}
        value = self._numbers.get(name)
        if value is None:
            value = self._numbers[name] = int(self.attributes[name])
        return value


class Queue:
    def __init__(self, definition: QueueDef, store: QueueStore) -> None:
        self.definition = definition
        self.fifo = definition.fifo  # a queue never changes type
        self.store = store
        self.messages: dict[int, Message] = {}
        self.index: FifoIndex | FairIndex = FifoIndex() if definition.fifo else FairIndex()
        self.timers: list[tuple[int, int, int]] = []  # (due ms, seq, epoch)
        self.moved_expiry: list[tuple[int, int]] = []  # (sent ms, seq) of messages sent before their seq
        self.next_seq = 0
        self.oldest_seq = 0
        self.visible = 0
        self.inflight = 0
        self.delayed = 0
        # FIFO de-duplication: scope key -> (expires ms, message id, sequence number)
        self.dedup: dict[Any, tuple[int, str, str | None]] = {}
        self.dedup_order: list[tuple[int, int, Any]] = []  # (expires ms, tie-breaker, key)
        self._dedup_ticket = 0
        self.tombstones: list[tuple[int, int]] = []  # (until ms, seq) of deleted FIFO messages still stored
        self.last_sent_ms = 0
        self.last_sequence_number = 0
        # ReceiveRequestAttemptId -> (expires ms, [(seq, token)])
        self.attempts: dict[str, tuple[int, list[tuple[int, int]]]] = {}
        self.attempt_order: deque[tuple[int, str]] = deque()
        self.waiters: set[asyncio.Future[None]] = set()
        self.purged_at = 0.0
        self.deleted = False
        self.redrive: tuple[str, RedrivePolicy] | None = None  # (RedrivePolicy text, parsed)
        self.bucket: dict[str, tuple[float, float]] = {}  # action -> (tokens, as of): FIFO throttling
        self.window = WINDOW
        self.cold_from: int | None = None  # messages with seq >= this are in the store only
        self.cold = 0  # how many (live) cold messages there are
        self.paging = asyncio.Lock()  # refills and operations on cold messages (window.py)

    # -- shortcuts -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.definition.name

    def __len__(self) -> int:
        return self.visible + self.inflight + self.delayed + self.cold

    @property
    def approximate_visible(self) -> int:
        """ApproximateNumberOfMessages: resident visible messages and every cold one."""
        return self.visible + self.cold

    def is_cold(self, seq: int) -> bool:
        return self.cold_from is not None and self.cold_from <= seq < self.next_seq

    # -- transitions -----------------------------------------------------------------------------
    def _move(self, message: Message, status: int) -> None:
        old = message.status
        if old == VISIBLE:
            self.visible -= 1
        elif old == INFLIGHT:
            self.inflight -= 1
        elif old == DELAYED:
            self.delayed -= 1
        message.status = status
        message.epoch += 1
        if status == VISIBLE:
            self.visible += 1
        elif status == INFLIGHT:
            self.inflight += 1
        elif status == DELAYED:
            self.delayed += 1
        self.index.changed(message, old)
        if status in (INFLIGHT, DELAYED):
            heapq.heappush(self.timers, (message.visible_at, message.seq, message.epoch))

    def place(self, message: Message, now_ms: int) -> None:
        """Takes in a new message (already stored) with its status set: into the window, or cold
        once the window is full (then it lives in the store alone until it is paged in)."""
        if self.cold_from is None and self.visible + self.delayed >= self.window:
            self.cold_from = message.seq
        if self.cold_from is not None and message.seq >= self.cold_from:
            self.next_seq = max(self.next_seq, message.seq + 1)
            self.cold += 1
            return
        self.admit(message, now_ms)

    def admit(self, message: Message, now_ms: int) -> None:
        """Takes a message into the window (new, restored or paged in)."""
        self.next_seq = max(self.next_seq, message.seq + 1)
        status = message.status
        if status == DELETED:
            heapq.heappush(self.tombstones, (message.visible_at, message.seq))
            return
        self.messages[message.seq] = message
        if status == VISIBLE:
            self.visible += 1
        elif status == INFLIGHT:
            self.inflight += 1
        else:
            self.delayed += 1
        if status != VISIBLE:
            heapq.heappush(self.timers, (message.visible_at, message.seq, message.epoch))
        self.index.added(message)
        if status == INFLIGHT and isinstance(self.index, FairIndex):
            self.index.changed(message, VISIBLE)  # count it in flight
        if message.sent_ms < self.last_sent_ms:
            heapq.heappush(self.moved_expiry, (message.sent_ms, message.seq))
        else:
            self.last_sent_ms = message.sent_ms
        if status == VISIBLE:
            self.wake()

    def new_seq(self) -> int:
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def settle(self, now_ms: int) -> None:
        """Brings the queue up to the clock: due deadlines, retention."""
        timers = self.timers
        woke = False
        while timers and timers[0][0] <= now_ms:
            due, seq, epoch = heapq.heappop(timers)
            message = self.messages.get(seq)
            if message is None or message.epoch != epoch or message.status not in (INFLIGHT, DELAYED):
                continue
            self._move(message, VISIBLE)
            woke = True
        self._expire(now_ms)
        if woke:
            self.wake()

    def oldest_sent_ms(self) -> int | None:
        """The send time of the oldest live message (ApproximateAgeOfOldestMessage)."""
        seq = self.oldest_seq
        end = self.next_seq if self.cold_from is None else self.cold_from
        while seq < end and seq not in self.messages:
            seq += 1  # deleted since: everything below is gone
        self.oldest_seq = seq
        oldest = self.messages.get(seq)
        candidates = [oldest.sent_ms] if oldest is not None else []
        while self.moved_expiry and self.moved_expiry[0][1] not in self.messages:
            heapq.heappop(self.moved_expiry)
        if self.moved_expiry:
            candidates.append(self.moved_expiry[0][0])
        return min(candidates) if candidates else None

    def next_deadline(self) -> int | None:
        """The earliest pending deadline (a delayed or in-flight message coming back), if any."""
        timers = self.timers
        while timers:
            due, seq, epoch = timers[0]
            message = self.messages.get(seq)
            if message is not None and message.epoch == epoch and message.status in (INFLIGHT, DELAYED):
                return due
            heapq.heappop(timers)
        return None

    def _expire(self, now_ms: int) -> None:
        horizon = now_ms - self.definition.seconds("MessageRetentionPeriod") * 1000
        messages = self.messages
        gone: list[int] = []
        seq = self.oldest_seq
        end = self.next_seq if self.cold_from is None else self.cold_from  # cold ones are newer
        while seq < end:
            message = messages.get(seq)
            if message is not None:
                if message.sent_ms >= horizon:
                    break
                self._drop(message)
                gone.append(seq)
            seq += 1
        self.oldest_seq = seq
        moved = self.moved_expiry
        while moved and moved[0][0] < horizon:
            _, seq = heapq.heappop(moved)
            message = messages.get(seq)
            if message is not None and message.status != DELETED:
                self._drop(message)
                gone.append(seq)
        tombstones = self.tombstones
        while tombstones and tombstones[0][0] <= now_ms:
            gone.append(heapq.heappop(tombstones)[1])
        if gone:
            self.store.remove(self.definition.store_id, gone)
        dedup_order = self.dedup_order
        while dedup_order and dedup_order[0][0] <= now_ms:
            expires, _, key = heapq.heappop(dedup_order)
            entry = self.dedup.get(key)
            if entry is not None and entry[0] <= now_ms:
                del self.dedup[key]
        order = self.attempt_order  # every attempt lives the same 5 minutes: a FIFO of expiries
        while order and order[0][0] <= now_ms:
            _, attempt = order.popleft()
            attempt_entry = self.attempts.get(attempt)
            if attempt_entry is not None and attempt_entry[0] <= now_ms:
                del self.attempts[attempt]

    def _drop(self, message: Message) -> None:
        """Forgets a message (expired, deleted, moved away); the caller removes it from the store."""
        self._move(message, DELETED)
        self.messages.pop(message.seq, None)

    # -- operations ------------------------------------------------------------------------------
    def take(self, count: int, now_ms: int) -> list[Message]:
        """Visible messages a receive may deliver now (their status is not changed yet)."""
        if isinstance(self.index, FairIndex):
            return self.index.take(count, now_ms)
        return self.index.take(count)

    def deliver(self, message: Message, visibility_s: int, now_ms: int) -> None:
        message.receive_count += 1
        if not message.first_receive_ms:
            message.first_receive_ms = now_ms
        message.received_ms = now_ms
        message.token += 1
        message.visible_at = now_ms + visibility_s * 1000
        self._move(message, INFLIGHT)

    def redelay(self, delay_s: int, now_ms: int) -> list[Message]:
        """A FIFO queue's delay applies to messages already waiting (AWS: retroactive there, not on
        standard queues); returns the messages whose deadline moved."""
        moved = []
        for message in list(self.messages.values()):
            if message.status != DELAYED:
                continue
            message.visible_at = message.sent_ms + delay_s * 1000
            moved.append(message)
            if message.visible_at <= now_ms:
                self._move(message, VISIBLE)
            else:
                message.epoch += 1
                heapq.heappush(self.timers, (message.visible_at, message.seq, message.epoch))
        if moved:
            self.wake()
        return moved

    def set_visibility(self, message: Message, visibility_s: int, now_ms: int) -> None:
        message.visible_at = now_ms + visibility_s * 1000
        if visibility_s == 0:
            self._move(message, VISIBLE)
            self.wake()
        else:
            message.epoch += 1
            heapq.heappush(self.timers, (message.visible_at, message.seq, message.epoch))

    def remove(self, message: Message, now_ms: int, *, keep_dedup: bool = True) -> Awaitable[None]:
        """Deletes a message durably. A FIFO message inside its de-duplication window stays stored
        as a tombstone until the window closes."""
        if isinstance(self.index, FairIndex) and message.status == INFLIGHT:
            self.index.processed(message, now_ms)
        store_id = self.definition.store_id
        if self.fifo and message.status == INFLIGHT:
            self.wake()  # its group may have a next message: a long poll takes it now
        dedup_until = message.sent_ms + DEDUP_WINDOW_MS
        if keep_dedup and self.fifo and dedup_until > now_ms:
            self._drop(message)
            message.visible_at = dedup_until
            heapq.heappush(self.tombstones, (dedup_until, message.seq))
            return self.store.set_state(store_id, [(message.seq, message.state())])
        self._drop(message)
        return self.store.remove(store_id, [message.seq])

    def purge(self) -> Awaitable[None]:
        self.messages.clear()
        self.index.clear()
        self.timers.clear()
        self.moved_expiry.clear()
        self.dedup.clear()
        self.dedup_order.clear()
        self.tombstones.clear()
        self.attempts.clear()
        self.attempt_order.clear()
        self.visible = self.inflight = self.delayed = 0
        self.cold_from, self.cold = None, 0
        self.oldest_seq = self.next_seq
        return self.store.clear(self.definition.store_id)

    # -- long polling ----------------------------------------------------------------------------
    def wake(self) -> None:
        if self.waiters:
            waiters, self.waiters = self.waiters, set()
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def waiter(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.add(future)
        return future

    # -- FIFO de-duplication ---------------------------------------------------------------------
    def dedup_key(self, group: str, dedup_id: str) -> Any:
        if self.definition.attributes.get("DeduplicationScope") == "messageGroup":
            return (group, dedup_id)
        return dedup_id

    def remember_dedup(self, key: Any, expires_ms: int, message_id: str, sequence_number: str | None) -> None:
        self.dedup[key] = (expires_ms, message_id, sequence_number)
        self._dedup_ticket += 1
        heapq.heappush(self.dedup_order, (expires_ms, self._dedup_ticket, key))

    def sequence_number(self, now_ms: int) -> str:
        """Increasing within the queue (so within every group) across restarts too, since it is
        derived from the clock; 20 digits like AWS's 128-bit numbers."""
        self.last_sequence_number = max(self.last_sequence_number + 1, now_ms * 10_000_000)
        return str(self.last_sequence_number)


def redrive_policy(queue: Queue) -> RedrivePolicy | None:
    """The queue's parsed RedrivePolicy, parsed once per change of the attribute."""
    text = queue.definition.attributes.get("RedrivePolicy")
    if not text:
        return None
    cached = getattr(queue, "redrive", None)
    if cached is not None and cached[0] == text:
        return cached[1]
    policy = parse_redrive_policy(text)
    queue.redrive = (text, policy)
    return policy
