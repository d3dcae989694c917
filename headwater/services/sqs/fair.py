"""Which standard-queue messages a receive returns: plain order, or fair queues across tenants.

Theory of operation. Visible messages wait in per-tenant deques (the tenant is the MessageGroupId; a
message without one is its own tenant, so all of those share one always-quiet deque). A queue
without group ids therefore has one deque and costs O(1) per message. Entries carry the message's
epoch at the time it became visible; an entry whose message has moved on since (received, deleted)
is stale and skipped.

Fair queues (AWS, July 2025): a tenant is *noisy* when it holds more than 10% of the queue's
in-flight messages and at least 30 of its own, or more than 10% of the recent consumer processing
time (receive-to-delete, decayed over about a minute). Receives serve quiet tenants round-robin
first; only then noisy ones, those with the fewest messages in flight first. Nothing is dropped or
throttled: noisy tenants just wait longer. A tenant stops being noisy as soon as the numbers say so.
"""

from __future__ import annotations

import math
from collections import deque

from headwater.services.sqs.message import INFLIGHT, VISIBLE, Message

NOISY_SHARE = 0.10
NOISY_MIN_INFLIGHT = 30
PROCESSING_HALF_LIFE_MS = 60_000.0

Entry = tuple[Message, int]


class FairIndex:
    def __init__(self) -> None:
        self.tenants: dict[str | None, deque[Entry]] = {}
        self._ready: deque[str | None] = deque()  # tenants that may have visible messages
        self._in_ready: set[str | None] = set()
        self.inflight: dict[str | None, int] = {}
        self.total_inflight = 0
        self._processing: dict[str, tuple[float, int]] = {}  # tenant -> (decayed ms, as of ms)
        self._processing_total = (0.0, 0)

    def added(self, message: Message) -> None:
        if message.status == VISIBLE:
            self._push(message)

    def changed(self, message: Message, old: int) -> None:
        tenant = message.group
        if old == INFLIGHT:
            self.total_inflight -= 1
            if tenant is not None:
                left = self.inflight.get(tenant, 0) - 1
                if left > 0:
                    self.inflight[tenant] = left
                else:
                    self.inflight.pop(tenant, None)
        if message.status == INFLIGHT:
            self.total_inflight += 1
            if tenant is not None:
                self.inflight[tenant] = self.inflight.get(tenant, 0) + 1
        elif message.status == VISIBLE:
            self._push(message)

    def processed(self, message: Message, now_ms: int) -> None:
        """A received message was deleted: charge its processing time to its tenant."""
        if message.group is None or not message.received_ms:
            return
        spent = max(0, now_ms - message.received_ms)
        value, at = self._processing.get(message.group, (0.0, now_ms))
        self._processing[message.group] = (_decay(value, now_ms - at) + spent, now_ms)
        total, total_at = self._processing_total
        self._processing_total = (_decay(total, now_ms - total_at) + spent, now_ms)

    def take(self, count: int, now_ms: int) -> list[Message]:
        taken: list[Message] = []
        noisy: list[str | None] = []
        ready = self._ready
        # round-robin over quiet tenants until the count is met: each turn takes a message or
        # drops a tenant from `ready` (noisy or empty), so the loop ends
        while ready and len(taken) < count:
            tenant = ready.popleft()
            if tenant is not None and self._noisy(tenant, now_ms):
                noisy.append(tenant)
                continue
            message = self._next(tenant)
            if message is None:
                self._in_ready.discard(tenant)
                continue
            taken.append(message)
            ready.append(tenant)
        if len(taken) < count and noisy:
            noisy.sort(key=lambda t: self.inflight.get(t, 0))
            for tenant in noisy:
                while len(taken) < count:
                    message = self._next(tenant)
                    if message is None:
                        break
                    taken.append(message)
        for tenant in noisy:
            if self.tenants.get(tenant):
                ready.append(tenant)
            else:
                self._in_ready.discard(tenant)
        return taken

    def clear(self) -> None:
        self.tenants.clear()
        self._ready.clear()
        self._in_ready.clear()
        self.inflight.clear()
        self.total_inflight = 0
        self._processing.clear()
        self._processing_total = (0.0, 0)

    def _push(self, message: Message) -> None:
        tenant = message.group
        entries = self.tenants.get(tenant)
        if entries is None:
            entries = self.tenants[tenant] = deque()
        entries.append((message, message.epoch))
        if tenant not in self._in_ready:
            self._in_ready.add(tenant)
            self._ready.append(tenant)

    def _next(self, tenant: str | None) -> Message | None:
        entries = self.tenants.get(tenant)
        while entries:
            message, epoch = entries.popleft()
            if message.epoch == epoch and message.status == VISIBLE:
                return message
        if entries is not None:
            del self.tenants[tenant]
        return None

    def _noisy(self, tenant: str, now_ms: int) -> bool:
        inflight = self.inflight.get(tenant, 0)
        if inflight >= NOISY_MIN_INFLIGHT and inflight > NOISY_SHARE * self.total_inflight:
            return True
        spent = self._processing.get(tenant)
        if spent is None:
            return False
        total, total_at = self._processing_total
        total = _decay(total, now_ms - total_at)
        mine = _decay(spent[0], now_ms - spent[1])
        return len(self._processing) > 1 and total > 0 and mine > NOISY_SHARE * total


def _decay(value: float, elapsed_ms: int) -> float:
    if elapsed_ms <= 0:
        return value
    return value * math.pow(0.5, elapsed_ms / PROCESSING_HALF_LIFE_MS)
