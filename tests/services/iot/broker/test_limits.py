"""AWS IoT's limits and QoS 2 rules in AWS mode, lifted in relaxed mode; publish/subscribe policy
refusals as AWS answers them for each MQTT version."""

from __future__ import annotations

import time

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import (
    MQTT_5,
    Properties,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Subscribe,
    SubscriptionOptions,
)
from headwater.runtime.clock import TestClock
from headwater.services.iot.broker.context import MAX_PAYLOAD
from tests.services.iot.broker.harness import ANONYMOUS, Harness, Policy, arn, run


def test_payload_topic_and_depth_limits_in_aws_mode() -> None:
    async def body(h: Harness) -> None:
        sub = await h.connect("sub")
        await sub.subscribe("#")
        big = await h.connect("big", level=MQTT_5)
        await big.publish("t", b"x" * MAX_PAYLOAD)
        assert len(sub.received()) == 1
        await big.publish("t", b"x" * (MAX_PAYLOAD + 1))
        assert big.outlet.closed == rc.PACKET_TOO_LARGE and sub.received() == []
        deep = await h.connect("deep", level=MQTT_5)
        await deep.publish("/".join("abcdefghi"), qos=1)  # 8 slashes
        assert deep.outlet.take(Puback) == [Puback(1, rc.TOPIC_NAME_INVALID)]
        await deep.publish("$aws/rules/r/" + "/".join("abcdefgh"), qos=1)  # the prefix is not counted
        assert deep.outlet.take(Puback) == [Puback(2)]
        assert sub.received() == []  # Basic Ingest goes to rules, never to subscribers
        v3 = await h.connect("v3")
        await v3.publish("t" * 257)
        assert v3.outlet.closed == rc.TOPIC_NAME_INVALID  # AWS disconnects a 3.1.1 client

    run(body)


def test_limits_are_off_in_relaxed_mode() -> None:
    async def body(h: Harness) -> None:
        sub = await h.connect("sub", peer=ANONYMOUS)
        await sub.subscribe(*[f"f/{n}" for n in range(9)])
        await sub.subscribe("#")
        pub = await h.connect("pub", peer=ANONYMOUS)
        await pub.publish("/".join("abcdefghijk"), b"x" * (MAX_PAYLOAD + 1))
        for _n in range(150):
            await pub.publish("f/1", b"fast")
        assert pub.outlet.closed is None and len(sub.received()) == 1 + 2 * 150

    run(body, mode="relaxed")


def test_subscribe_limits_and_unsupported_features() -> None:
    async def body(h: Harness) -> None:
        v5 = await h.connect("v5", level=MQTT_5)
        ack = await v5.subscribe(*[f"f/{n}" for n in range(9)])
        assert ack is not None and ack.reason_codes == [rc.QUOTA_EXCEEDED] * 9
        ack = await v5.subscribe("a/#/b", "$aws/rules/x/y", "ok", qos=2)
        assert ack is not None and ack.reason_codes == [rc.TOPIC_FILTER_INVALID, rc.TOPIC_FILTER_INVALID, 1]
        await v5.send(Subscribe(50, [("x", SubscriptionOptions())], Properties(subscription_identifiers=[3])))
        assert v5.outlet.closed == rc.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED
        many = await h.connect("many", level=MQTT_5)
        for n in range(0, 50, 5):
            await many.subscribe(*[f"s/{n + i}" for i in range(5)])
        ack = await many.subscribe("s/0", "s/50")  # 50 subscriptions per connection
        assert ack is not None and ack.reason_codes == [0, rc.QUOTA_EXCEEDED]
        v3 = await h.connect("v3")
        assert await v3.subscribe("q2", qos=2) is None  # AWS: no SUBACK for QoS 2 from 3.1.1
        ack = await v3.subscribe(*[f"f/{n}" for n in range(9)])
        assert ack is not None and ack.reason_codes == [rc.V3_SUBACK_FAILURE] * 9

    run(body)


def test_qos2_as_aws_and_downgraded_in_relaxed_mode() -> None:
    async def aws(h: Harness) -> None:
        sub = await h.connect("sub")
        await sub.subscribe("t", qos=1)
        v3 = await h.connect("v3")
        await v3.send(Publish("t", b"q2", 2, packet_id=7))
        assert v3.outlet.packets == [] and v3.outlet.closed is None and sub.received() == []
        v5 = await h.connect("v5", level=MQTT_5)
        await v5.send(Publish("t", b"q2", 2, packet_id=7))
        assert v5.outlet.closed == rc.QOS_NOT_SUPPORTED

    async def relaxed(h: Harness) -> None:
        sub = await h.connect("sub", peer=ANONYMOUS)
        await sub.subscribe("t", qos=2)
        pub = await h.connect("pub", peer=ANONYMOUS)
        await pub.send(Publish("t", b"q2", 2, packet_id=7))
        assert pub.outlet.take() == [Pubrec(7)]
        await pub.send(Pubrel(7))
        assert pub.outlet.take() == [Pubcomp(7)]
        assert [(p.qos, p.payload) for p in sub.received()] == [(1, b"q2")]

    run(aws)
    run(relaxed, mode="relaxed")


class FrozenClock(TestClock):
    """A test clock that moves only when advanced (TestClock runs on with the wall clock)."""

    def __init__(self) -> None:
        super().__init__()
        self.base = time.time()

    def now(self) -> float:
        return self.base + self.offset


def test_publish_rate_per_connection() -> None:
    async def body(h: Harness) -> None:
        sub = await h.connect("sub")
        await sub.subscribe("r")
        pub = await h.connect("pub", level=MQTT_5)
        for _ in range(100):
            await pub.publish("r", qos=1)
        await pub.publish("r", qos=1)
        acks = pub.outlet.take(Puback)
        assert [a.reason_code for a in acks] == [0] * 100 + [rc.QUOTA_EXCEEDED]
        assert len(sub.received()) == 100
        h.clock.advance(0.0501)  # five more tokens (and a hair, for the float sum)
        for _ in range(5):
            await pub.publish("r", qos=1)
        assert [a.reason_code for a in pub.outlet.take(Puback)] == [0] * 5

    run(body, clock=FrozenClock())  # no token may come back while a loaded machine runs the loop


def test_publish_and_subscribe_refusals() -> None:
    policy = Policy(
        denied={
            ("iot:Publish", arn("topic", "locked")),
            ("iot:RetainPublish", arn("topic", "noretain")),
            ("iot:Subscribe", arn("topicfilter", "secret/#")),
        }
    )

    async def body(h: Harness) -> None:
        v5 = await h.connect("v5", level=MQTT_5)
        await v5.publish("locked", qos=1)
        await v5.publish("noretain", qos=1, retain=True)
        await v5.publish("noretain", qos=1)
        assert [a.reason_code for a in v5.outlet.take(Puback)] == [rc.NOT_AUTHORIZED, rc.NOT_AUTHORIZED, 0]
        ack = await v5.subscribe("secret/#", "open/#")
        assert ack is not None and ack.reason_codes == [rc.NOT_AUTHORIZED, 0]
        v3 = await h.connect("v3")
        ack = await v3.subscribe("secret/#")
        assert ack is not None and ack.reason_codes == [rc.V3_SUBACK_FAILURE]
        await v3.publish("locked")
        assert v3.outlet.closed == rc.NOT_AUTHORIZED  # AWS disconnects a 3.1.1 publisher

    run(body, policy=policy)
