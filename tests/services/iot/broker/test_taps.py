"""Taps: the rules engine's and shadows' view of every accepted PUBLISH, Basic Ingest included."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from headwater.protocol.mqtt.packets import Puback, Publish
from headwater.services.iot.contracts import InboundPublish
from tests.services.iot.broker.harness import ACCOUNT, DEVICE_DER, REGION, Harness, run


class Tap:
    def __init__(self) -> None:
        self.seen: list[InboundPublish] = []
        self.gate: asyncio.Future[None] | None = None

    def published(self, message: InboundPublish) -> Awaitable[None] | None:
        self.seen.append(message)
        return self.gate if message.qos == 1 else None


def test_a_tap_sees_routed_and_basic_ingest_publishes() -> None:
    tap = Tap()

    async def body(h: Harness) -> None:
        h.broker.taps.append(tap)
        sub = await h.connect("sub")
        await sub.subscribe("$aws/rules/#", "t/#")
        pub = await h.connect("pub")
        await pub.publish("t/1", b"routed")
        await pub.publish("$aws/rules/r1/t/2", b"ingest")
        assert [p.topic for p in sub.received()] == ["t/1"]  # Basic Ingest never reaches subscribers
        events = [m.topic for m in tap.seen if m.topic.startswith("$aws/events/")]
        assert "$aws/events/presence/connected/pub" in events  # server-made messages too
        assert [(m.topic, m.payload, m.client_id) for m in tap.seen if m.topic not in events] == [
            ("t/1", b"routed", "pub"),
            ("$aws/rules/r1/t/2", b"ingest", "pub"),
        ]
        first = next(m for m in tap.seen if m.topic == "t/1")
        assert (first.account, first.region) == (ACCOUNT, REGION)
        assert first.principal is not None and DEVICE_DER.hex()[:16] in first.principal

    run(body)


def test_a_qos1_puback_waits_for_the_tap() -> None:
    tap = Tap()

    async def body(h: Harness) -> None:
        h.broker.taps.append(tap)
        tap.gate = asyncio.get_running_loop().create_future()
        pub = await h.connect("pub")
        sending = asyncio.ensure_future(pub.send(Publish("t/q", b"x", 1, packet_id=7)))
        for _ in range(5):
            await asyncio.sleep(0)
        assert pub.outlet.take(Puback) == []
        tap.gate.set_result(None)
        await sending
        assert pub.outlet.take(Puback) == [Puback(7)]

    run(body)
