"""kill -9 a process that adds, updates and removes queue messages, reopen its data: every
acknowledged add is there (unless its removal was acknowledged or still in flight), every
acknowledged state update holds, and no acknowledged remove has come back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from headwater.engine.embedded import EmbeddedEngine
from tests.engine.embedded import crash

# Four concurrent producers. Producer t's batch i holds 1 + i % 10 messages, seqs t * 10^6 + i * 10 + j.
# Each step adds batch i, then marks batch i - 1 received, then removes batch i - 2, one write at a
# time, and prints "<A|S|R> <t> <batch>" once each is acknowledged.
CHILD = """
import asyncio, sys
from pathlib import Path
from headwater.engine.embedded import EmbeddedEngine

def seqs(t, i):
    return [t * 1_000_000 + i * 10 + j for j in range(1 + i % 10)]

async def produce(store, t):
    i = 0
    while True:
        await store.add("q", [(s, f"record-{s}".encode() * 30, b"new") for s in seqs(t, i)])
        print("A", t, i, flush=True)
        if i >= 1:
            await store.set_state("q", [(s, b"received") for s in seqs(t, i - 1)])
            print("S", t, i - 1, flush=True)
        if i >= 2:
            await store.remove("q", seqs(t, i - 2))
            print("R", t, i - 2, flush=True)
        i += 1

async def main():
    engine = EmbeddedEngine(Path(sys.argv[1]), sys.argv[2])
    await engine.start()
    if "q" not in engine.queues.queues():
        await engine.queues.create("q")
    await asyncio.gather(*(produce(engine.queues, t) for t in range(4)))

asyncio.run(main())
"""

ACKS_BEFORE_KILL = 900


def batch(t: int, i: int) -> list[int]:
    return [t * 1_000_000 + i * 10 + j for j in range(1 + i % 10)]


def run_and_kill(data_dir: Path, durability: str) -> list[tuple[str, int, int]]:
    text = crash.run_and_kill(CHILD, data_dir, durability, lambda text: text.count("\n") >= ACKS_BEFORE_KILL)
    lines = text.split("\n")[:-1]  # the kill may cut the last line short
    acks = [(kind, int(t), int(i)) for kind, t, i in (line.split() for line in lines)]
    assert len(acks) >= ACKS_BEFORE_KILL
    return acks


@pytest.mark.parametrize("durability", ["durable", "fast"])
def test_acknowledged_queue_writes_survive_kill_9(tmp_path: Path, durability: str) -> None:
    data_dir = tmp_path / "data"
    acks = run_and_kill(data_dir, durability)
    added = {(t, i) for kind, t, i in acks if kind == "A"}
    received = {(t, i) for kind, t, i in acks if kind == "S"}
    removed = {(t, i) for kind, t, i in acks if kind == "R"}

    async def check() -> None:
        engine = EmbeddedEngine(data_dir, durability)  # type: ignore[arg-type]
        await engine.start()
        stored = {m.seq: (m.record, m.state) for m in engine.queues.load("q")}
        by_batch: dict[tuple[int, int], int] = {}
        for seq in stored:
            t, rest = divmod(seq, 1_000_000)
            by_batch[t, rest // 10] = by_batch.get((t, rest // 10), 0) + 1
        for t in range(4):
            last_add = max(i for tt, i in added if tt == t)
            last_remove = max((i for tt, i in removed if tt == t), default=-1)
            for i in range(last_add + 2):  # up to the add that may have been in flight
                present = by_batch.get((t, i), 0)
                assert present in (0, len(batch(t, i))), ("a batch is all or nothing", t, i)
                if (t, i) in removed:
                    assert not present, ("an acknowledged remove came back", t, i)
                elif (t, i) in added and i != last_remove + 1:  # that one's removal may be in flight
                    assert present, ("an acknowledged add is missing", t, i)
                elif i == last_add + 1:
                    continue  # its add may or may not have committed
                if present:
                    for seq in batch(t, i):
                        record, state = stored[seq]
                        assert record == f"record-{seq}".encode() * 30
                        assert state == b"received" or ((t, i) not in received and state == b"new")
        assert sum(by_batch.values()) == len(stored)
        assert all(i <= max(ii for tt, ii in added if tt == t) + 1 for t, i in by_batch)  # nothing unissued
        await engine.queues.add("q", [(999, b"after the crash", b"")])
        assert await engine.queues.records("q", [999]) == [b"after the crash"]
        await engine.close()

    asyncio.run(check())
