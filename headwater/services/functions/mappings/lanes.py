"""ParallelizationFactor: a shard's records split into lanes by partition key, and the shard's
checkpoint held at the end of the records every lane has finished.

Theory of operation. Lambda runs up to ParallelizationFactor batches of one shard at once and keeps
the records of a partition key in order by hashing the key to one of them; so does `lane_of` (MD5,
so a key keeps its lane across restarts). A poller reads a round of records in shard order, deals
them to their lanes, and each lane delivers its records in order, concurrently with the others.
A lane reports each record it has finished (delivered, filtered out, or given up on); `Round`
marks every record of that lane up to it, and the shard's checkpoint may only move to the last
record of the finished prefix of the round: a record after an unfinished one of another lane is
delivered again after kill -9, never skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from headwater.services.ports import StreamRecord


def lane_of(partition_key: str, lanes: int) -> int:
    if lanes <= 1:
        return 0
    digest = hashlib.md5(partition_key.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") % lanes


class Round:
    """One round of a shard's records, in shard order, dealt to lanes."""

    def __init__(self, records: Sequence[StreamRecord], lanes: int) -> None:
        self.records = list(records)
        self.index = {r.sequence_number: i for i, r in enumerate(self.records)}
        self.lanes: dict[int, list[int]] = {}
        for i, record in enumerate(self.records):
            self.lanes.setdefault(lane_of(record.partition_key, lanes), []).append(i)
        self._next = dict.fromkeys(self.lanes, 0)  # per lane: how many of its records are finished
        self._done = [False] * len(self.records)
        self.prefix = 0  # records[:prefix] are all finished

    def lane_records(self) -> dict[int, list[StreamRecord]]:
        return {lane: [self.records[i] for i in indexes] for lane, indexes in self.lanes.items()}

    def finish(self, lane: int, last: StreamRecord) -> StreamRecord | None:
        """Marks the lane's records up to `last` finished; the new end of the finished prefix, if
        it moved."""
        indexes, position = self.lanes[lane], self._next[lane]
        target = self.index[last.sequence_number]
        while position < len(indexes) and indexes[position] <= target:
            self._done[indexes[position]] = True
            position += 1
        self._next[lane] = position
        before = self.prefix
        while self.prefix < len(self._done) and self._done[self.prefix]:
            self.prefix += 1
        return self.records[self.prefix - 1] if self.prefix > before else None
