"""Sessions: persistent ones queue QoS 1 while offline and replay it, redelivery with DUP,
takeover, clean start, expiry on the clock, and everything surviving a rebuilt broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import MQTT_5, Properties, Puback
from headwater.services.iot.broker import outbound
from tests.services.iot.broker.harness import ACCOUNT, REGION, Harness, run


def test_persistent_session_queues_qos1_while_offline() -> None:
    async def body(h: Harness) -> None:
        sub = await h.connect("dev", clean=False)
        assert sub.connack.session_present is False
        await sub.subscribe("cmd/#", qos=1)
        await sub.drop()
        pub = await h.connect("pub")
        for n in range(3):
            await pub.publish("cmd/x", str(n).encode(), qos=1)
        await pub.publish("cmd/x", b"qos0")  # not kept for an offline session
        back = await h.connect("dev", clean=False)
        assert back.connack.session_present is True
        got = await back.ack_all()
        assert [(p.payload, p.dup) for p in got] == [(b"0", False), (b"1", False), (b"2", False)]
        await pub.publish("cmd/y", b"live", qos=1)  # the subscription came back with the session
        assert [p.payload for p in back.received()] == [b"live"]

    run(body)


def test_unacknowledged_messages_come_again_with_dup() -> None:
    async def body(h: Harness) -> None:
        sub = await h.connect("dev", level=MQTT_5, props=Properties(session_expiry_interval=600))
        await sub.subscribe("a", qos=1)
        pub = await h.connect("pub")
        await pub.publish("a", b"m", qos=1)
        [first] = sub.received()
        await sub.drop()
        again = await h.connect(
            "dev", level=MQTT_5, clean=False, props=Properties(session_expiry_interval=600)
        )
        [second] = again.received()
        assert (second.packet_id, second.dup, second.payload) == (first.packet_id, True, b"m")
        await again.send(Puback(second.packet_id or 0))
        await again.drop()
        third = await h.connect(
            "dev", level=MQTT_5, clean=False, props=Properties(session_expiry_interval=600)
        )
        assert third.received() == []

    run(body)


def test_takeover_closes_the_old_connection() -> None:
    async def body(h: Harness) -> None:
        first = await h.connect(
            "dup", level=MQTT_5, clean=False, props=Properties(session_expiry_interval=60)
        )
        await first.subscribe("t", qos=1)
        second = await h.connect(
            "dup", level=MQTT_5, clean=False, props=Properties(session_expiry_interval=60)
        )
        assert first.outlet.closed == rc.SESSION_TAKEN_OVER
        assert second.connack.session_present is True
        await first.drop()  # the listener reports the old socket's end: nothing happens to the session
        pub = await h.connect("pub")
        await pub.publish("t", b"to-second")
        assert [p.payload for p in second.received()] == [b"to-second"]
        assert first.received() == []
        third = await h.connect("dup", level=MQTT_5, clean=True)  # clean start discards it
        assert third.connack.session_present is False
        await pub.publish("t", b"gone")
        assert third.received() == []

    run(body)


def test_expired_sessions_are_swept_on_the_clock() -> None:
    async def body(h: Harness) -> None:
        sub = await h.connect("dev", clean=False)
        await sub.subscribe("x", qos=1)
        await sub.drop()
        h.clock.advance(3599)
        assert await h.broker.sweep() == 0
        h.clock.advance(2)
        assert await h.broker.sweep() == 1
        assert "dev" not in h.namespace_sessions()
        back = await h.connect("dev", clean=False)
        assert back.connack.session_present is False

    run(body)


def test_mqtt5_session_expiry_is_capped_in_aws_mode() -> None:
    async def body(h: Harness) -> None:
        c = await h.connect("dev", level=MQTT_5, props=Properties(session_expiry_interval=0xFFFFFFFF))
        assert c.connack.properties.session_expiry_interval == 600
        assert c.connack.properties.subscription_identifier_available == 0
        assert c.connack.properties.maximum_qos == 1
        assert c.connack.properties.receive_maximum == 100

    run(body, session_expiry=600)


def test_state_survives_a_rebuilt_broker(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        sub = await h.connect("dev", clean=False)
        await sub.subscribe("cmd/#", qos=1)
        pub = await h.connect("pub")
        await pub.publish("cmd/0", b"in-flight", qos=1)
        assert [p.payload for p in sub.received()] == [b"in-flight"]  # never acknowledged
        await sub.drop()
        for n in range(1, 4):
            await pub.publish(f"cmd/{n}", f"queued {n}".encode(), qos=1)
        await pub.publish("state/lamp", b"on", qos=1, retain=True)
        await pub.publish("state/door", b"shut", retain=True)
        await h.restart()
        retained, marker = h.data.list_retained(ACCOUNT, REGION, None, 10)
        assert [(m.topic, m.payload) for m in retained] == [("state/door", b"shut"), ("state/lamp", b"on")]
        assert marker is None
        back = await h.connect("dev", clean=False)
        assert back.connack.session_present is True
        got = await back.ack_all()
        assert [p.payload for p in got] == [b"in-flight", b"queued 1", b"queued 2", b"queued 3"]
        pub = await h.connect("pub")
        await pub.publish("cmd/9", b"after", qos=1)  # its subscriptions route again
        assert [p.payload for p in back.received()] == [b"after"]
        await h.restart()
        again = await h.connect("dev", clean=False)
        assert [p.payload for p in await again.ack_all()] == [b"after"]

    run(body, data_dir=tmp_path)


def test_a_backlog_larger_than_memory_pages_in_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbound, "MEMORY_WINDOW", 4)

    async def body(h: Harness) -> None:
        sub = await h.connect("dev", clean=False)
        await sub.subscribe("q", qos=1)
        await sub.drop()
        pub = await h.connect("pub")
        for n in range(25):
            await pub.publish("q", str(n).encode(), qos=1)
        state = h.broker.namespaces[(ACCOUNT, REGION)].sessions["dev"]
        assert len(state.outbound.pending) <= 4 and len(state.outbound) == 25
        back = await h.connect("dev", clean=False)
        seen: list[bytes] = []
        for _ in range(200):
            seen += [p.payload for p in await back.ack_all()]
            if len(seen) == 25:
                break
            await h.broker.ctx.store.settle()
            await _turn()
        assert seen == [str(n).encode() for n in range(25)]

    run(body, data_dir=tmp_path)


async def _turn() -> None:
    import asyncio

    await asyncio.sleep(0.005)


def test_reset_drops_everything_and_closes_clients() -> None:
    async def body(h: Harness) -> None:
        dev = await h.connect("dev", clean=False)
        await dev.subscribe("a", qos=1)
        await h.broker.close()
        await h.engine.reset()
        await h.broker.reset()
        assert dev.outlet.closed == rc.SERVER_SHUTTING_DOWN
        await dev.drop()  # the listener's report of the end changes nothing
        assert h.broker.namespaces == {}
        back = await h.connect("dev", clean=False)
        assert back.connack.session_present is False

    run(body)
