"""The functions core in process: a real worker under awslambdaric, its log lines into a LogSink."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sequence

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.listeners.runtime_api import RuntimeApiListener
from headwater.runtime.clock import SystemClock
from headwater.services.base import Ports
from headwater.services.context import RequestContext
from headwater.services.functions.api import OPERATIONS
from headwater.services.functions.service import FunctionsCore
from headwater.services.ports import LogSink
from tests.e2e.functions.support import zipped

pytestmark = pytest.mark.skipif(importlib.util.find_spec("awslambdaric") is None, reason="needs awslambdaric")


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, str, list[tuple[int, str]]]] = []

    async def put(
        self, account: str, region: str, group: str, stream: str, events: Sequence[tuple[int, str]]
    ) -> None:
        self.events.append((account, region, group, stream, list(events)))


def test_invocations_write_their_log_through_the_sink() -> None:
    async def scenario() -> None:
        engine = MemoryEngine()
        await engine.start()
        ports, sink = Ports(), Sink()
        ports.offer(LogSink, sink)
        core = FunctionsCore(
            Config(transition_delay=0.0), engine.meta, SystemClock(), ports, engine.blobs, engine.queues
        )
        listener = RuntimeApiListener()
        core.attach(listener)
        await core.start()
        await listener.start()
        ctx = RequestContext("000000000000", "us-east-1", "r-1")
        source = "def handler(e, c):\n    print('working on', e['n'])\n    return e['n'] * 2\n"
        params = {
            "FunctionName": "doubler",
            "Runtime": "python3.11",
            "Role": "arn:aws:iam::000000000000:role/r",
            "Handler": "app.handler",
            "Code": {"ZipFile": zipped({"app.py": source})},
        }
        try:
            await OPERATIONS["CreateFunction"](core, params, ctx)
            while core.get("000000000000", "us-east-1", "doubler").state != "Active":
                await asyncio.sleep(0.01)
            for n in (1, 2):
                answer = await OPERATIONS["Invoke"](
                    core, {"FunctionName": "doubler", "Payload": b'{"n": %d}' % n}, ctx
                )
                assert answer["Payload"] == str(n * 2).encode()
        finally:
            await core.close()
            await listener.stop()
            await engine.close()
        # the lines are shipped in batches after the answers: one or two appends, in order
        assert 1 <= len(sink.events) <= 2
        account, region, group, stream, _ = sink.events[0]
        assert (account, region, group) == ("000000000000", "us-east-1", "/aws/lambda/doubler")
        assert "[$LATEST]" in stream and all(e[3] == stream for e in sink.events)  # one warm worker
        texts = [text for event in sink.events for _, text in event[4]]
        starts = [i for i, text in enumerate(texts) if text.startswith("START RequestId: ")]
        assert len(starts) == 2
        first, second = texts[starts[0] : starts[1]], texts[starts[1] :]
        assert "working on 1" in first and "working on 2" in second
        for one in (first, second):
            assert one[-2].startswith("END RequestId: ") and one[-1].startswith("REPORT RequestId: ")
        assert "Init Duration" in first[-1] and "Init Duration" not in second[-1]

    asyncio.run(scenario())
