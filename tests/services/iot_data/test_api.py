"""The iot-data API through the whole gateway over ASGI, against a broker-side fake of the
`IotDataPlane` port: botocore serializes and signs each request (as boto3 would) and parses the
answer; raw requests stand in for devices and curl (unencoded slashes, the `iotdevicegateway` scope)."""

from __future__ import annotations

import base64
import json
from typing import Any, cast

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from headwater.config import Config
from headwater.listeners.http.gateway import Gateway
from headwater.listeners.http.server import gateway_for
from headwater.protocol.models import service_model
from headwater.runtime.clock import SystemClock
from headwater.services.base import Host, Ports, Service
from headwater.services.iot_data.entry import ENTRY as IOT_DATA
from headwater.services.operations import ServiceApi
from headwater.services.ports import ConnectionInfo, DataPlaneError, IotDataPlane
from tests.listeners.http.test_gateway_modeled import KEY, SECRET, NoCore, parse, send
from tests.listeners.http.test_gateway_query import ENDPOINT, NoAdmin, Reply, call
from tests.services.iot_data.fake_plane import FakePlane

DATA = service_model("iot-data")
REGION = "eu-west-2"


def gateway(plane: FakePlane | None = None, **config: Any) -> tuple[Gateway, FakePlane]:
    plane = plane or FakePlane()
    ports = Ports()
    ports.offer(IotDataPlane, plane)
    host = Host(Config(**config), cast(Any, None), SystemClock(), cast(Any, None), ports)
    iot = Service("iot", "iot", NoCore(), ServiceApi(None, {}))  # the control plane's routes, no operations
    built = [iot, IOT_DATA.build(host)]
    return gateway_for(Config(**config), built, NoAdmin(), SystemClock()), plane


