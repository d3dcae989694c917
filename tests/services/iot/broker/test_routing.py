"""Routing: QoS, wildcards, cross-version delivery, MQTT 5 properties, expiry, no-local, shared
subscriptions, iot:Receive per delivery, slow consumers."""

from __future__ import annotations

import asyncio

import pytest

from headwater.protocol.mqtt.packets import MQTT_5, Properties, Puback, SubscriptionOptions
from headwater.services.iot.broker import context, hold
from tests.services.iot.broker.harness import Harness, Policy, arn, run


def test_qos_is_the_lower_of_publish_and_subscription() -> None:
    async def body(h: Harness) -> None:
        sub0 = await h.connect("sub0")
        sub1 = await h.connect("sub1")
        pub = await h.connect("pub")
        assert (await sub0.subscribe("t/+", qos=0)).reason_codes == [0]  # type: ignore[union-attr]
        assert (await sub1.subscribe("t/#", qos=1)).reason_codes == [1]  # type: ignore[union-attr]
        await pub.publish("t/a", b"one", qos=1)
        assert pub.outlet.take(Puback) == [Puback(1)]
        [got0] = sub0.received()
        [got1] = sub1.received()
        assert (got0.qos, got0.packet_id, got0.payload) == (0, None, b"one")
        assert (got1.qos, got1.topic) == (1, "t/a") and got1.packet_id is not None
        await pub.publish("t/b", b"two", qos=0)
        assert [p.qos for p in sub1.received()] == [0]
        assert [p.payload for p in sub0.received()] == [b"two"]
        await pub.publish("t", b"three")  # `t/#` does not match `t`
        assert sub1.received() == [] and sub0.received() == []

    run(body)


def test_cross_version_delivery_and_properties() -> None:
    async def body(h: Harness) -> None:
        v5 = await h.connect("v5", level=MQTT_5)
        v3 = await h.connect("v3")
        await v5.subscribe("req/#", qos=1)
        await v3.subscribe("req/#", qos=1)
        props = Properties(
            payload_format_indicator=1,
            content_type="application/json",
            response_topic="res/1",
            correlation_data=b"\x01\x02",
            user_properties=[("a", "1"), ("a", "2")],
            message_expiry_interval=60,
        )
        pub = await h.connect("pub5", level=MQTT_5)
        await pub.publish("req/x", b"{}", qos=1, props=props)
        h.clock.advance(10.5)
        [to5] = v5.received()
        [to3] = v3.received()
        assert to3.properties == Properties()
        p = to5.properties
        assert (p.payload_format_indicator, p.content_type, p.response_topic) == (
            1,
            "application/json",
            "res/1",
        )
        assert p.correlation_data == b"\x01\x02" and p.user_properties == [("a", "1"), ("a", "2")]
        assert p.message_expiry_interval == 60  # sent at once: nothing had elapsed yet
        # queued behind a slow consumer, the interval it gets is what remains; expired ones go
        v5.outlet.backlog = context.SLOW_CONSUMER_BYTES + 1
        await pub.publish("req/y", b"1", qos=1, props=Properties(message_expiry_interval=30))
        await pub.publish("req/z", b"2", qos=1, props=Properties(message_expiry_interval=5))
        assert v5.received() == []
        h.clock.advance(10)
        v5.outlet.backlog = 0
        await v5.ack_all()
        await v5.send(Puback(1))  # any packet lets the queue move
        [late] = v5.received()
        assert late.topic == "req/y" and late.properties.message_expiry_interval == 20

    run(body)


def test_no_local_and_retain_as_published() -> None:
    async def body(h: Harness) -> None:
        me = await h.connect("me", level=MQTT_5)
        await me.subscribe(
            ("echo/#", SubscriptionOptions(1, no_local=True)),
            ("flag/#", SubscriptionOptions(0, retain_as_published=True)),
        )
        await me.publish("echo/a", b"mine")
        assert me.received() == []
        await me.publish("flag/a", b"r", retain=True)
        [live] = me.received()
        assert live.retain is True  # retain-as-published keeps the flag on a live message
        other = await h.connect("other")
        await other.subscribe("flag/#")
        await me.publish("flag/a", b"r2", retain=True)
        assert [p.retain for p in other.received()] == [False]

    run(body)


