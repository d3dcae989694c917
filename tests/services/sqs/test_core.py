"""The SQS core driven directly (no sockets): the memory engine and a test clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.context import RequestContext
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.sqs.api import SqsApi
from headwater.services.sqs.service import SqsCore

CTX = RequestContext(account="123456789012", region="us-east-1", request_id="r", host="localhost:4566")


class Harness:
    def __init__(self, core: SqsCore, clock: TestClock) -> None:
        self.core = core
        self.api = SqsApi(core)
        self.clock = clock

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        handler = self.api.operation(operation)
        assert handler is not None
        return await handler(params, CTX)

    async def error(self, operation: str, **params: Any) -> AwsError:
        with pytest.raises(AwsError) as caught:
            await self.call(operation, **params)
        return caught.value

    async def queue(self, name: str, **attributes: str) -> str:
        return (await self.call("CreateQueue", QueueName=name, Attributes=attributes))["QueueUrl"]

    async def receive(self, url: str, count: int = 10, **params: Any) -> list[dict[str, Any]]:
        result = await self.call("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=count, **params)
        return result.get("Messages", [])


def run(body: Callable[[Harness], Awaitable[None]], *, limits: bool = False) -> None:
    async def main() -> None:
        clock = TestClock()
        engine = MemoryEngine()
        await engine.start()
        core = SqsCore(Config(limits=limits), engine, clock, Metrics(), LocalKeyRing(engine.meta, clock))
        await core.start()
        try:
            await body(Harness(core, clock))
        finally:
            await core.close()
            await engine.close()

    asyncio.run(main())


def test_send_receive_delete() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q1")
        assert url == "http://localhost:4566/123456789012/q1"
        sent = await h.call("SendMessage", QueueUrl=url, MessageBody="hello")
        assert sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
        messages = await h.receive(url)
        assert [m["Body"] for m in messages] == ["hello"]
        assert messages[0]["MessageId"] == sent["MessageId"]
        assert "-" not in messages[0]["ReceiptHandle"]
        assert await h.receive(url) == []  # in flight
        await h.call("DeleteMessage", QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
        h.clock.advance(31)
        assert await h.receive(url) == []

    run(body)


def test_visibility_expiry_and_receive_count() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q", VisibilityTimeout="10")
        await h.call("SendMessage", QueueUrl=url, MessageBody="m")
        first = await h.receive(url, AttributeNames=["All"])
        assert first[0]["Attributes"]["ApproximateReceiveCount"] == "1"
        h.clock.advance(9)
        assert await h.receive(url) == []
        h.clock.advance(1.5)
        second = await h.receive(url, AttributeNames=["ApproximateReceiveCount"])
        assert second[0]["Attributes"] == {"ApproximateReceiveCount": "2"}
        assert second[0]["ReceiptHandle"] != first[0]["ReceiptHandle"]
        # the old handle no longer deletes on a standard queue (succeeds, deletes nothing)
        await h.call("DeleteMessage", QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
        attributes = (await h.call("GetQueueAttributes", QueueUrl=url, AttributeNames=["All"]))["Attributes"]
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"

    run(body)


def test_change_visibility_rules() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q")
        await h.call("SendMessage", QueueUrl=url, MessageBody="m")
        [message] = await h.receive(url)
        handle = message["ReceiptHandle"]
        await h.call("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        error = await h.error(
            "ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5
        )
        assert error.code == "MessageNotInflight"
        [message] = await h.receive(url)
        await h.call(
            "ChangeMessageVisibility",
            QueueUrl=url,
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=43_200,
        )
        h.clock.advance(43_000)
        error = await h.error(
            "ChangeMessageVisibility",
            QueueUrl=url,
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=300,
        )
        assert "beyond the limit" in error.message

    run(body)


def test_delay_and_long_poll_wakeup() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q")
        await h.call("SendMessage", QueueUrl=url, MessageBody="later", DelaySeconds=5)
        attributes = (await h.call("GetQueueAttributes", QueueUrl=url, AttributeNames=["All"]))["Attributes"]
        assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
        poll = asyncio.ensure_future(h.receive(url, WaitTimeSeconds=20))
        await asyncio.sleep(0.05)
        assert not poll.done()
        h.clock.advance(5)
        messages = await asyncio.wait_for(poll, 2)
        assert [m["Body"] for m in messages] == ["later"]
        poll = asyncio.ensure_future(h.receive(url, WaitTimeSeconds=20))
        await asyncio.sleep(0.05)
        await h.call("SendMessage", QueueUrl=url, MessageBody="now")
        assert [m["Body"] for m in await asyncio.wait_for(poll, 2)] == ["now"]

    run(body)


def test_retention_enforced() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q", MessageRetentionPeriod="60")
        await h.call("SendMessage", QueueUrl=url, MessageBody="old")
        h.clock.advance(30)
        await h.call("SendMessage", QueueUrl=url, MessageBody="new")
        h.clock.advance(31)
        assert [m["Body"] for m in await h.receive(url)] == ["new"]

    run(body)


def test_fifo_order_group_lock_and_dedup() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q.fifo", FifoQueue="true")
        ids = []
        for i in range(4):
            group = "a" if i % 2 == 0 else "b"
            sent = await h.call(
                "SendMessage",
                QueueUrl=url,
                MessageBody=f"m{i}",
                MessageGroupId=group,
                MessageDeduplicationId=f"d{i}",
            )
            ids.append(sent)
        assert int(ids[0]["SequenceNumber"]) < int(ids[2]["SequenceNumber"])
        duplicate = await h.call(
            "SendMessage", QueueUrl=url, MessageBody="other", MessageGroupId="a", MessageDeduplicationId="d0"
        )
        assert duplicate["MessageId"] == ids[0]["MessageId"]
        first = await h.receive(url, 1)
        assert [m["Body"] for m in first] == ["m0"]
        # group a is locked while m0 is in flight: only group b comes
        rest = await h.receive(url)
        assert [m["Body"] for m in rest] == ["m1", "m3"]
        assert await h.receive(url) == []
        await h.call("DeleteMessage", QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
        assert [m["Body"] for m in await h.receive(url)] == ["m2"]
        # still de-duplicated after delete
        again = await h.call(
            "SendMessage", QueueUrl=url, MessageBody="x", MessageGroupId="a", MessageDeduplicationId="d0"
        )
        assert again["MessageId"] == ids[0]["MessageId"]
        h.clock.advance(301)
        fresh = await h.call(
            "SendMessage", QueueUrl=url, MessageBody="x", MessageGroupId="a", MessageDeduplicationId="d0"
        )
        assert fresh["MessageId"] != ids[0]["MessageId"]

    run(body)


def test_fifo_mid_group_visibility() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
        for i in range(3):
            await h.call("SendMessage", QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")
        messages = await h.receive(url)
        assert [m["Body"] for m in messages] == ["m0", "m1", "m2"]
        for m in (messages[0], messages[2]):
            await h.call(
                "ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
            )
        # m1 is still in flight: only what comes before it may be returned
        assert [m["Body"] for m in await h.receive(url)] == ["m0"]

    run(body)


def test_fifo_receive_attempt_id() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
        for i in range(3):
            await h.call("SendMessage", QueueUrl=url, MessageBody=f"m{i}", MessageGroupId=f"g{i}")
        first = await h.receive(url, 2, ReceiveRequestAttemptId="att")
        retry = await h.receive(url, 2, ReceiveRequestAttemptId="att")
        assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]
        other = await h.receive(url, 2, ReceiveRequestAttemptId="other")
        assert [m["Body"] for m in other] == ["m2"]

    run(body)


def test_dead_letter_queue() -> None:
    async def body(h: Harness) -> None:
        dlq = await h.queue("dlq")
        dlq_arn = (await h.call("GetQueueAttributes", QueueUrl=dlq, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
        src = await h.queue("src", RedrivePolicy=policy, VisibilityTimeout="1")
        await h.call("SendMessage", QueueUrl=src, MessageBody="poison")
        for _ in range(2):
            assert len(await h.receive(src)) == 1
            h.clock.advance(1.1)
        assert await h.receive(src) == []
        [moved] = await h.receive(dlq, AttributeNames=["All"])
        assert moved["Body"] == "poison"
        src_arn = dlq_arn.replace(":dlq", ":src")
        assert moved["Attributes"]["DeadLetterQueueSourceArn"] == src_arn
        sources = await h.call("ListDeadLetterSourceQueues", QueueUrl=dlq)
        assert sources["queueUrls"] == [src]
        # redrive it back
        await h.call(
            "ChangeMessageVisibility", QueueUrl=dlq, ReceiptHandle=moved["ReceiptHandle"], VisibilityTimeout=0
        )
        handle = (await h.call("StartMessageMoveTask", SourceArn=dlq_arn))["TaskHandle"]
        assert handle
        for _ in range(100):
            tasks = (await h.call("ListMessageMoveTasks", SourceArn=dlq_arn))["Results"]
            if tasks[0]["Status"] == "COMPLETED":
                break
            await asyncio.sleep(0.01)
        assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 1
        [back] = await h.receive(src)
        assert back["Body"] == "poison" and back["MessageId"] != moved["MessageId"]

    run(body)


def test_fair_queue_quiet_tenant_first() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("fair")
        for i in range(100):
            await h.call("SendMessage", QueueUrl=url, MessageBody=f"noisy{i}", MessageGroupId="noisy")
        for _ in range(4):  # 40 of the noisy tenant in flight: it is now noisy
            await h.receive(url)
        await h.call("SendMessage", QueueUrl=url, MessageBody="quiet", MessageGroupId="quiet")
        messages = await h.receive(url, 1)
        assert messages[0]["Body"] == "quiet"

    run(body)


def test_purge_and_delete_rules() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q")
        await h.call("SendMessage", QueueUrl=url, MessageBody="m", DelaySeconds=10)
        await h.call("PurgeQueue", QueueUrl=url)
        assert (await h.error("PurgeQueue", QueueUrl=url)).code == "PurgeQueueInProgress"
        h.clock.advance(10)
        assert await h.receive(url) == []
        await h.call("DeleteQueue", QueueUrl=url)
        assert (await h.error("CreateQueue", QueueName="q")).code == "QueueDeletedRecently"
        h.clock.advance(61)
        await h.queue("q")

    run(body)


def test_fifo_throttling_with_limits() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
        codes = set()
        for i in range(400):
            try:
                await h.call("SendMessage", QueueUrl=url, MessageBody=str(i), MessageGroupId="g")
            except AwsError as error:
                codes.add(error.code)
        assert codes == {"RequestThrottled"}

    run(body, limits=True)


def test_in_flight_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    from headwater.services.sqs import receive

    monkeypatch.setattr(receive, "INFLIGHT_LIMIT_STANDARD", 3)
    monkeypatch.setattr(receive, "INFLIGHT_LIMIT_FIFO", 3)

    async def body(h: Harness) -> None:
        standard = await h.queue("s")
        fifo = await h.queue("f.fifo", FifoQueue="true", ContentBasedDeduplication="true")
        for i in range(5):
            await h.call("SendMessage", QueueUrl=standard, MessageBody=str(i))
            await h.call("SendMessage", QueueUrl=fifo, MessageBody=str(i), MessageGroupId=str(i))
        assert len(await h.receive(standard)) == 3  # no more than the limit in flight
        assert (await h.error("ReceiveMessage", QueueUrl=standard)).code == "OverLimit"
        assert len(await h.receive(fifo)) == 3  # FIFO: silently no more than the limit
        assert await h.receive(fifo) == []

    run(body)


def test_fair_queue_slow_tenant_by_processing_time() -> None:
    async def body(h: Harness) -> None:
        url = await h.queue("fair")
        # the slow tenant holds its messages 10 s each, the quick one deletes at once
        for tenant, hold in (("slow", 10.0), ("quick", 0.0)):
            for i in range(3):
                await h.call("SendMessage", QueueUrl=url, MessageBody=f"{tenant}{i}", MessageGroupId=tenant)
            for message in await h.receive(url):
                h.clock.advance(hold)
                await h.call("DeleteMessage", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        for tenant in ("slow", "quick"):  # a backlog of each, the slow one sent first
            for i in range(5):
                await h.call(
                    "SendMessage", QueueUrl=url, MessageBody=f"{tenant}-next{i}", MessageGroupId=tenant
                )
        first = await h.receive(url, 5)
        assert [m["Body"] for m in first] == [f"quick-next{i}" for i in range(5)]

    run(body)