def ok(app: Gateway, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    reply = send(app, DATA, operation, params)
    assert reply.status == 200, reply.body
    return parse(DATA, operation, reply)


def error(reply: Reply) -> tuple[int, str, str]:
    return reply.status, reply.headers["x-amzn-errortype"], reply.json().get("message", "")


def signed(
    method: str, path: str, body: bytes = b"", service: str = "iotdevicegateway", **headers: str
) -> Reply:
    """A request as a device or curl sends it: the path as given (slashes unencoded)."""
    request = AWSRequest(method, ENDPOINT + path, data=body, headers=headers)
    SigV4Auth(Credentials(KEY, SECRET), service, REGION).add_auth(request)
    prepared = request.prepare()
    return call(APP[0], method, prepared.url, body, dict(prepared.headers))


APP: list[Gateway] = []


@pytest.fixture
def app() -> tuple[Gateway, FakePlane]:
    built = gateway()
    APP[:] = [built[0]]
    return built


def test_publish_hands_the_raw_body_and_flags_to_the_broker(app: tuple[Gateway, FakePlane]) -> None:
    gw, plane = app
    assert (
        ok(
            gw,
            "Publish",
            {"topic": "sensors/room1/temp", "qos": 1, "retain": True, "payload": b"\x00\xff21.5"},
        )
        == {}
    )
    sent = plane.published[-1]
    assert (sent.account, sent.region, sent.topic) == (KEY, REGION, "sensors/room1/temp")
    assert (sent.payload, sent.qos, sent.retain, sent.properties) == (b"\x00\xff21.5", 1, True, None)


def test_mqtt5_headers_become_properties(app: tuple[Gateway, FakePlane]) -> None:
    gw, plane = app
    ok(
        gw,
        "Publish",
        {
            "topic": "req/1",
            "payload": b"{}",
            "userProperties": json.dumps([{"deviceName": "alpha"}, {"deviceCnt": "45", "n": 3}]),
            "payloadFormatIndicator": "UTF8_DATA",
            "correlationData": base64.b64encode(b"\x01\x02corr").decode(),
            "contentType": "application/json",
            "responseTopic": "resp/1",
            "messageExpiry": 60,
        },
    )
    props = plane.published[-1].properties
    assert props is not None
    assert props.user_properties == [("deviceName", "alpha"), ("deviceCnt", "45"), ("n", "3")]
    assert (props.payload_format_indicator, props.correlation_data) == (1, b"\x01\x02corr")
    assert (props.content_type, props.response_topic, props.message_expiry_interval) == (
        "application/json",
        "resp/1",
        60,
    )


def test_a_device_publish_signed_for_the_device_gateway_with_slashes_unencoded(
    app: tuple[Gateway, FakePlane],
) -> None:
    _, plane = app
    users = base64.b64encode(b'[{"k":"v"}]').decode()  # AWS's docs: the JSON list, base64 once
    reply = signed(
        "POST", "/topics/a/b/c?qos=1&retain=true", b"hello", **{"x-amz-mqtt5-user-properties": users}
    )
    assert reply.status == 200, reply.body
    sent = plane.published[-1]
    assert (sent.topic, sent.payload, sent.qos, sent.retain) == ("a/b/c", b"hello", 1, True)
    assert sent.properties is not None and sent.properties.user_properties == [("k", "v")]
    assert signed("GET", "/retainedMessage/a/b/c", service="iotdata").json()["topic"] == "a/b/c"


def test_retained_round_trip_listing_pages_and_deletion(app: tuple[Gateway, FakePlane]) -> None:
    gw, plane = app
    for n in range(5):
        ok(gw, "Publish", {"topic": f"t/{n}", "payload": b"x" * (n + 1), "qos": n % 2, "retain": True})
    ok(gw, "Publish", {"topic": "t/u", "payload": b"p", "retain": True, "userProperties": '[{"a":"b"}]'})
    got = ok(gw, "GetRetainedMessage", {"topic": "t/3"})
    assert got == {"topic": "t/3", "payload": b"xxxx", "qos": 1, "lastModifiedTime": plane.now_ms}
    assert json.loads(ok(gw, "GetRetainedMessage", {"topic": "t/u"})["userProperties"]) == [{"a": "b"}]
    first = ok(gw, "ListRetainedMessages", {"maxResults": 4})
    assert [(m["topic"], m["payloadSize"], m["qos"]) for m in first["retainedTopics"]] == [
        ("t/0", 1, 0),
        ("t/1", 2, 1),
        ("t/2", 3, 0),
        ("t/3", 4, 1),
    ]
    rest = ok(gw, "ListRetainedMessages", {"maxResults": 4, "nextToken": first["nextToken"]})
    assert [m["topic"] for m in rest["retainedTopics"]] == ["t/4", "t/u"] and "nextToken" not in rest
    ok(gw, "Publish", {"topic": "t/3", "retain": True})  # an empty retained payload deletes
    status, code, message = error(send(gw, DATA, "GetRetainedMessage", {"topic": "t/3"}))
    assert (status, code) == (404, "ResourceNotFoundException") and "t/3" in message


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"topic": "", "payload": b"x"}, "The topic must not be empty"),
        ({"topic": "a", "qos": 2}, "Member must have value less than or equal to 1"),
        ({"topic": "a/+/b"}, "wildcard"),
        ({"topic": "a/#"}, "wildcard"),
        ({"topic": "a", "payloadFormatIndicator": "TEXT"}, "Member must satisfy enum value set"),
        ({"topic": "a", "userProperties": '{"a": "b"}'}, "JSON array of JSON objects"),
        ({"topic": "a", "userProperties": '[{"a": {"b": 1}}]'}, "must be a string"),
        ({"topic": "a", "correlationData": "not base64!"}, "base64"),
        ({"topic": "a", "responseTopic": "r/#"}, "wildcard"),
        ({"topic": "a", "messageExpiry": -1}, "messageExpiry"),
    ],
)
def test_publish_refuses_what_aws_refuses(
    app: tuple[Gateway, FakePlane], params: dict[str, Any], expected: str
) -> None:
    gw, plane = app
    status, code, message = error(send(gw, DATA, "Publish", params))
    assert (status, code) == (400, "InvalidRequestException") and expected in message
    assert plane.published == []


