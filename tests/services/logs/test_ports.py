"""The logs service in process: the LogSink port other services write through, and the retention
sweep on the test clock."""

from __future__ import annotations

import asyncio
from typing import Any

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.runtime.clock import TestClock
from headwater.services.context import RequestContext
from headwater.services.logs import api
from headwater.services.logs.core import LogsCore
from headwater.services.logs.events import Sink
from headwater.services.logs.retention import RetentionSweeper
from headwater.services.ports import LogSink

CTX = RequestContext(account="000000000000", region="us-east-1", request_id="r")
DAY = 86_400


def make() -> tuple[LogsCore, TestClock]:
    clock = TestClock()
    engine = MemoryEngine()
    return LogsCore(Config(account_id="000000000000"), engine.log, engine.meta, clock), clock


async def call(core: LogsCore, name: str, **params: Any) -> Any:
    return await api.OPERATIONS[name](core, params, CTX)


def test_sink_creates_the_group_and_stream_and_keeps_order() -> None:
    async def scenario() -> None:
        core, clock = make()
        await core.start()
        sink: LogSink = Sink(core)
        now = clock.now_ms()
        await sink.put(
            "000000000000", "us-east-1", "/aws/lambda/f", "2026/12/05/[$LATEST]abc", [(now, "START")]
        )
        await sink.put(
            "000000000000",
            "us-east-1",
            "/aws/lambda/f",
            "2026/12/05/[$LATEST]abc",
            [(now + 1, "a"), (now + 1, "b")],
        )
        groups = await call(core, "DescribeLogGroups")
        assert [g["logGroupName"] for g in groups["logGroups"]] == ["/aws/lambda/f"]
        got = await call(
            core,
            "GetLogEvents",
            logGroupName="/aws/lambda/f",
            logStreamName="2026/12/05/[$LATEST]abc",
            startFromHead=True,
        )
        assert [e["message"] for e in got["events"]] == ["START", "a", "b"]

    asyncio.run(scenario())


def test_retention_hides_then_trims_old_events() -> None:
    async def scenario() -> None:
        core, clock = make()
        await core.start()
        await call(core, "CreateLogGroup", logGroupName="g")
        await call(core, "CreateLogStream", logGroupName="g", logStreamName="s")
        await call(core, "PutRetentionPolicy", logGroupName="g", retentionInDays=1)
        now = clock.now_ms()
        await call(
            core,
            "PutLogEvents",
            logGroupName="g",
            logStreamName="s",
            logEvents=[{"timestamp": now, "message": "old"}],
        )
        clock.advance(2 * DAY)
        got = await call(core, "GetLogEvents", logGroupName="g", logStreamName="s", startFromHead=True)
        assert got["events"] == []
        assert await RetentionSweeper(core).sweep() == 1
        stream = core.streams[core.group("000000000000", "us-east-1", "g").key]["s"]
        assert core.log.first_offset(stream.partition) == core.log.committed_offset(stream.partition) == 1

    asyncio.run(scenario())
