"""Tumbling windows: aligned boundaries, runs cut where the window changes, the state returned."""

from __future__ import annotations

import json

from headwater.services.functions.mappings import windows
from headwater.services.ports import StreamRecord


def test_windows_are_aligned_and_runs_cut_at_their_edges() -> None:
    assert windows.start_of(1_000_000_199.9, 300) == 999_999_900.0
    assert windows.start_of(1_000_000_200.0, 300) == 1_000_000_200.0
    records = [StreamRecord(str(i), "k", b"", at) for i, at in enumerate((0.5, 59.9, 60.0, 61.0, 130.0))]
    assert [(start, [r.sequence_number for r in run]) for start, run in windows.runs(records, 60)] == [
        (0.0, ["0", "1"]),
        (60.0, ["2", "3"]),
        (120.0, ["4"]),
    ]


def test_the_event_members_and_the_state_returned() -> None:
    extra = windows.extra(
        start=1_596_128_400.0,
        length=300,
        state={"n": 1},
        shard_id="s",
        source_arn="a",
        final=True,
        early=False,
    )
    assert extra["window"] == {"start": "2020-07-30T17:00:00Z", "end": "2020-07-30T17:05:00Z"}
    assert list(extra) == [
        "window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow", "isWindowTerminatedEarly",
    ]  # fmt: skip
    previous = {"n": 1}
    assert windows.state_of(json.dumps({"state": {"n": 2}}).encode(), previous) == {"n": 2}
    for answer in (b"", b"not json", b"[]", b'{"state": 3}', b"{}"):
        assert windows.state_of(answer, previous) is previous
    assert windows.too_big({"x": "y" * (1024 * 1024)}) and not windows.too_big({"x": "y"})
