"""kill -9 a process that writes blobs (rows and files), reopen its data: every acknowledged blob is
intact byte for byte, no partial blob is visible, and the temp area is empty."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from headwater.engine.embedded import EmbeddedEngine
from tests.engine.embedded import crash

# Every blob starts with "<task> <seq> <size>\n", so that any blob found after the crash can be
# checked whole, acknowledged or not. Four tasks commit blobs of mixed sizes (rows and files) and
# print "<id> <task> <seq> <size>" once each commit returns; a fifth writes 3 MiB of a blob and
# stalls (an upload cut off by the crash), after printing "STALLED".
CHILD = """
import asyncio, hashlib, sys
from pathlib import Path
from headwater.engine.embedded import EmbeddedEngine

SIZES = [1000, 50_000, 131_072, 300_000, 2_500_000]

def content(t, i, size):
    head = f"{t} {i} {size}\\n".encode()
    return (head + f"<{t}:{i}>".encode() * (size // 5))[:size]

async def write(store, data, hint):
    writer = store.create(hashlib.md5().update, hint)
    for pos in range(0, len(data), 65536):
        await writer.write(data[pos : pos + 65536])
    return writer

async def produce(store, t):
    i = 0
    while True:
        size = SIZES[(t + i) % len(SIZES)]
        writer = await write(store, content(t, i, size), size if i % 2 else None)
        blob_id = await writer.commit()
        print(blob_id, t, i, size, flush=True)
        i += 1

async def stall(store):
    writer = await write(store, content(99, 0, 4 << 20)[: 3 << 20], None)
    print("STALLED", flush=True)
    await asyncio.Event().wait()
    await writer.abort()  # never reached; keeps the writer (whose finalizer would discard it) alive

async def main():
    engine = EmbeddedEngine(Path(sys.argv[1]), sys.argv[2])
    await engine.start()
    await asyncio.gather(stall(engine.blobs), *(produce(engine.blobs, t) for t in range(4)))

asyncio.run(main())
"""

ACKS_BEFORE_KILL = 150


def content(t: int, i: int, size: int) -> bytes:
    head = f"{t} {i} {size}\n".encode()
    return (head + f"<{t}:{i}>".encode() * (size // 5))[:size]


def run_and_kill(data_dir: Path, durability: str) -> list[tuple[str, int, int, int]]:
    text = crash.run_and_kill(
        CHILD,
        data_dir,
        durability,
        lambda text: text.count("\n") >= ACKS_BEFORE_KILL + 1 and "STALLED" in text,
    )
    lines = [line for line in text.split("\n")[:-1] if line != "STALLED"]  # the last may be cut short
    acks = [(blob_id, int(t), int(i), int(size)) for blob_id, t, i, size in (line.split() for line in lines)]
    assert len(acks) >= ACKS_BEFORE_KILL and "STALLED" in text
    return acks


async def read_all(engine: EmbeddedEngine, blob_id: str) -> bytes:
    return b"".join([chunk async for chunk in engine.blobs.read(blob_id)])


@pytest.mark.parametrize("durability", ["durable", "fast"])
def test_acknowledged_blobs_survive_kill_9(tmp_path: Path, durability: str) -> None:
    data_dir = tmp_path / "data"
    acks = run_and_kill(data_dir, durability)
    tmp = data_dir / "blobs" / "tmp"
    assert os.listdir(tmp), "the stalled upload left its temp file behind"
    assert {blob_id[0] for blob_id, *_ in acks} == {"r", "f"}  # both kinds were written

    async def check() -> None:
        engine = EmbeddedEngine(data_dir, durability)  # type: ignore[arg-type]
        await engine.start()
        assert os.listdir(tmp) == []
        for blob_id, t, i, size in acks:
            assert engine.blobs.size(blob_id) == size, blob_id
            assert await read_all(engine, blob_id) == content(t, i, size), blob_id
        stored = set(engine.blobs.ids())
        acked = {blob_id for blob_id, *_ in acks}
        assert acked <= stored
        assert len(stored - acked) <= 4  # commits in flight at the kill (one per task at most)
        for blob_id in stored - acked:  # whole, whatever it is
            data = await read_all(engine, blob_id)
            t, i, size = map(int, data.split(b"\n", 1)[0].split())
            assert t != 99 and data == content(t, i, size), blob_id
        writer = engine.blobs.create()
        await writer.write(b"after the crash")
        blob_id = await writer.commit()
        assert blob_id not in stored and await read_all(engine, blob_id) == b"after the crash"
        await engine.close()

    asyncio.run(check())
