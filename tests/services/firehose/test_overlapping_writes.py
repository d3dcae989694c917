"""The delivery worker writes up to WRITES_IN_FLIGHT objects at once, and its durable checkpoint
never passes a record whose object is not fully written, whatever order the writes finish in."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from headwater.services.firehose import delivery
from headwater.services.firehose.delivery import Buffer, DeliveryWorker
from headwater.services.firehose.processing.partitioning import ActivePartitions
from headwater.services.firehose.s3_settings import Hints


class SlowWriter:
    """Each object's write waits until the test releases it (objects named by oldest_ms)."""

    def __init__(self) -> None:
        self.gates: dict[int, asyncio.Event] = {}
        self.started: list[int] = []
        self.done: list[int] = []

    async def write_records(self, target: Any, datas: Any, oldest: int, keys: Any, records: Any) -> bool:
        self.started.append(oldest)
        gate = self.gates.setdefault(oldest, asyncio.Event())
        await gate.wait()
        self.done.append(oldest)
        return True

    def release(self, oldest: int) -> None:
        self.gates.setdefault(oldest, asyncio.Event()).set()


class Meta:
    def __init__(self) -> None:
        self.saved: list[int] = []

    async def put(self, namespace: str, key: str, value: bytes) -> None:
        self.saved.append(int(value))


def _worker(meta: Meta) -> DeliveryWorker:
    worker = DeliveryWorker.__new__(DeliveryWorker)  # the flush and checkpoint state only
    log = SimpleNamespace(read=lambda *a: [], trim=None)
    worker.env = SimpleNamespace(clock=SimpleNamespace(now=lambda: 0.0), meta=meta, log=log)  # type: ignore[assignment]
    worker.stream = SimpleNamespace(account="a", region="r", name="s", arn="arn", version_id=1)  # type: ignore[assignment]
    worker.partition, worker.config, worker.conversion = "p", {}, None
    worker.hints = worker.backup_hints = Hints(1 << 30, 3600.0)
    worker.backup, worker.remote = None, None
    worker.buffers, worker.full, worker.writing = {}, [], {}
    worker.active, worker._wake = ActivePartitions(), asyncio.Event()
    worker.pending, worker.offset, worker.checkpoint = [], 50, 0
    return worker


def _full(worker: DeliveryWorker, *firsts: int) -> None:
    worker.full += [("", Buffer(first, 0.0, {}, first, [b"x"], 1, 1)) for first in firsts]


async def _settle(worker: DeliveryWorker) -> None:
    for _ in range(5):
        await asyncio.sleep(0)
    if worker._reap():
        await worker._save_checkpoint()


def test_checkpoint_waits_for_the_oldest_object() -> None:
    async def scenario() -> None:
        meta, writer = Meta(), SlowWriter()
        worker = _worker(meta)
        _full(worker, 10, 20, 30)
        await worker._flush_due(writer, forced=False)  # type: ignore[arg-type]
        await _settle(worker)
        assert sorted(writer.started) == [10, 20, 30]  # all three under way at once
        assert meta.saved == [10]  # held by the first object's records
        writer.release(30)
        writer.release(20)
        await _settle(worker)
        assert sorted(writer.done) == [20, 30]
        assert worker.checkpoint == 10  # 20 and 30 are written, 10 is not: the checkpoint stays
        writer.release(10)
        await _settle(worker)
        assert worker.checkpoint == 50 and meta.saved == [10, 50]

    asyncio.run(scenario())


def test_a_fourth_object_waits_for_a_write_to_finish() -> None:
    async def scenario() -> None:
        meta, writer = Meta(), SlowWriter()
        worker = _worker(meta)
        _full(worker, *range(10, 10 + 10 * (delivery.WRITES_IN_FLIGHT + 1), 10))
        flushing = asyncio.ensure_future(worker._flush_due(writer, forced=False))  # type: ignore[arg-type]
        await _settle(worker)
        assert len(writer.started) == delivery.WRITES_IN_FLIGHT and not flushing.done()
        writer.release(20)
        await _settle(worker)
        assert len(writer.started) == delivery.WRITES_IN_FLIGHT + 1
        await flushing
        assert worker.checkpoint == 10
        for first in writer.started:
            writer.release(first)
        await _settle(worker)
        assert worker.checkpoint == 50

    asyncio.run(scenario())
