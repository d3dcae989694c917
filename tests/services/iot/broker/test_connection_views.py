"""The broker's side of iot-data's connection operations (`DataPlane.connection`, `.subscriptions`,
`.send_direct`) driven with packet values on a test clock: the 30 minutes a departed client is
remembered, a takeover, paging, a direct message's PUBACK and its refusals."""

from __future__ import annotations

import asyncio

import pytest

from headwater.protocol.mqtt.packets import MQTT_5, Properties, Puback, Publish
from headwater.services.iot.broker.presence import MAX_DEPARTURES, Departure, Presence
from headwater.services.ports import DataPlaneError
from tests.services.iot.broker.harness import ACCOUNT, REGION, Harness, Policy, arn, run


def not_found(h: Harness, client_id: str) -> bool:
    try:
        h.data.connection(ACCOUNT, REGION, client_id)
    except DataPlaneError as error:
        return (error.code, error.status) == ("ResourceNotFoundException", 404)
    return False


def test_a_departed_client_is_remembered_for_30_minutes() -> None:
    async def body(h: Harness) -> None:
        client = await h.connect("gone", keep_alive=45)
        live = h.data.connection(ACCOUNT, REGION, "gone")
        assert (live.connected, live.clean_session, live.keep_alive) == (True, True, 45)
        assert live.connected_since_ms == h.clock.now_ms() and live.source == "10.0.0.9:50002"
        h.clock.advance(5)
        await client.drop()
        left = h.data.connection(ACCOUNT, REGION, "gone")
        assert (left.connected, left.disconnect_reason, left.disconnected_since_ms) == (
            False,
            "CONNECTION_LOST",
            h.clock.now_ms(),
        )
        assert left.connected_since_ms is None and left.source is None and left.keep_alive == 45
        h.clock.advance(29 * 60)
        assert h.data.connection(ACCOUNT, REGION, "gone").disconnect_reason == "CONNECTION_LOST"
        h.clock.advance(61)
        assert not_found(h, "gone")
        assert not_found(h, "never")

    run(body)


def test_a_takeover_keeps_the_new_connection_live() -> None:
    async def body(h: Harness) -> None:
        await h.connect("twin")
        h.clock.advance(3)
        await h.connect("twin", clean=False)
        info = h.data.connection(ACCOUNT, REGION, "twin")
        assert info.connected and info.connected_since_ms == h.clock.now_ms()
        assert info.disconnect_reason is None and not info.clean_session

    run(body)


def test_an_offline_persistent_session_and_its_subscriptions() -> None:
    async def body(h: Harness) -> None:
        client = await h.connect("kept", level=MQTT_5, props=Properties(session_expiry_interval=600))
        await client.subscribe("b/#", "a/+", "c", qos=1)
        page, marker = h.data.subscriptions(ACCOUNT, REGION, "kept", None, 2)
        assert (page, marker) == ([("a/+", 1), ("b/#", 1)], "b/#")
        assert h.data.subscriptions(ACCOUNT, REGION, "kept", marker, 2) == ([("c", 1)], None)
        await client.disconnect()
        info = h.data.connection(ACCOUNT, REGION, "kept")
        assert (info.connected, info.clean_session, info.session_expiry) == (False, False, 600)
        assert info.disconnect_reason == "CLIENT_INITIATED_DISCONNECT"
        assert len(h.data.subscriptions(ACCOUNT, REGION, "kept", None, 20)[0]) == 3
        with pytest.raises(DataPlaneError) as none:
            h.data.subscriptions(ACCOUNT, REGION, "nobody", None, 20)
        assert none.value.status == 404

    run(body)


def test_a_direct_message_at_qos_0_and_confirmed_by_its_puback() -> None:
    async def body(h: Harness) -> None:
        client = await h.connect("valve")
        await h.data.send_direct(ACCOUNT, REGION, "valve", "cmd/1", b"a")
        got = client.received()
        assert [(p.topic, p.payload, p.qos) for p in got] == [("cmd/1", b"a", 0)]
        sending = asyncio.ensure_future(
            h.data.send_direct(ACCOUNT, REGION, "valve", "cmd/2", b"b", confirm=True, timeout=5)
        )
        while not client.outlet.packets:
            await asyncio.sleep(0)
        (sent,) = client.received()
        assert (sent.topic, sent.qos) == ("cmd/2", 1) and not sending.done()
        assert sent.packet_id is not None
        await client.send(Puback(sent.packet_id))
        await sending  # answered by the PUBACK
        with pytest.raises(DataPlaneError) as late:
            await h.data.send_direct(ACCOUNT, REGION, "valve", "cmd/3", b"c", confirm=True, timeout=0.01)
        assert (late.value.code, late.value.status) == ("GatewayTimeoutException", 504)
        (unacked,) = [p for p in client.received() if type(p) is Publish]
        assert unacked.packet_id is not None
        await client.send(Puback(unacked.packet_id))  # a PUBACK after the timeout is harmless

    run(body)


def test_direct_message_refusals() -> None:
    policy = Policy(denied={("iot:Receive", arn("topic", "cmd/no"))})

    async def body(h: Harness) -> None:
        await h.connect("dev")
        await h.data.send_direct(ACCOUNT, REGION, "dev", "cmd/ok", b"x")
        cases = [
            ("cmd/no", 403, "ForbiddenException"),
            ("cmd/+", 400, "InvalidRequestException"),
        ]
        for topic, status, code in cases:
            with pytest.raises(DataPlaneError) as refused:
                await h.data.send_direct(ACCOUNT, REGION, "dev", topic, b"x")
            assert (refused.value.status, refused.value.code) == (status, code), topic
        with pytest.raises(DataPlaneError) as big:
            await h.data.send_direct(ACCOUNT, REGION, "dev", "cmd/ok", b"x" * (128 * 1024 + 1))
        assert big.value.status == 413
        with pytest.raises(DataPlaneError) as absent:
            await h.data.send_direct(ACCOUNT, REGION, "other", "cmd/ok", b"x")
        assert absent.value.status == 404

    run(body, policy=policy)


def test_presence_keeps_a_bounded_number_of_departures() -> None:
    presence = Presence()
    for n in range(MAX_DEPARTURES + 5):
        presence.left(("a", "r", f"c{n}"), object(), Departure(n, "CONNECTION_LOST", True, 0, 30, None))
    assert presence.departure(("a", "r", "c0"), MAX_DEPARTURES + 5) is None
    assert presence.departure(("a", "r", f"c{MAX_DEPARTURES + 4}"), MAX_DEPARTURES + 5) is not None
