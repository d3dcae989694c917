"""The delivery worker's two ways into a buffer cut objects at the same records: `_add` (one item per
record, after processing) and `_add_entry` (a raw entry's records as runs of bytes, no processing)."""

from __future__ import annotations

import random

import pytest

from headwater.services.firehose import batches
from headwater.services.firehose.delivery import Buffer, DeliveryWorker
from headwater.services.firehose.s3_settings import Hints


def _worker(limit: int) -> DeliveryWorker:
    worker = DeliveryWorker.__new__(DeliveryWorker)  # only the buffering state is used
    worker.hints = worker.backup_hints = Hints(limit, 60.0)
    worker.buffers, worker.full = {}, []
    return worker


def _objects(worker: DeliveryWorker) -> list[tuple[bytes, int]]:
    buffers: list[Buffer] = [b for _, b in worker.full] + list(worker.buffers.values())
    return [(b"".join(b.datas), b.records) for b in buffers]


@pytest.mark.parametrize("seed", range(40))
def test_runs_cut_where_records_cut(seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.choice([1, 7, 100, 1000, 4096])
    by_record, by_run = _worker(limit), _worker(limit)
    for n in range(rng.randint(1, 12)):
        datas = [rng.randbytes(rng.choice([0, 1, 3, 50, 300, 2000])) for _ in range(rng.randint(1, 30))]
        by_record._add("", n, 0.0, {}, datas, 1000 + n)
        by_run._add_entry("", n, 0.0, batches.encode(datas), 1000 + n)
    assert _objects(by_run) == _objects(by_record)
    assert [b.size for _, b in by_run.full] == [b.size for _, b in by_record.full]
    assert all(size >= limit for size in (b.size for _, b in by_run.full))
    assert [b.first_offset for _, b in by_run.full] == [b.first_offset for _, b in by_record.full]
