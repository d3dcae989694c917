"""Which messages were sent and which came back, for the SQS drains: loss, duplicates, FIFO group order.

Builds on the shared ledger (a state byte per sent message, an occurrence counter per message read back)
and adds what a queue drain needs: a running count of distinct acknowledged messages received, so the
consumers know when they are done without waiting for empty answers, and a per-group order check for FIFO
queues, where a message's group is its sequence number modulo the number of groups (see sqs/wire.py).
"""

from __future__ import annotations

from bench.common.ledger import Ledger, OrderCheck, Verdict


class Unordered(OrderCheck):
    """Standard queues promise no order: nothing to check."""

    def see(self, producer: int, seq: int) -> None:
        return None


class GroupOrder(OrderCheck):
    """FIFO: within a group, each producer's messages must arrive in ascending sequence order.

    A message older than one already received from the same producer and group is a violation; the same
    message again is a duplicate (counted by the ledger), not a violation.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups
        self.last_in_group: dict[tuple[int, int], int] = {}

    def see(self, producer: int, seq: int) -> None:
        key = (seq % self.groups, producer)
        last = self.last_in_group.get(key, -1)
        if seq < last:
            self.violations += 1
        else:
            self.last_in_group[key] = seq


class QueueLedger(Ledger):
    """Thread-safe across consumers: `receive` takes the ledger's lock."""

    def __init__(self, producers: int, order: OrderCheck | None = None) -> None:
        super().__init__(producers)
        self.order = order or Unordered()
        self.distinct_acked = 0  # acknowledged messages received at least once
        self.expected = 0  # acknowledged messages: set by the phase before draining

    def seal(self) -> int:
        """Sending is over: fix the number of acknowledged messages the drain must find."""
        self.expected = self.acked()
        return self.expected

    def receive(self, ids: bytes) -> int:
        """Count one answer's messages (id headers, in answer order); returns how many were new."""
        with self._lock:
            new = self._count(ids, self.order)
            self.distinct_acked += new
        return new

    def complete(self) -> bool:
        return self.distinct_acked >= self.expected

    def final(self) -> Verdict:
        self.order_violations = self.order.violations
        return self.verdict()
