"""AWS's device SDK (awsiotsdk on awscrt) as a device would use it, over MQTT 3.1.1 with mutual TLS:
the classic `IotShadowClient` (exact `/accepted`, `/rejected` and `/update/delta` subscriptions)
and the request-response `IotShadowClientV2`, which subscribes to `<request>/+` wildcards and
matches answers to requests by their clientToken."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from awscrt import mqtt, mqtt_request_response
from awsiot import ServiceStreamOptions, V2ServiceException, iotshadow, mqtt_connection_builder

from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot_shadow.conftest import document, update

TIMEOUT = 10
SLOW = 30  # eight requests at once on a loaded machine
QOS1 = mqtt.QoS.AT_LEAST_ONCE


def _connection(aws: Gateway, tmp_path: Path, client_id: str, connect: bool = True) -> mqtt.Connection:
    device = aws.device(tmp_path)
    connection = mqtt_connection_builder.mtls_from_path(
        endpoint="localhost", port=aws.mtls, cert_filepath=device.cert_path, pri_key_filepath=device.key_path,
        ca_filepath=aws.root_ca, client_id=client_id, clean_session=True,
    )  # fmt: skip
    if connect:
        connection.connect().result(TIMEOUT)
    return connection


def test_classic_shadow_client(aws: Gateway, tmp_path: Path) -> None:
    connection = _connection(aws, tmp_path, "sdk-shadow-v1")
    client = iotshadow.IotShadowClient(connection)
    thing = "sdk-bulb"
    accepted: list[iotshadow.UpdateShadowResponse] = []
    deltas: list[iotshadow.ShadowDeltaUpdatedEvent] = []
    got: list[iotshadow.GetShadowResponse] = []
    rejected: list[iotshadow.ErrorResponse] = []
    try:
        for future in (
            client.subscribe_to_update_shadow_accepted(
                iotshadow.UpdateShadowSubscriptionRequest(thing_name=thing), QOS1, accepted.append
            )[0],
            client.subscribe_to_update_shadow_rejected(
                iotshadow.UpdateShadowSubscriptionRequest(thing_name=thing), QOS1, rejected.append
            )[0],
            client.subscribe_to_shadow_delta_updated_events(
                iotshadow.ShadowDeltaUpdatedSubscriptionRequest(thing_name=thing), QOS1, deltas.append
            )[0],
            client.subscribe_to_get_shadow_accepted(
                iotshadow.GetShadowSubscriptionRequest(thing_name=thing), QOS1, got.append
            )[0],
        ):
            future.result(TIMEOUT)
        reported = iotshadow.ShadowState(reported={"color": "off"})
        client.publish_update_shadow(
            iotshadow.UpdateShadowRequest(thing_name=thing, state=reported, client_token="t1"), QOS1
        ).result(TIMEOUT)
        wait_for(lambda: accepted, what="update accepted")
        assert accepted[0].client_token == "t1" and accepted[0].version == 1
        assert accepted[0].state.reported == {"color": "off"}

        update(aws.iot("iot-data"), thing, {"desired": {"color": "blue"}})  # an app, through REST
        wait_for(lambda: deltas, what="the delta")
        assert deltas[0].state == {"color": "blue"} and deltas[0].version == 2

        client.publish_get_shadow(
            iotshadow.GetShadowRequest(thing_name=thing, client_token="g"), QOS1
        ).result(TIMEOUT)
        wait_for(lambda: got, what="get accepted")
        assert got[0].state.delta == {"color": "blue"} and got[0].client_token == "g"

        stale = iotshadow.UpdateShadowRequest(thing_name=thing, state=reported, version=1, client_token="old")
        client.publish_update_shadow(stale, QOS1).result(TIMEOUT)
        wait_for(lambda: rejected, what="update rejected")
        assert (rejected[0].code, rejected[0].message, rejected[0].client_token) == (
            409,
            "Version conflict",
            "old",
        )
    finally:
        connection.disconnect().result(TIMEOUT)


def test_request_response_shadow_client_v2(aws: Gateway, tmp_path: Path) -> None:
    connection = _connection(aws, tmp_path, "sdk-shadow-v2")
    options = mqtt_request_response.ClientOptions(
        max_request_response_subscriptions=4,
        max_streaming_subscriptions=2,
        operation_timeout_in_seconds=TIMEOUT,
    )
    client = iotshadow.IotShadowClientV2(connection, options)
    thing = "sdk-v2"
    deltas: list[iotshadow.ShadowDeltaUpdatedEvent] = []
    subscribed = threading.Event()

    def status(event: Any) -> None:
        if event.type == mqtt_request_response.SubscriptionStatusEventType.SUBSCRIPTION_ESTABLISHED:
            subscribed.set()

    stream = client.create_shadow_delta_updated_stream(
        iotshadow.ShadowDeltaUpdatedSubscriptionRequest(thing_name=thing),
        ServiceStreamOptions(incoming_event_listener=deltas.append, subscription_status_listener=status),
    )
    try:
        stream.open()
        assert subscribed.wait(TIMEOUT), "the delta stream did not subscribe"
        with pytest.raises(V2ServiceException) as excinfo:  # get/+ wildcard, matched by clientToken
            client.get_shadow(iotshadow.GetShadowRequest(thing_name=thing)).result(TIMEOUT)
        error = excinfo.value.modeled_error
        assert error.code == 404 and error.message == f"No shadow exists with name: '{thing}'"

        desired = iotshadow.ShadowState(desired={"speed": 3})
        updated = client.update_shadow(iotshadow.UpdateShadowRequest(thing_name=thing, state=desired)).result(
            TIMEOUT
        )
        assert updated.version == 1 and updated.state.desired == {"speed": 3}
        wait_for(lambda: deltas, what="the delta event")
        assert deltas[0].state == {"speed": 3}

        named = iotshadow.UpdateNamedShadowRequest(
            thing_name=thing, shadow_name="motor", state=iotshadow.ShadowState(reported={"rpm": 900})
        )
        assert client.update_named_shadow(named).result(TIMEOUT).version == 1
        shadow = client.get_shadow(iotshadow.GetShadowRequest(thing_name=thing)).result(TIMEOUT)
        assert shadow.state.delta == {"speed": 3} and shadow.version == 1
        deleted = client.delete_named_shadow(
            iotshadow.DeleteNamedShadowRequest(thing_name=thing, shadow_name="motor")
        ).result(TIMEOUT)
        assert deleted.version == 1
        data = aws.iot("iot-data")
        assert document(data.get_thing_shadow(thingName=thing))["state"]["desired"] == {"speed": 3}
        assert data.list_named_shadows_for_thing(thingName=thing)["results"] == []
    finally:  # a StreamingOperation ends with its client (it has no close)
        connection.disconnect().result(TIMEOUT)


def test_concurrent_v2_requests_are_matched_by_token(aws: Gateway, tmp_path: Path) -> None:
    """Eight updates in flight at once on one connection, each answer matched by its clientToken.

    The requests are made before the connection is up, so all eight wait for the same pair of
    subscriptions (update/accepted, update/rejected) and the SDK subscribes once. Made on a live
    connection, they would race the SDK's own bookkeeping (aws-c-mqtt's request-response client):
    it unsubscribes the pair as soon as no request uses it (here, after the first answer), and a
    request made after the first of the two new SUBACKs was handled, but before the second, counts
    both subscriptions as pending while only one success event is still to come: it never sends
    its PUBLISH and times out (seen with awscrt 0.36; the broker answered every SUBSCRIBE)."""
    connection = _connection(aws, tmp_path, "sdk-shadow-v2-many", connect=False)
    options = mqtt_request_response.ClientOptions(
        max_request_response_subscriptions=4,
        max_streaming_subscriptions=1,
        operation_timeout_in_seconds=SLOW,
    )
    client = iotshadow.IotShadowClientV2(connection, options)
    try:
        futures = [
            client.update_shadow(
                iotshadow.UpdateShadowRequest(
                    thing_name="sdk-many", state=iotshadow.ShadowState(reported={"n": n})
                )
            )
            for n in range(8)
        ]
        connection.connect().result(TIMEOUT)
        versions = sorted(future.result(SLOW).version for future in futures)
        assert versions == list(range(1, 9))
        final = json.loads(aws.iot("iot-data").get_thing_shadow(thingName="sdk-many")["payload"].read())
        assert final["version"] == 8
    finally:
        connection.disconnect().result(TIMEOUT)
