"""The resident window (services/sqs/window.py) with tiny sizes: backlogs far larger than the window
keep every guarantee, and a restart loads only the window."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.runtime.clock import TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.sqs import queue as queue_module
from headwater.services.sqs import window
from headwater.services.sqs.service import SqsCore
from tests.services.sqs.test_core import Harness

Body = Callable[[Harness, Callable[[], Awaitable[Harness]]], Awaitable[None]]


@pytest.fixture(autouse=True)
def tiny_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_module, "WINDOW", 5)
    monkeypatch.setattr(window, "PAGE", 4)
    monkeypatch.setattr(window, "LOW", 3)
    monkeypatch.setattr(window, "CAP", 40)
    monkeypatch.setattr(window, "DEDUP_TAIL", 6)


def run(body: Body) -> None:
    """Runs `body` with a harness and a `restart` that starts a new core on the same engine."""

    async def main() -> None:
        clock = TestClock()
        engine = MemoryEngine()
        await engine.start()
        cores: list[SqsCore] = []

        async def start() -> Harness:
            if cores:
                await cores[-1].close()
            core = SqsCore(Config(), engine, clock, Metrics(), LocalKeyRing(engine.meta, clock))
            await core.start()
            cores.append(core)
            return Harness(core, clock)

        try:
            await body(await start(), start)
        finally:
            await cores[-1].close()

    asyncio.run(main())


async def send(h: Harness, url: str, bodies: list[str], **extra: Any) -> None:
    for i in range(0, len(bodies), 10):
        entries = [{"Id": str(n), "MessageBody": b, **extra} for n, b in enumerate(bodies[i : i + 10])]
        result = await h.call("SendMessageBatch", QueueUrl=url, Entries=entries)
        assert not result["Failed"]


async def depth(h: Harness, url: str) -> int:
    attributes = (await h.call("GetQueueAttributes", QueueUrl=url, AttributeNames=["All"]))["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


async def drain(h: Harness, url: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while messages := await h.receive(url, 10, AttributeNames=["All"]):
        got += messages
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        assert not (await h.call("DeleteMessageBatch", QueueUrl=url, Entries=entries))["Failed"]
    return got


def test_a_backlog_larger_than_the_window_is_served_once_each_in_order() -> None:
    async def body(h: Harness, restart: Callable[[], Awaitable[Harness]]) -> None:
        url = await h.queue("q")
        bodies = [f"m{i}" for i in range(57)]
        await send(h, url, bodies)
        queue = next(iter(h.core.queues.values()))
        assert len(queue.messages) <= 5 and queue.cold == 52
        assert await depth(h, url) == 57
        assert [m["Body"] for m in await drain(h, url)] == bodies
        assert await depth(h, url) == 0 and queue.cold_from is None

    run(body)


def test_fifo_groups_keep_their_order_across_the_window() -> None:
    async def body(h: Harness, restart: Callable[[], Awaitable[Harness]]) -> None:
        url = await h.queue("q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
        bodies = [f"g{i % 3}-{i}" for i in range(40)]
        for i, text in enumerate(bodies):
            await h.call("SendMessage", QueueUrl=url, MessageBody=text, MessageGroupId=f"g{i % 3}")
        # a duplicate of a cold message is still recognised
        again = await h.call("SendMessage", QueueUrl=url, MessageBody=bodies[-1], MessageGroupId="g0")
        got = await drain(h, url)
        assert sorted(m["Body"] for m in got) == sorted(bodies)
        for group in ("g0", "g1", "g2"):
            mine = [m["Body"] for m in got if m["Attributes"]["MessageGroupId"] == group]
            assert mine == [b for b in bodies if b.startswith(group + "-")]
        assert again["MessageId"] == next(m["MessageId"] for m in got if m["Body"] == bodies[-1])

    run(body)


def test_a_restart_loads_the_window_and_cold_handles_still_act() -> None:
    async def body(h: Harness, restart: Callable[[], Awaitable[Harness]]) -> None:
        url = await h.queue("q")
        bodies = [f"m{i}" for i in range(30)]
        await send(h, url, bodies)
        received: list[dict[str, Any]] = []
        while len(received) < 20:
            received += await h.receive(url, 10, VisibilityTimeout=60)
        h = await restart()
        queue = next(iter(h.core.queues.values()))
        assert len(queue.messages) <= 5 and queue.cold_from is not None  # the rest stays stored
        assert await depth(h, url) + len(queue.messages) == 30
        # handles from before the restart: delete 10 (most of them cold), hide one for longer
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received[:10])]
        assert not (await h.call("DeleteMessageBatch", QueueUrl=url, Entries=entries))["Failed"]
        await h.call(
            "ChangeMessageVisibility",
            QueueUrl=url,
            ReceiptHandle=received[19]["ReceiptHandle"],
            VisibilityTimeout=300,
        )
        # only the never-received ten are visible now; the in-flight ones come back on time
        assert sorted(m["Body"] for m in await drain(h, url)) == sorted(bodies[20:])
        h.clock.advance(61)
        assert sorted(m["Body"] for m in await drain(h, url)) == sorted(bodies[10:19])
        h.clock.advance(300)
        assert [m["Body"] for m in await drain(h, url)] == [bodies[19]]
        assert await depth(h, url) == 0

    run(body)


def test_purge_and_retention_reach_cold_messages() -> None:
    async def body(h: Harness, restart: Callable[[], Awaitable[Harness]]) -> None:
        url = await h.queue("q", MessageRetentionPeriod="60")
        await send(h, url, [f"m{i}" for i in range(20)])
        h.clock.advance(61)
        assert await drain(h, url) == []
        await send(h, url, [f"n{i}" for i in range(20)])
        await h.call("PurgeQueue", QueueUrl=url)
        assert await depth(h, url) == 0 and await drain(h, url) == []
        h = await restart()
        assert await drain(h, url) == []

    run(body)
