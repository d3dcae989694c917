"""Retained messages: sent to new exact-topic subscriptions (wildcards too in relaxed mode), an
empty payload deletes, retain handling; the data plane's publish, get and list."""

from __future__ import annotations

import pytest

from headwater.protocol.mqtt.packets import MQTT_5, Properties, SubscriptionOptions
from headwater.services.ports import DataPlaneError, MqttPeer
from tests.services.iot.broker.harness import (
    ACCOUNT,
    ANONYMOUS,
    REGION,
    Certificates,
    Harness,
    Policy,
    arn,
    run,
)


def test_retained_for_new_exact_subscriptions() -> None:
    async def body(h: Harness) -> None:
        pub = await h.connect("pub")
        await pub.publish("cfg/a", b"A", qos=1, retain=True)
        await pub.publish("cfg/b", b"B", retain=True)
        sub = await h.connect("sub", level=MQTT_5)
        await sub.subscribe("cfg/a", qos=1)
        [got] = sub.received()
        assert (got.topic, got.payload, got.retain, got.qos) == ("cfg/a", b"A", True, 1)
        await sub.subscribe("cfg/+")  # AWS mode: a wildcard subscription gets no retained messages
        assert sub.received() == []
        await sub.subscribe(("cfg/a", SubscriptionOptions(1, retain_handling=1)))  # not new: none
        assert sub.received() == []
        await sub.subscribe(("cfg/b", SubscriptionOptions(1, retain_handling=2)))
        assert sub.received() == []
        await pub.publish("cfg/a", b"", retain=True)  # an empty payload deletes it...
        assert [p.payload for p in sub.received()] == [b"", b""]  # ...and still goes to subscribers
        assert h.data.retained(ACCOUNT, REGION, "cfg/a") is None
        late = await h.connect("late")
        await late.subscribe("cfg/a")
        assert late.received() == []

    run(body)


def test_wildcards_get_retained_messages_in_relaxed_mode() -> None:
    async def body(h: Harness) -> None:
        pub = await h.connect("pub", peer=ANONYMOUS)
        for topic in ["s/1/t", "s/2/t", "s/2/h", "x/1/t"]:
            await pub.publish(topic, topic.encode(), retain=True)
        sub = await h.connect("sub", peer=ANONYMOUS)
        await sub.subscribe("s/+/t")
        assert sorted(p.topic for p in sub.received()) == ["s/1/t", "s/2/t"]
        await sub.subscribe("#")
        assert len(sub.received()) == 4
        await sub.subscribe("$share/g/s/#")  # never for shared subscriptions
        assert sub.received() == []

    run(body, mode="relaxed")


def test_retained_expire() -> None:
    async def body(h: Harness) -> None:
        pub = await h.connect("pub", level=MQTT_5)
        await pub.publish("e", b"soon", retain=True, props=Properties(message_expiry_interval=10))
        h.clock.advance(4)
        sub = await h.connect("sub", level=MQTT_5)
        await sub.subscribe("e")
        [got] = sub.received()
        assert got.properties.message_expiry_interval == 6
        h.clock.advance(7)
        assert h.data.retained(ACCOUNT, REGION, "e") is None
        late = await h.connect("late")
        await late.subscribe("e")
        assert late.received() == []

    run(body)


def test_data_plane_publish_get_and_list() -> None:
    certs = Certificates()
    certs.add(b"cert")
    policy = Policy(denied={("iot:Publish", arn("topic", "denied"))})

    async def body(h: Harness) -> None:
        sub = await h.connect("sub")
        await sub.subscribe("d/#")
        props = Properties(user_properties=[("k", "v")])
        await h.data.publish(ACCOUNT, REGION, "d/1", b"one", qos=1, retain=True, properties=props)
        for n in range(2, 6):
            await h.data.publish(ACCOUNT, REGION, f"d/{n}", b"n", retain=True)
        assert len(sub.received()) == 5
        one = h.data.retained(ACCOUNT, REGION, "d/1")
        assert one is not None and (one.payload, one.qos, one.user_properties) == (b"one", 1, b'[{"k": "v"}]')
        page, marker = h.data.list_retained(ACCOUNT, REGION, None, 2)
        assert [m.topic for m in page] == ["d/1", "d/2"] and marker == "d/2"
        page, marker = h.data.list_retained(ACCOUNT, REGION, marker, 10)
        assert [m.topic for m in page] == ["d/3", "d/4", "d/5"] and marker is None
        assert h.data.list_retained("999999999999", REGION, None, 10) == ([], None)
        with pytest.raises(DataPlaneError) as large:
            await h.data.publish(ACCOUNT, REGION, "d/x", b"x" * (128 * 1024 + 1))
        assert (large.value.code, large.value.status) == ("RequestEntityTooLargeException", 413)
        device = MqttPeer("https", "10.0.0.1:1", certificate_der=b"cert")
        with pytest.raises(DataPlaneError) as denied:
            await h.data.publish(ACCOUNT, REGION, "denied", b"", peer=device)
        assert denied.value.code == "UnauthorizedException"
        await h.data.publish("ignored", "ignored", "d/dev", b"", peer=device)  # the certificate's account
        assert [p.topic for p in sub.received()] == ["d/dev"]

    run(body, policy=policy, certificates=certs)
