"""Embedded engine benchmark: append throughput and ack latency, reads, WAL size, RSS.

    python -m bench.engine.append [durable|fast] [--seconds 5] [--rate 30000] [--drop 400000]

8 clients each append 500 x 1 KiB entries per call, spread over 4 partitions (a PutRecords of 500
records on a 4-shard stream), awaiting the acknowledgement before the next call. --rate paces the
clients to a total entries/s; --drop first fills and drops a partition, so the run measures
appends while it is deleted in the background.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench.engine.shared import parser, pct
from headwater.engine.api import Entry
from headwater.engine.embedded import EmbeddedEngine

CLIENTS, BATCH, SHARDS = 8, 500, 4
PAYLOAD = os.urandom(1024)


async def client(engine: EmbeddedEngine, k: int, stop_at: float, rate: float, acks: list[float]) -> int:
    sent = 0
    next_at = time.perf_counter() + (k * BATCH / rate if rate else 0)
    while time.perf_counter() < stop_at:
        if rate:
            next_at += BATCH * CLIENTS / rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        now = int(time.time() * 1000)
        start = time.perf_counter()
        waits = [
            engine.log.append(f"s{s}", [Entry(now, PAYLOAD)] * (BATCH // SHARDS))[1] for s in range(SHARDS)
        ]
        await asyncio.gather(*waits)
        acks.append(time.perf_counter() - start)
        sent += BATCH
    return sent


async def main(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="hw-bench-"))
    engine = EmbeddedEngine(data, args.mode)
    await engine.start()
    wal = engine.path.with_name(engine.path.name + "-wal")
    for s in range(SHARDS):
        await engine.log.create_partition(f"s{s}")

    single = []
    for _ in range(500):
        start = time.perf_counter()
        await engine.log.append("s0", [Entry(int(time.time() * 1000), PAYLOAD)])[1]
        single.append(time.perf_counter() - start)
    print(
        f"[{args.mode}] one entry at a time: ack p50 {pct(single, 0.5):.2f} ms, p99 {pct(single, 0.99):.2f} ms"
    )

    if args.drop:
        await engine.log.create_partition("big")
        for _ in range(0, args.drop, 5000):
            await engine.log.append("big", [Entry(0, PAYLOAD)] * 5000)[1]
        await engine.log.drop_partition("big")
        print(f"dropped a partition of {args.drop:,} entries: appending while it is deleted")

    acks: list[float] = []
    wal_max = 0

    async def watch_wal() -> None:
        nonlocal wal_max
        while True:
            wal_max = max(wal_max, wal.stat().st_size if wal.exists() else 0)
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch_wal())
    start = time.perf_counter()
    stop_at = start + args.seconds
    sent = sum(await asyncio.gather(*(client(engine, k, stop_at, args.rate, acks) for k in range(CLIENTS))))
    elapsed = time.perf_counter() - start
    watcher.cancel()
    print(
        f"[{args.mode}] {CLIENTS} clients x {BATCH} x 1 KiB: {sent / elapsed:,.0f} entries/s; "
        f"call ack p50 {pct(acks, 0.5):.1f} ms, p99 {pct(acks, 0.99):.1f} ms, max {pct(acks, 1):.1f} ms; "
        f"WAL max {wal_max / 2**20:.0f} MiB"
    )

    tip = engine.log.committed_offset("s1")
    for label, offset in (("tail cache", tip - 10_000), ("sqlite", 0)):
        start = time.perf_counter()
        got = engine.log.read("s1", offset, 10_000, 64 << 20)
        print(f"read {len(got):,} x 1 KiB from the {label}: {(time.perf_counter() - start) * 1e3:.1f} ms")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    await engine.close()
    shutil.rmtree(data)


if __name__ == "__main__":
    cli = parser("bench.engine.append", __doc__)
    cli.add_argument("--rate", type=float, default=0.0, help="total entries/s (0: as fast as possible)")
    cli.add_argument("--drop", type=int, default=0, help="fill and drop a partition of N entries first")
    asyncio.run(main(cli.parse_args()))
