"""Embedded queue store benchmark: message throughput and ack latency, background drop/clear, load.

    python -m bench.engine.queue [durable|fast] [--seconds 5] [--big 1000000]

8 clients each add batches of 10 x 1 KiB messages (a SendMessageBatch), awaiting each
acknowledgement before the next call (phase "add"); then they drain what was added, each batch a
set_state (a receive) and then a remove (a delete), awaited in turn ("receive+delete"); then 4 add
while 4 drain ("mixed"). CPU is the whole process's (all threads) and the loop thread's own, per
message; ack latencies are per call (a drain step is two calls). With --big N, a queue of N messages is filled, loaded back as at start-up, then cleared,
then filled and dropped, while 8 clients go on adding: the ack latencies show whether the
background delete stalls them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.engine.shared import parser, pct
from headwater.engine.embedded import EmbeddedEngine
from headwater.engine.embedded.schema import key

CLIENTS, BATCH = 8, 10
RECORD = os.urandom(1024)
STATE = b"visible-at:1700000000000;receives:0"
RECEIVED = b"visible-at:1700000030000;receives:1"


class Phase:
    """Counts messages and ack latencies; reports rate and CPU per message."""

    def __init__(self, name: str) -> None:
        self.name, self.count, self.acks = name, 0, []  # type: ignore[var-annotated]
        self.start, self.cpu, self.loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()

    def acked(self, since: float, messages: int) -> None:
        self.acks.append(time.perf_counter() - since)
        self.count += messages

    def report(self, extra: str = "", others: tuple[Phase, ...] = ()) -> None:
        """`others`: phases that ran at the same time, whose messages share the CPU."""
        elapsed = time.perf_counter() - self.start
        n = max(1, self.count + sum(p.count for p in others))
        cpu = (time.process_time() - self.cpu) / n * 1e6
        loop = (time.thread_time() - self.loop_cpu) / n * 1e6
        print(
            f"  {self.name:<28} {self.count / elapsed:>9,.0f} msg/s  ack p50 {pct(self.acks, 0.5):5.1f} ms  "
            f"p99 {pct(self.acks, 0.99):5.1f} ms  max {pct(self.acks, 1):6.1f} ms  "
            f"cpu {cpu:4.1f} us/msg (loop {loop:4.1f}){extra}"
        )


class Workload:
    def __init__(self, engine: EmbeddedEngine, queue: str) -> None:
        self.store = engine.queues
        self.queue = queue
        self.next_seq = 0
        self.head = 0  # next seq to receive

    async def adder(self, phase: Phase, stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            first, self.next_seq = self.next_seq, self.next_seq + BATCH
            start = time.perf_counter()
            await self.store.add(self.queue, [(seq, RECORD, STATE) for seq in range(first, first + BATCH)])
            phase.acked(start, BATCH)

    async def drainer(self, phase: Phase, stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            if self.head + BATCH > self.next_seq:
                await asyncio.sleep(0.001)  # caught up with the adders
                continue
            seqs = list(range(self.head, self.head + BATCH))
            self.head += BATCH
            start = time.perf_counter()
            await self.store.set_state(self.queue, [(seq, RECEIVED) for seq in seqs])
            phase.acked(start, 0)
            start = time.perf_counter()
            await self.store.remove(self.queue, seqs)
            phase.acked(start, BATCH)


async def fill(engine: EmbeddedEngine, queue: str, n: int) -> float:
    start = time.perf_counter()
    step, window = 5000, []
    for first in range(0, n, step):
        window.append(
            engine.queues.add(queue, [(s, RECORD, STATE) for s in range(first, min(n, first + step))])
        )
        if len(window) >= 4:
            await window.pop(0)
    await asyncio.gather(*window)
    return n / (time.perf_counter() - start)


def rows_left(engine: EmbeddedEngine, qid: int) -> bool:
    with sqlite3.connect(engine.path) as db:
        lo, hi = key(qid, 0), key(qid + 1, 0)
        return (
            db.execute("SELECT 1 FROM queue_records WHERE key >= ? AND key < ? LIMIT 1", (lo, hi)).fetchone()
            is not None
        )


async def while_adding(engine: EmbeddedEngine, name: str, start_work: Callable[[], Awaitable[None]]) -> None:
    """Starts the work (a drop or clear of "big"), keeps 8 clients adding until the old rows are
    gone, reports their rate and latency and how long the delete took; then how long giving the
    space back (vacuum, once the writer is idle) takes."""
    live = Workload(engine, "live")
    phase = Phase(f"add during {name}")
    qid = engine.queues._queues["big"].qid  # the id whose rows go
    stop = asyncio.Event()

    async def until_deleted() -> float:
        t0 = time.perf_counter()
        await start_work()
        acked = time.perf_counter() - t0
        while rows_left(engine, qid):
            await asyncio.sleep(0.05)
        stop.set()
        return acked

    async def adder() -> None:
        while not stop.is_set():
            await live.adder(phase, time.perf_counter() + 0.05)

    acked, *_ = await asyncio.gather(until_deleted(), *(adder() for _ in range(CLIENTS)))
    took = time.perf_counter() - phase.start
    phase.report(f"  ({name} acked in {acked * 1e3:.1f} ms, rows gone after {took:.1f} s)")
    t0 = time.perf_counter()
    await engine.settle()
    print(f"  then idle: space given back in {time.perf_counter() - t0:.1f} s")
    await engine.queues.clear("live")


async def main(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="hw-bench-queue-"))
    engine = EmbeddedEngine(data, args.mode)
    await engine.start()
    try:
        await engine.queues.create("q")
        print(f"[{args.mode}] {CLIENTS} clients, batches of {BATCH} x 1 KiB:")
        work = Workload(engine, "q")
        phase = Phase("add")
        stop_at = time.perf_counter() + args.seconds
        await asyncio.gather(*(work.adder(phase, stop_at) for _ in range(CLIENTS)))
        phase.report()

        phase = Phase("receive+delete")
        stop_at = time.perf_counter() + args.seconds
        await asyncio.gather(*(work.drainer(phase, stop_at) for _ in range(CLIENTS)))
        phase.report(f"  (acks: set_state and remove each; backlog left {work.next_seq - work.head:,})")

        added, drained = Phase("mixed: add"), Phase("mixed: receive+delete")
        stop_at = time.perf_counter() + args.seconds
        await asyncio.gather(
            *(work.adder(added, stop_at) for _ in range(CLIENTS // 2)),
            *(work.drainer(drained, stop_at) for _ in range(CLIENTS // 2)),
        )
        added.report("  (cpu: per message added or deleted)", (drained,))
        drained.report("  (same)", (added,))
        await engine.queues.drop("q")
        await engine.settle()

        if args.big:
            await engine.queues.create("live")
            await engine.queues.create("big")
            print(
                f"filling a queue of {args.big:,} x 1 KiB: {await fill(engine, 'big', args.big):,.0f} msg/s"
            )
            await engine.close()
            engine = EmbeddedEngine(data, args.mode)
            t0 = time.perf_counter()
            await engine.start()
            print(f"  restart: engine.start {(time.perf_counter() - t0) * 1e3:.0f} ms")
            for records in (False, True):
                t0 = time.perf_counter()
                n = sum(1 for _ in engine.queues.load("big", records=records))
                print(f"  load(records={records}) of {n:,}: {time.perf_counter() - t0:.2f} s")
            await while_adding(engine, f"clear of {args.big:,}", lambda: engine.queues.clear("big"))
            await fill(engine, "big", args.big)
            await engine.settle()
            await while_adding(engine, f"drop of {args.big:,}", lambda: engine.queues.drop("big"))
        print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        await engine.close()
        shutil.rmtree(data)


if __name__ == "__main__":
    cli = parser("bench.engine.queue", __doc__)
    cli.add_argument("--big", type=int, default=0, help="clear and drop a queue of N messages under load")
    asyncio.run(main(cli.parse_args()))
