"""What was sent and what came back, per id, to prove nothing was lost, duplicated or reordered.

Each producer numbers its records (or messages) 0, 1, 2... and waits for each answer before sending the
next batch, so on any Kinesis shard a producer's records must come back in strictly ascending order. The
ledger keeps one byte of state per sent id (a bytearray per producer, owned by that producer's thread while
sending) and one occurrence counter per id while reading back. Acknowledged ids must be read exactly once;
rejected ones (failed entries, 4xx answers) never; ones whose request died in transit (5xx, broken
connection) at most once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bench.common.wire import HEADER_SIZE

UNSENT, ACKED, REJECTED, UNCERTAIN = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Verdict:
    acked: int
    drained: int
    lost: int
    duplicated: int
    unexpected: int  # read back although never sent or rejected
    uncertain_present: int  # from failed requests, read back once (allowed)
    order_violations: int

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.order_violations)

    def summary(self) -> str:
        if self.ok:
            return f"ok ({self.drained} records, each once, in order)"
        return (
            f"FAILED: lost {self.lost}, duplicated {self.duplicated}, unexpected {self.unexpected}, "
            f"out of order {self.order_violations}"
        )


class Ledger:
    def __init__(self, producers: int) -> None:
        self.states = [bytearray() for _ in range(producers)]
        self.seen = [bytearray() for _ in range(producers)]
        self.order_violations = 0
        self.foreign = 0  # ids from producers this ledger does not know
        self._lock = threading.Lock()  # drain threads share the counters (a duplicate may span shards)

    def mark(self, producer: int, first_seq: int, count: int, state: int) -> None:
        states = self.states[producer]
        end = first_seq + count
        if len(states) < end:
            states.extend(bytes(end - len(states)))
        states[first_seq:end] = bytes([state]) * count

    def set_state(self, producer: int, seq: int, state: int) -> None:
        self.states[producer][seq] = state

    def acked(self) -> int:
        return sum(s.count(ACKED) for s in self.states)

    def observe(self, headers: bytes, order: OrderCheck) -> None:
        """Count the read-back occurrences of one batch of id headers, from one shard, in shard order."""
        with self._lock:
            self._count(headers, order)

    def _count(self, ids: bytes, order: OrderCheck) -> int:
        """Count one batch's occurrences (the caller holds the lock); returns how many acknowledged ids
        it brings for the first time."""
        new = 0
        for off in range(0, len(ids), HEADER_SIZE):
            producer, seq = int(ids[off : off + 4]), int(ids[off + 4 : off + 16])
            order.see(producer, seq)
            if producer >= len(self.seen):
                self.foreign += 1
                continue
            seen = self.seen[producer]
            if len(seen) <= seq:
                seen.extend(bytes(seq + 1 - len(seen) + 65536))
            if seen[seq] == 0:
                states = self.states[producer]
                new += seq < len(states) and states[seq] == ACKED
            if seen[seq] < 255:
                seen[seq] += 1
        return new

    def verdict(self) -> Verdict:
        acked = lost = duplicated = unexpected = uncertain_present = drained = 0
        for states, seen in zip(self.states, self.seen, strict=True):
            if len(seen) < len(states):
                seen.extend(bytes(len(states) - len(seen)))
            acked += states.count(ACKED)
            for seq, n in enumerate(seen):
                state = states[seq] if seq < len(states) else UNSENT
                if state == ACKED and n == 0:
                    lost += 1
                if n == 0:
                    continue
                drained += n
                if n > 1:
                    duplicated += n - 1
                if state in (UNSENT, REJECTED):
                    unexpected += 1
                elif state == UNCERTAIN:
                    uncertain_present += 1
        return Verdict(
            acked=acked,
            drained=drained + self.foreign,
            lost=lost,
            duplicated=duplicated,
            unexpected=unexpected + self.foreign,
            uncertain_present=uncertain_present,
            order_violations=self.order_violations,
        )


class OrderCheck:
    """Per shard: each producer's sequence numbers must strictly ascend."""

    def __init__(self) -> None:
        self.last: dict[int, int] = {}
        self.violations = 0

    def see(self, producer: int, seq: int) -> None:
        if seq <= self.last.get(producer, -1):
            self.violations += 1
        self.last[producer] = seq
