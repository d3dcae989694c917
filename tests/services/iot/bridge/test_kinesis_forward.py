"""Edge Kinesis forwarding without servers: chunking and the in-order resend of a partial failure."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from headwater.config import EdgeConfig, EdgeStream
from headwater.engine.memory import MemoryMetaStore
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.base import Ports
from headwater.services.iot.bridge import kinesis_forward
from headwater.services.iot.bridge.kinesis_forward import (
    CHECKPOINTS,
    KinesisForward,
    ShardState,
    StreamState,
    _chunks,
)
from headwater.services.iot.bridge.kinesis_upstream import UpstreamError
from headwater.services.ports import StreamRecord


def record(i: int, size: int = 1) -> StreamRecord:
    return StreamRecord(f"{i:056d}", f"k{i % 2}", b"x" * size, 0.0)


class FakeUpstream:
    """Fails the whole first call, then the records at `fail` once each (as a throttled shard)."""

    endpoint = "http://fake"

    def __init__(self, fail: set[int]) -> None:
        self.fail = set(fail)
        self.calls = 0
        self.stored: list[str] = []

    async def put_records(self, stream: str, records: Sequence[StreamRecord]) -> list[str | None]:
        self.calls += 1
        if self.calls == 1:
            raise UpstreamError("connection refused")
        results: list[str | None] = []
        for r in records:
            if int(r.sequence_number) in self.fail:
                self.fail.discard(int(r.sequence_number))
                results.append("ProvisionedThroughputExceededException")
            else:
                self.stored.append(r.sequence_number)
                results.append(None)
        return results


def test_chunks_keep_putrecords_limits_and_order() -> None:
    many = [record(i) for i in range(1200)]
    assert [len(c) for c in _chunks(many)] == [500, 500, 200]
    big = [record(i, 2 * 1024 * 1024) for i in range(5)]
    assert [len(c) for c in _chunks(big)] == [2, 2, 1]
    assert [r for c in _chunks(many) for r in c] == many


def test_a_partial_failure_resends_from_the_first_failed_record_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kinesis_forward, "BACKOFF_FIRST", 0.0)  # no waits in the test
    meta = MemoryMetaStore()
    config = EdgeConfig(upstream="mqtt://up", kinesis=(EdgeStream("s", "s"),), backoff_max=0.001)
    forward = KinesisForward(config, meta, Ports(), SystemClock(), Metrics(), "000000000000", "us-east-1")
    upstream = FakeUpstream(fail={3, 5})
    forward.upstream = upstream  # type: ignore[assignment]
    state = StreamState(EdgeStream("s", "s"), "arn")
    shard = state.shards["shard-0"] = ShardState(None)
    records = [record(i) for i in range(8)]
    asyncio.run(forward._forward(state, shard, "shard-0", records))
    # the first call refused whole; then 3 and 5 failed: resent from 3 on (4, 6 and 7 again)
    assert [int(s) for s in upstream.stored] == [0, 1, 2, 4, 6, 7, 3, 4, 5, 6, 7]
    assert (state.forwarded, state.retries, state.throttled_records) == (8, 2, 2)
    assert meta.get(CHECKPOINTS, "s/shard-0") == records[-1].sequence_number.encode()
    assert shard.checkpoint == records[-1].sequence_number and state.last_error is None