def test_broker_refusals_keep_their_code_and_status() -> None:
    gw, plane = gateway()
    plane.refuse = DataPlaneError("ForbiddenException", "Publishing to $aws/x is not allowed", 403)
    assert error(send(gw, DATA, "Publish", {"topic": "$aws/x"})) == (
        403,
        "ForbiddenException",
        "Publishing to $aws/x is not allowed",
    )


def test_delete_connection(app: tuple[Gateway, FakePlane]) -> None:
    gw, plane = app
    plane.clients.add("dev 1/a")
    ok(gw, "DeleteConnection", {"clientId": "dev 1/a", "cleanSession": True, "preventWillMessage": True})
    assert plane.deleted == [("dev 1/a", True, True)]
    status, code, _ = error(send(gw, DATA, "DeleteConnection", {"clientId": "dev 1/a"}))
    assert (status, code) == (404, "ResourceNotFoundException")
    status, code, message = error(send(gw, DATA, "DeleteConnection", {"clientId": "$bad"}))
    assert (status, code) == (400, "InvalidRequestException") and "clientId" in message


def test_bad_next_token(app: tuple[Gateway, FakePlane]) -> None:
    status, code, _ = error(send(app[0], DATA, "ListRetainedMessages", {"nextToken": "!!"}))
    assert (status, code) == (400, "InvalidRequestException")


def test_an_empty_retained_topic(app: tuple[Gateway, FakePlane]) -> None:
    status, code, message = error(send(app[0], DATA, "GetRetainedMessage", {"topic": ""}))
    assert (status, code, message) == (400, "InvalidRequestException", "The topic must not be empty")
    assert signed("GET", "/retainedMessage", service="iotdata").json() == {"retainedTopics": []}


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("GetThingShadow", {"thingName": "t"}),
        ("UpdateThingShadow", {"thingName": "t", "payload": b"{}"}),
        ("DeleteThingShadow", {"thingName": "t", "shadowName": "s"}),
        ("ListNamedShadowsForThing", {"thingName": "t"}),
    ],
)
def test_shadows_need_the_iot_service(
    app: tuple[Gateway, FakePlane], operation: str, params: dict[str, Any]
) -> None:
    # the shadow store is the iot service's (this gateway runs iot-data alone)
    status, code, _ = error(send(app[0], DATA, operation, params))
    assert (status, code) == (503, "ServiceUnavailableException")


def test_get_connection_shapes_the_broker_view(app: tuple[Gateway, FakePlane]) -> None:
    gw, plane = app
    plane.views["dev/1"] = ConnectionInfo(
        "dev/1", True, False, 3600, keep_alive=30, connected_since_ms=plane.now_ms, thing_name="pump",
        source="[::1]:50123", target="127.0.0.1:8883",
    )  # fmt: skip
    got = ok(gw, "GetConnection", {"clientId": "dev/1"})
    assert got == {
        "clientId": "dev/1", "connected": True, "cleanSession": False, "sessionExpiry": 3600,
        "keepAliveDuration": 30, "connectedSince": plane.now_ms, "thingName": "pump",
    }  # fmt: skip
    sockets = ok(gw, "GetConnection", {"clientId": "dev/1", "includeSocketInformation": True})
    assert (sockets["sourceIp"], sockets["sourcePort"]) == ("::1", 50123)
    assert (sockets["targetIp"], sockets["targetPort"]) == ("127.0.0.1", 8883)
    plane.views["gone"] = ConnectionInfo(
        "gone", False, True, 0, disconnected_since_ms=5, disconnect_reason="CONNECTION_LOST"
    )
    left = ok(gw, "GetConnection", {"clientId": "gone", "includeSocketInformation": True})
    assert (left["connected"], left["disconnectedSince"], left["disconnectReason"]) == (
        False,
        5,
        "CONNECTION_LOST",
    )
    assert "sourceIp" not in left
    status, code, _ = error(send(gw, DATA, "GetConnection", {"clientId": "nobody"}))
    assert (status, code) == (404, "ResourceNotFoundException")


