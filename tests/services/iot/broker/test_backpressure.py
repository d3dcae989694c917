"""A clean session's full QoS 1 queue holds its publishers' PUBACKs instead of dropping what they
were told was delivered; a subscriber that never makes room is disconnected after a deadline."""

from __future__ import annotations

import asyncio

import pytest

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import Pingreq, Puback, Publish
from headwater.services.iot.broker import outbound
from tests.services.iot.broker.harness import ACCOUNT, REGION, Harness, run


async def _until(check: object, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.002)


def test_fan_in_to_a_slow_clean_subscriber_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "MEMORY_WINDOW", 10)

    async def body(h: Harness) -> None:
        sub = await h.connect("sub")
        await sub.subscribe("+", qos=1)
        pubs = [await h.connect(f"pub{n}") for n in range(4)]
        sub.outlet.backlog = 1 << 30  # the subscriber reads nothing for now

        async def publish(n: int) -> None:
            for seq in range(50):
                await pubs[n].publish(f"t{n}", f"{n}:{seq}".encode(), qos=1)

        senders = [asyncio.ensure_future(publish(n)) for n in range(4)]
        state = h.broker.namespaces[(ACCOUNT, REGION)].sessions["sub"]
        await _until(lambda: h.broker.ctx.counters.qos1_backpressure >= 4)
        await asyncio.sleep(0.02)
        # every publisher waits for its PUBACK; memory holds the window plus one per publisher
        assert not any(s.done() for s in senders)
        assert len(state.outbound.pending) <= 10 + 4
        acked = sum(len([p for p in pub.outlet.packets if type(p) is Puback]) for pub in pubs)
        assert acked <= 10 + 4
        sub.outlet.backlog = 0  # it reads again (and pings: any packet lets a backed-up queue go on)
        await sub.send(Pingreq())
        got: list[bytes] = []

        def drained() -> bool:
            for packet in sub.outlet.take(Publish):
                got.append(packet.payload)
                state.outbound.ack(packet.packet_id or 0)
            return len(got) == 200

        await _until(drained)
        await asyncio.gather(*senders)
        assert sorted(got) == sorted(f"{n}:{s}".encode() for n in range(4) for s in range(50))
        for n in range(4):  # each publisher's order is kept
            mine = [g for g in got if g.startswith(f"{n}:".encode())]
            assert mine == [f"{n}:{s}".encode() for s in range(50)]
        assert state.outbound.pending == type(state.outbound.pending)()
        assert h.broker.ctx.counters.slow_consumers_disconnected == 0

    run(body, mode="relaxed")


def test_a_subscriber_that_never_reads_is_disconnected_and_publishers_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbound, "MEMORY_WINDOW", 5)
    monkeypatch.setattr(outbound, "SLOW_CONSUMER_DEADLINE", 0.05)

    async def body(h: Harness) -> None:
        sub = await h.connect("stuck")
        await sub.subscribe("t", qos=1)
        sub.outlet.backlog = 1 << 30
        pub = await h.connect("pub")
        sent = asyncio.ensure_future(_publish_many(pub, 20))
        await _until(lambda: sub.outlet.closed is not None)
        assert sub.outlet.closed == rc.QUOTA_EXCEEDED
        assert h.broker.ctx.counters.slow_consumers_disconnected == 1
        await sub.drop(rc.QUOTA_EXCEEDED)  # the listener ends the connection: the clean session goes
        await asyncio.wait_for(sent, 5)
        assert len([p for p in pub.outlet.packets if type(p) is Puback]) == 20

    run(body, mode="relaxed")


async def _publish_many(pub: object, count: int) -> None:
    for n in range(count):
        await pub.publish("t", str(n).encode(), qos=1)  # type: ignore[attr-defined]