def test_shared_subscriptions_take_turns() -> None:
    async def body(h: Harness) -> None:
        members = [await h.connect(f"m{i}", level=MQTT_5) for i in range(3)]
        for m in members:
            assert (await m.subscribe("$share/workers/jobs/+", qos=1)).reason_codes == [1]  # type: ignore[union-attr]
        plain = await h.connect("plain")
        await plain.subscribe("jobs/#")
        pub = await h.connect("pub")
        for n in range(6):
            await pub.publish(f"jobs/{n}", str(n).encode())
        got = [[p.payload for p in m.received()] for m in members]
        assert sorted(len(g) for g in got) == [2, 2, 2]
        assert sorted(sum(got, [])) == [str(n).encode() for n in range(6)]
        assert len(plain.received()) == 6
        await members[0].drop()  # a clean member leaves the group
        for n in range(4):
            await pub.publish(f"jobs/{n}", b"x")
        assert [len(m.received()) for m in members[1:]] == [2, 2]

    run(body)


def test_receive_is_checked_per_delivery() -> None:
    policy = Policy()

    async def body(h: Harness) -> None:
        sub = await h.connect("sub")
        await sub.subscribe("s/#")
        pub = await h.connect("pub")
        await pub.publish("s/open")
        policy.denied.add(("iot:Receive", arn("topic", "s/secret")))
        await pub.publish("s/secret")
        assert [p.topic for p in sub.received()] == ["s/open"]
        assert ("iot:Receive", arn("topic", "s/open"), "sub") in policy.calls

    run(body, policy=policy)


def test_slow_consumer_holds_qos0_publishers_then_sheds_and_queues_qos1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hold, "QOS0_HOLD_S", 0.3)

    async def body(h: Harness) -> None:
        slow = await h.connect("slow")
        await slow.subscribe("f/#", qos=1)
        pub = await h.connect("pub")
        slow.outlet.backlog = context.SLOW_CONSUMER_BYTES + 1
        held = asyncio.ensure_future(pub.publish("f/0", qos=0))
        for _ in range(3):
            await asyncio.sleep(0)
        assert not held.done()  # the publisher waits for the subscriber to catch up
        assert [p.topic for p in slow.received()] == ["f/0"]  # written all the same
        await asyncio.wait_for(held, 2)  # it did not catch up in time: the hold is given up
        await pub.publish("f/00", qos=0)  # and until it catches up, QoS 0 to it is dropped
        await pub.publish("f/1", qos=1)
        assert slow.received() == []
        counters = h.broker.ctx.counters
        assert (counters.qos0_held, counters.qos0_dropped_slow) == (1, 1)
        slow.outlet.backlog = 0
        await asyncio.sleep(0)
        await slow.send(Puback(999))  # any packet from the client lets the queue move
        assert [p.topic for p in slow.received()] == ["f/1"]
        await pub.publish("f/2", qos=0)  # caught up: delivered again
        assert [p.topic for p in slow.received()] == ["f/2"]

    run(body)


def test_a_slow_consumer_that_catches_up_releases_its_qos0_publisher() -> None:
    async def body(h: Harness) -> None:
        slow = await h.connect("slow")
        await slow.subscribe("f", qos=0)
        pub = await h.connect("pub")
        slow.outlet.backlog = context.SLOW_CONSUMER_BYTES + 1
        held = asyncio.ensure_future(pub.publish("f", b"1"))
        await asyncio.sleep(0.01)
        assert not held.done()
        slow.outlet.backlog = 0
        await asyncio.wait_for(held, 1)
        await pub.publish("f", b"2")
        assert [p.payload for p in slow.received()] == [b"1", b"2"]
        assert h.broker.ctx.counters.qos0_dropped_slow == 0

    run(body)


def test_in_flight_window_and_queue() -> None:
    async def body(h: Harness) -> None:
        sub = await h.connect("sub", level=MQTT_5, props=Properties(receive_maximum=5))
        await sub.subscribe("w", qos=1)
        pub = await h.connect("pub", peer=h_peer())
        for n in range(12):
            await pub.publish("w", str(n).encode(), qos=1)
        first = sub.received()
        assert [p.payload for p in first] == [str(n).encode() for n in range(5)]
        for p in first[:2]:
            await sub.send(Puback(p.packet_id or 0))
        assert [p.payload for p in sub.received()] == [b"5", b"6"]

    run(body, mode="relaxed")


def h_peer():  # type: ignore[no-untyped-def]
    from tests.services.iot.broker.harness import ANONYMOUS

    return ANONYMOUS
