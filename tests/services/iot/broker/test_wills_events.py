"""Wills (unclean ends, MQTT 5 will delay, none on DISCONNECT 0x00) and AWS IoT's lifecycle events."""

from __future__ import annotations

import asyncio
import json

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import MQTT_5, Properties, Will
from tests.services.iot.broker.harness import ACCOUNT, REGION, SIGNED, Harness, run


def test_will_on_an_unclean_end_only() -> None:
    async def body(h: Harness) -> None:
        watcher = await h.connect("watcher")
        await watcher.subscribe("wills/#")
        dropped = await h.connect("a", will=Will("wills/a", b"a died"))
        await dropped.drop()
        assert [p.payload for p in watcher.received()] == [b"a died"]
        polite = await h.connect("b", will=Will("wills/b", b"b died"))
        await polite.disconnect()
        assert watcher.received() == []
        with_will = await h.connect("c", level=MQTT_5, will=Will("wills/c", b"c asked"))
        await with_will.disconnect(rc.DISCONNECT_WITH_WILL)
        assert [p.payload for p in watcher.received()] == [b"c asked"]
        await h.connect("d", will=Will("wills/d", b"d replaced", retain=True))
        await h.connect("d")
        assert [p.payload for p in watcher.received()] == [b"d replaced"]
        assert h.data.retained(ACCOUNT, REGION, "wills/d") is not None

    run(body)


def test_mqtt5_will_delay() -> None:
    async def body(h: Harness) -> None:
        watcher = await h.connect("watcher")
        await watcher.subscribe("wills/#")
        delayed = Will("wills/e", b"late", properties=Properties(will_delay_interval=30))
        props = Properties(session_expiry_interval=300)
        e = await h.connect("e", level=MQTT_5, will=delayed, props=props)
        await e.drop()
        assert watcher.received() == []
        await h.connect("e", level=MQTT_5, clean=False, will=delayed, props=props)  # back in time: no will
        h.clock.advance(31)
        await asyncio.sleep(0.01)
        assert watcher.received() == []
        f = await h.connect(
            "f",
            level=MQTT_5,
            will=Will("wills/f", b"f", properties=Properties(will_delay_interval=30)),
            props=props,
        )
        await f.drop()
        h.clock.advance(31)
        for _ in range(100):
            if got := watcher.received():
                break
            await asyncio.sleep(0.005)
        assert [p.payload for p in got] == [b"f"]

    run(body)


def test_lifecycle_events() -> None:
    async def body(h: Harness) -> None:
        watcher = await h.connect("watcher")
        await watcher.subscribe("$aws/events/#")
        watcher.received()
        dev = await h.connect("dev1", peer=SIGNED)
        [connected] = watcher.received()
        assert connected.topic == "$aws/events/presence/connected/dev1"
        c = json.loads(connected.payload)
        assert c["clientId"] == "dev1" and c["eventType"] == "connected"
        assert c["principalIdentifier"] == "AKIDEXAMPLE" and c["ipAddress"] == "10.0.0.7"
        assert isinstance(c["timestamp"], int) and c["versionNumber"] == 1 and c["sessionIdentifier"]
        await dev.subscribe("a/b", "c/+")
        [subscribed] = watcher.received()
        s = json.loads(subscribed.payload)
        assert subscribed.topic == "$aws/events/subscriptions/subscribed/dev1"
        assert s["topics"] == ["a/b", "c/+"] and s["eventType"] == "subscribed"
        await dev.unsubscribe("a/b")
        [unsubscribed] = watcher.received()
        assert json.loads(unsubscribed.payload)["topics"] == ["a/b"]
        await dev.drop()
        [gone] = watcher.received()
        d = json.loads(gone.payload)
        assert gone.topic == "$aws/events/presence/disconnected/dev1"
        assert d["clientInitiatedDisconnect"] is False and d["disconnectReason"] == "CONNECTION_LOST"
        assert d["versionNumber"] == 1 and d["sessionIdentifier"] == c["sessionIdentifier"]
        dev = await h.connect("dev1")
        await h.connect("dev1")  # takeover
        events = [json.loads(p.payload) for p in watcher.received()]
        assert [(e["eventType"], e["versionNumber"]) for e in events] == [
            ("connected", 2),
            ("disconnected", 2),
            ("connected", 3),
        ]
        assert events[1]["disconnectReason"] == "DUPLICATE_CLIENTID"
        await h.connect("odd+id")  # AWS sends no lifecycle events for ids with + or #
        assert watcher.received() == []

    run(body)


def test_delete_connection() -> None:
    async def body(h: Harness) -> None:
        watcher = await h.connect("watcher")
        await watcher.subscribe("wills/#")
        dev = await h.connect("dev", clean=False, will=Will("wills/dev", b"bye"))
        await h.data.delete_connection(ACCOUNT, REGION, "dev", clean_session=True, prevent_will=True)
        assert dev.outlet.closed == rc.ADMINISTRATIVE_ACTION
        assert watcher.received() == [] and "dev" not in h.namespace_sessions()
        try:
            await h.data.delete_connection(ACCOUNT, REGION, "dev", clean_session=False, prevent_will=False)
        except Exception as error:  # noqa: BLE001
            assert getattr(error, "code", None) == "ResourceNotFoundException"
        else:
            raise AssertionError("no error for an absent connection")

    run(body)
