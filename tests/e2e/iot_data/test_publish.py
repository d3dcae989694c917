"""iot-data from boto3 and raw signed HTTP against a live server: Publish into the broker, retained
messages read back (GetRetainedMessage, ListRetainedMessages), DeleteConnection, and AWS's errors."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError


@pytest.fixture
def data(client: Callable[..., Any]) -> Any:
    return client("iot-data")


def code_of(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = error.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_retained_publish_read_back_listed_and_deleted(data: Any) -> None:
    before = int(time.time() * 1000)
    data.publish(topic="home/kitchen/temp", qos=1, retain=True, payload=b"\x00\x01 21.5")
    got = data.get_retained_message(topic="home/kitchen/temp")
    assert (got["topic"], got["payload"], got["qos"]) == ("home/kitchen/temp", b"\x00\x01 21.5", 1)
    assert before - 1000 <= got["lastModifiedTime"] <= int(time.time() * 1000) + 1000
    listed = data.list_retained_messages()["retainedTopics"]
    assert [(m["topic"], m["payloadSize"], m["qos"]) for m in listed] == [("home/kitchen/temp", 7, 1)]
    data.publish(topic="home/kitchen/temp", retain=True)  # an empty retained payload deletes it
    with pytest.raises(ClientError) as missing:
        data.get_retained_message(topic="home/kitchen/temp")
    assert code_of(missing) == (404, "ResourceNotFoundException")
    assert data.list_retained_messages()["retainedTopics"] == []


def test_a_publish_without_retain_keeps_nothing(data: Any) -> None:
    data.publish(topic="plain", payload=b"x")
    assert data.list_retained_messages()["retainedTopics"] == []


def test_listing_pages_in_topic_order(data: Any) -> None:
    topics = [f"fleet/{n:02d}/state" for n in range(7)]
    for topic in reversed(topics):
        data.publish(topic=topic, retain=True, payload=topic.encode())
    seen: list[str] = []
    token: dict[str, str] = {}
    for _ in range(10):
        page = data.list_retained_messages(maxResults=3, **token)
        assert len(page["retainedTopics"]) <= 3
        seen += [m["topic"] for m in page["retainedTopics"]]
        if "nextToken" not in page:
            break
        token = {"nextToken": page["nextToken"]}
    assert seen == topics
    paginator = data.get_paginator("list_retained_messages")
    assert [
        m["topic"] for p in paginator.paginate(PaginationConfig={"PageSize": 2}) for m in p["retainedTopics"]
    ] == topics


def test_mqtt5_user_properties_are_kept_with_the_retained_message(data: Any) -> None:
    users = [{"deviceName": "alpha"}, {"deviceCnt": "45"}]
    data.publish(
        topic="mqtt5/props",
        retain=True,
        payload=b"{}",
        userProperties=json.dumps(users),
        payloadFormatIndicator="UTF8_DATA",
        contentType="application/json",
        responseTopic="mqtt5/reply",
        correlationData=base64.b64encode(b"req-1").decode(),
        messageExpiry=3600,
    )
    got = data.get_retained_message(topic="mqtt5/props")
    assert json.loads(got["userProperties"]) == users


def test_accounts_and_regions_are_apart(client: Callable[..., Any], data: Any) -> None:
    data.publish(topic="shared/name", retain=True, payload=b"mine")
    other = client("iot-data", access_key="111122223333")
    elsewhere = client("iot-data", region="eu-west-1")
    for outsider in (other, elsewhere):
        assert outsider.list_retained_messages()["retainedTopics"] == []
        with pytest.raises(ClientError):
            outsider.get_retained_message(topic="shared/name")


def test_a_device_style_request(endpoint: str, data: Any) -> None:
    """As AWS's docs show it for curl: the topic's slashes as they are, signed for iotdevicegateway,
    the user properties base64 of the JSON list."""
    users = base64.b64encode(b'[{"k":"v"}]').decode()
    request = AWSRequest(
        "POST",
        f"{endpoint}/topics/devices/d1/state?qos=1&retain=true",
        data=b"on",
        headers={"x-amz-mqtt5-user-properties": users},
    )
    SigV4Auth(Credentials("test", "test"), "iotdevicegateway", "us-east-1").add_auth(request)
    prepared = request.prepare()
    reply = httpx.post(prepared.url, content=b"on", headers=dict(prepared.headers))
    assert reply.status_code == 200, reply.text
    got = data.get_retained_message(topic="devices/d1/state")
    assert (got["payload"], got["qos"], json.loads(got["userProperties"])) == (b"on", 1, [{"k": "v"}])


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"topic": "a", "qos": 2}, 400, "InvalidRequestException"),
        ({"topic": ""}, 400, "InvalidRequestException"),
        ({"topic": "a/+/b"}, 400, "InvalidRequestException"),
        ({"topic": "a/#"}, 400, "InvalidRequestException"),
        ({"topic": "a", "payload": b"x" * (128 * 1024 + 1)}, 413, "RequestEntityTooLargeException"),
    ],
)
def test_publish_errors(data: Any, params: dict[str, Any], status: int, code: str) -> None:
    with pytest.raises(ClientError) as refused:
        data.publish(**params)
    assert code_of(refused) == (status, code)


def test_the_largest_payload_is_accepted(data: Any) -> None:
    data.publish(topic="big", retain=True, payload=b"x" * 128 * 1024)
    assert data.list_retained_messages()["retainedTopics"][0]["payloadSize"] == 128 * 1024


def test_unknown_retained_topic_and_connection(data: Any) -> None:
    with pytest.raises(ClientError) as retained:
        data.get_retained_message(topic="never/published")
    assert code_of(retained) == (404, "ResourceNotFoundException")
    with pytest.raises(ClientError) as connection:
        data.delete_connection(clientId="nobody", cleanSession=True)
    assert code_of(connection) == (404, "ResourceNotFoundException")


def test_a_missing_shadow_is_not_found(data: Any) -> None:
    # shadows are served (tests/e2e/iot_shadow/ has the rest)
    with pytest.raises(ClientError) as refused:
        data.get_thing_shadow(thingName="t")
    assert code_of(refused) == (404, "ResourceNotFoundException")
    assert refused.value.response["Error"]["Message"] == "No shadow exists with name: 't'"
