"""The edge queue on the memory queue store: order, acknowledgements, the bound and its drop
policies, and what a restart finds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from headwater.engine.memory import MemoryQueueStore
from headwater.services.iot.bridge.queue import EdgeQueue, Outgoing

RECORD = 3 + len("t/a") + 10  # a queued record's size for the messages below


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


async def drain(queue: EdgeQueue) -> list[Outgoing]:
    taken = []
    while (item := await queue.take()) is not None:
        taken.append(item)
    return taken


async def fill(queue: EdgeQueue, count: int, qos: int = 1) -> list[Awaitable[None] | None]:
    return [queue.add("t/a", f"m{i:09d}".encode(), False, qos) for i in range(count)]


def test_messages_go_out_in_order_and_leave_when_acknowledged() -> None:
    async def body() -> None:
        store = MemoryQueueStore()
        queue = EdgeQueue(store, "up", 10_000, "oldest")
        await queue.load()
        for wait in await fill(queue, 5):
            assert wait is not None
            await wait
        first = await drain(queue)
        assert [item.payload for item in first] == [f"m{i:09d}".encode() for i in range(5)]
        queue.ack(first[0].seq)
        queue.ack(first[1].seq)
        queue.rewind()  # a new connection sends what is not acknowledged again, oldest first
        assert [item.seq for item in await drain(queue)] == [item.seq for item in first[2:]]
        restarted = EdgeQueue(store, "up", 10_000, "oldest")
        await restarted.load()  # what a crash leaves: the unacknowledged three
        assert [item.payload for item in await drain(restarted)] == [item.payload for item in first[2:]]
        assert restarted.bytes == 3 * RECORD

    run(body)


def test_drop_oldest_and_newest_keep_the_bound() -> None:
    async def body() -> None:
        for policy, kept in (("oldest", range(6, 10)), ("newest", range(4))):
            queue = EdgeQueue(MemoryQueueStore(), "up", 4 * RECORD, policy)  # type: ignore[arg-type]
            await queue.load()
            await fill(queue, 10)
            assert queue.bytes <= 4 * RECORD
            assert [item.payload for item in await drain(queue)] == [f"m{i:09d}".encode() for i in kept]
            counters = queue.counters
            assert (counters.dropped_oldest, counters.dropped_newest) == (
                (6, 0) if policy == "oldest" else (0, 6)
            )

    run(body)


def test_drop_none_holds_qos1_publishers_in_order_and_drops_qos0() -> None:
    async def body() -> None:
        queue = EdgeQueue(MemoryQueueStore(), "up", 2 * RECORD, "none")
        await queue.load()
        waits = [asyncio.ensure_future(w) for w in await fill(queue, 4) if w is not None]
        assert queue.add("t/a", b"qos0-lost!", False, 0) is None
        await asyncio.sleep(0)
        assert [w.done() for w in waits] == [True, True, False, False]
        taken = await drain(queue)
        queue.ack(taken[0].seq)  # room for one: the first held publisher goes in
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert [w.done() for w in waits] == [True, True, True, False]
        queue.ack(taken[1].seq)
        await asyncio.gather(*waits)
        assert [item.payload for item in await drain(queue)] == [b"m000000002", b"m000000003"]
        assert queue.counters.dropped_newest == 1 and queue.counters.blocked == 2

    run(body)


def test_a_message_larger_than_the_bound_is_dropped() -> None:
    async def body() -> None:
        queue = EdgeQueue(MemoryQueueStore(), "up", RECORD, "none")
        await queue.load()
        assert queue.add("t/a", b"x" * 100, False, 1) is None
        assert queue.counters.dropped_newest == 1 and not queue.entries

    run(body)
