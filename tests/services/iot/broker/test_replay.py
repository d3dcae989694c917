"""Replay pacing: in AWS mode a resumed persistent session's stored messages are sent at most
`replay_rate` a second (AWS: 10); messages routed after the resume wait behind them; relaxed mode
never paces."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import pytest

from headwater.protocol.mqtt.packets import Puback, Publish
from tests.services.iot.broker.harness import Client, Harness, run

RATE = 20.0


async def _queued(h: Harness, count: int) -> Client:
    sub = await h.connect("dev", clean=False)
    await sub.subscribe("cmd/#", qos=1)
    await sub.drop()
    pub = await h.connect("pub")
    for n in range(count):
        await pub.publish("cmd/x", str(n).encode(), qos=1)
    return pub


async def _collect(client: Client, count: int, timeout: float = 5.0) -> list[Publish]:
    got: list[Publish] = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        assert time.monotonic() < deadline, f"only {len(got)} of {count} messages"
        for packet in client.received():
            got.append(packet)
            await client.send(Puback(packet.packet_id))
        await asyncio.sleep(0.005)
    return got


def test_aws_mode_replays_a_stored_backlog_at_the_rate() -> None:
    async def body(h: Harness) -> None:
        pub = await _queued(h, 6)
        started = time.monotonic()
        back = await h.connect("dev", clean=False)
        assert back.connack.session_present is True
        assert len(back.outlet.packets) == 1  # one at once, the rest paced
        await pub.publish("cmd/live", b"live", qos=1)  # routed after the resume: behind the backlog
        got = await _collect(back, 7)
        elapsed = time.monotonic() - started
        assert [p.payload for p in got] == [b"0", b"1", b"2", b"3", b"4", b"5", b"live"]
        assert elapsed >= 5 / RATE * 0.9  # five paced after the first
        await pub.publish("cmd/x", b"later", qos=1)  # once caught up, live messages go at once
        assert [p.payload for p in back.received()] == [b"later"]

    run(body, replay_rate=RATE)


@pytest.mark.parametrize(("mode", "rate"), [("relaxed", RATE), ("aws", 0.0)])
def test_unpaced_replays(mode: Literal["aws", "relaxed"], rate: float) -> None:
    async def body(h: Harness) -> None:
        await _queued(h, 6)
        back = await h.connect("dev", clean=False)
        assert [p.payload for p in back.received()] == [b"0", b"1", b"2", b"3", b"4", b"5"]

    run(body, mode=mode, replay_rate=rate)