def test_list_subscriptions_pages(app: tuple[Gateway, FakePlane]) -> None:
    gw, plane = app
    plane.subs["hub"] = [(f"f/{n:02}", n % 2) for n in range(25)]
    first = ok(gw, "ListSubscriptions", {"clientId": "hub"})
    assert len(first["subscriptions"]) == 20 and first["subscriptions"][1] == {
        "topicFilter": "f/01",
        "qos": 1,
    }
    rest = ok(gw, "ListSubscriptions", {"clientId": "hub", "nextToken": first["nextToken"]})
    assert [s["topicFilter"] for s in rest["subscriptions"]] == [f"f/{n}" for n in range(20, 25)]
    assert "nextToken" not in rest
    status, code, _ = error(send(gw, DATA, "ListSubscriptions", {"clientId": "hub", "maxResults": 201}))
    assert (status, code) == (400, "InvalidRequestException")
    status, code, _ = error(send(gw, DATA, "ListSubscriptions", {"clientId": "none"}))
    assert (status, code) == (404, "ResourceNotFoundException")


def test_send_direct_message_hands_the_message_to_the_broker(app: tuple[Gateway, FakePlane]) -> None:
    gw, plane = app
    answer = ok(
        gw,
        "SendDirectMessage",
        {"clientId": "v 1", "topic": "cmd/v1", "payload": b"\x01go", "contentType": "text/plain"},
    )
    assert answer["message"] and answer["traceId"]
    client_id, topic, payload, props, confirm, timeout = plane.direct[0]
    assert (client_id, topic, payload, confirm, timeout) == ("v 1", "cmd/v1", b"\x01go", False, 5.0)
    assert props is not None and props.content_type == "text/plain"
    params = {"clientId": "v", "topic": "t", "confirmation": True, "timeout": 9}
    ok(gw, "SendDirectMessage", params)
    assert plane.direct[1][4:] == (True, 9.0)
    for bad in ({"timeout": 0}, {"timeout": 16}, {"topic": "t/#"}):
        status, code, _ = error(send(gw, DATA, "SendDirectMessage", {**params, **bad}))
        assert (status, code) == (400, "InvalidRequestException"), bad
    plane.refuse = DataPlaneError("GatewayTimeoutException", "no PUBACK", 504)
    status, code, message = error(send(gw, DATA, "SendDirectMessage", params))
    assert (status, code, message) == (504, "GatewayTimeoutException", "no PUBACK")


def test_iot_control_plane_requests_stay_with_iot(app: tuple[Gateway, FakePlane]) -> None:
    # signed for `iot`, the thing path is the control plane's even though iot-data has /things/.../shadow
    reply = signed("GET", "/things/t/shadow", service="iot")
    assert reply.status == 404 and reply.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "iot-data" not in reply.json().get("message", "")


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/topics/x?qos=abc", {}, "is not a valid integer"),
        ("/topics/x?retain=maybe", {}, "is not a valid boolean"),
        ("/topics/x", {"x-amz-mqtt5-user-properties": "!!!"}, "base64-encoded JSON"),
        ("/topics/x", {"x-amz-mqtt5-user-properties": "e30="}, "JSON array of JSON objects"),  # {}
    ],
)
def test_values_that_do_not_parse_are_invalid_requests(
    app: tuple[Gateway, FakePlane], path: str, headers: dict[str, str], expected: str
) -> None:
    status, code, message = error(signed("POST", path, b"p", **headers))
    assert (status, code) == (400, "InvalidRequestException") and expected in message
    assert app[1].published == []
