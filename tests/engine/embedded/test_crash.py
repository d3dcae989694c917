"""kill -9 a process that appends, reopen its data: every acknowledged entry is there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from headwater.engine.api import Entry
from headwater.engine.embedded import EmbeddedEngine
from tests.engine.embedded import crash

# Four concurrent producers; each prints "<first offset> <count> <tag>" once an append is acknowledged.
CHILD = """
import asyncio, sys
from pathlib import Path
from headwater.engine.api import Entry
from headwater.engine.embedded import EmbeddedEngine

async def produce(engine, task):
    seq = 0
    while True:
        tag = f"{task}-{seq}"
        n = 1 + seq % 7
        first, done = engine.log.append("p", [Entry(seq, f"{tag}:{i}".encode() * 20) for i in range(n)])
        await done
        print(first, n, tag, flush=True)
        seq += 1

async def main():
    engine = EmbeddedEngine(Path(sys.argv[1]), sys.argv[2])
    await engine.start()
    if "p" not in engine.log.partitions():
        await engine.log.create_partition("p")
    await asyncio.gather(*(produce(engine, task) for task in range(4)))

asyncio.run(main())
"""

ACKS_BEFORE_KILL = 300


def run_and_kill(data_dir: Path, durability: str) -> list[tuple[int, int, str]]:
    text = crash.run_and_kill(CHILD, data_dir, durability, lambda text: text.count("\n") >= ACKS_BEFORE_KILL)
    # The kill may cut the last line short: only whole lines are acknowledgements.
    lines = text.split("\n")[:-1]
    acks = [(int(first), int(n), tag) for first, n, tag in (line.split() for line in lines)]
    assert len(acks) >= ACKS_BEFORE_KILL
    return acks


@pytest.mark.parametrize("durability", ["durable", "fast"])
def test_acknowledged_appends_survive_kill_9(tmp_path: Path, durability: str) -> None:
    data_dir = tmp_path / "data"
    acks = run_and_kill(data_dir, durability)

    async def check() -> None:
        engine = EmbeddedEngine(data_dir, durability)  # type: ignore[arg-type]
        await engine.start()
        log = engine.log
        stored = log.read("p", 0, 1_000_000, 1 << 30)
        assert [e.offset for e in stored] == list(range(len(stored)))  # a prefix, no holes
        assert log.next_offset("p") == log.committed_offset("p") == len(stored)
        for first, n, tag in acks:
            got = [e.payload for e in log.read("p", first, n, 1 << 20)]
            assert got == [f"{tag}:{i}".encode() * 20 for i in range(n)], (first, n, tag)
        first, done = log.append("p", [Entry(0, b"after the crash")])
        await done
        assert first == len(stored)  # numbering goes on after the highest stored offset
        await engine.close()

    asyncio.run(check())
