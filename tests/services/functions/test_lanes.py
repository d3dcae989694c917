"""ParallelizationFactor's lanes: a key keeps its lane, and the checkpoint is the finished prefix."""

from __future__ import annotations

from headwater.services.functions.mappings.lanes import Round, lane_of
from headwater.services.ports import StreamRecord


def record(n: int, key: str) -> StreamRecord:
    return StreamRecord(f"{n:05d}", key, b"", 0.0)


def test_a_key_keeps_its_lane_and_keys_spread() -> None:
    assert all(lane_of(f"k{i}", 1) == 0 for i in range(20))
    lanes = {lane_of(f"k{i}", 4) for i in range(200)}
    assert lanes == {0, 1, 2, 3}
    assert lane_of("same", 7) == lane_of("same", 7)


def test_checkpoint_moves_only_past_what_every_lane_finished() -> None:
    keys = [f"k{i}" for i in range(40)]
    a = next(k for k in keys if lane_of(k, 2) == 0)
    b = next(k for k in keys if lane_of(k, 2) == 1)
    records = [record(0, a), record(1, b), record(2, a), record(3, b), record(4, a)]
    round_ = Round(records, 2)
    assert round_.lane_records() == {0: [records[0], records[2], records[4]], 1: [records[1], records[3]]}
    assert round_.finish(1, records[3]) is None  # lane 1 is done, but record 0 (lane 0) is not
    assert round_.finish(0, records[0]) == records[1]  # 0 and 1 are; 2 (lane 0) is not
    assert round_.finish(0, records[4]) == records[4]  # lane 0's 2 and 4 finish: all of it
    assert round_.prefix == 5
