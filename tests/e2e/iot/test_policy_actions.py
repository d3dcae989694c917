"""IoT policies enforced on each action, with paho-mqtt over mutual TLS against an AWS-mode gateway:
iot:Connect on the client id, iot:Publish, iot:Subscribe on the topic filter, iot:Receive on every
delivery (a policy change stops deliveries to a live subscription), iot:RetainPublish; an explicit
Deny beats an Allow; `*` and `?` in resources, MQTT wildcards literal."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot.policies import (
    ARN,
    CONNECT_ANY,
    NOT_AUTHORIZED,
    Probe,
    allow,
    certificate,
    deny,
    document,
    probe,
    unique,
)


def test_connect_is_checked_on_the_client_id(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(aws, tmp_path, allow("iot:Connect", f"{ARN}:client/sensor-?"))
    probe(aws, cert, "sensor-1").close()
    refused = Probe("sensor-10", "5", cert.context(aws)).start(aws.mtls)
    assert refused.connack == NOT_AUTHORIZED
    refused.close()
    nothing = certificate(aws, tmp_path)  # no policy at all: implicit deny
    bare = Probe("sensor-2", "5", nothing.context(aws)).start(aws.mtls)
    assert bare.connack == NOT_AUTHORIZED
    bare.close()


def test_publish_allowed_and_denied(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(
        aws,
        tmp_path,
        CONNECT_ANY,
        allow("iot:Publish", [f"{ARN}:topic/sensors/*/temperature", f"{ARN}:topic/exact"]),
    )
    client = probe(aws, cert, unique("pub"))
    try:
        assert client.publish("sensors/kitchen/temperature") == 0
        assert client.publish("sensors/a/b/temperature") == 0  # `*` spans levels: it is not `+`
        assert client.publish("exact") == 0
        assert client.publish("sensors/kitchen/humidity") == NOT_AUTHORIZED
        assert client.publish("exact/more") == NOT_AUTHORIZED
        assert not client.closed.is_set()  # MQTT 5: told in the PUBACK, the connection stays
    finally:
        client.close()


def test_subscribe_is_checked_on_the_topic_filter(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(
        aws,
        tmp_path,
        CONNECT_ANY,
        allow("iot:Subscribe", [f"{ARN}:topicfilter/alerts/+", f"{ARN}:topicfilter/logs/*"]),
        allow("iot:Receive", f"{ARN}:topic/*"),
    )
    client = probe(aws, cert, unique("sub"))
    try:
        # MQTT's `+` is a literal character in a policy: only the filter `alerts/+` itself matches
        assert client.subscribe("alerts/+") == [1]
        assert client.subscribe("alerts/fire") == [NOT_AUTHORIZED]
        assert client.subscribe("alerts/#") == [NOT_AUTHORIZED]
        assert client.subscribe("logs/#") == [1]  # `*` covers the filter's `#`
        assert client.subscribe("other") == [NOT_AUTHORIZED]
    finally:
        client.close()


def test_explicit_deny_beats_allow(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(
        aws,
        tmp_path,
        allow("iot:*", "*"),
        deny("iot:Publish", f"{ARN}:topic/secret/*"),
        deny("iot:Subscribe", f"{ARN}:topicfilter/secret/*"),
    )
    client = probe(aws, cert, unique("deny"))
    try:
        assert client.publish("open/a") == 0
        assert client.publish("secret/a") == NOT_AUTHORIZED
        assert client.subscribe("secret/#") == [NOT_AUTHORIZED]
        assert client.subscribe("open/#") == [1]
    finally:
        client.close()


def test_receive_is_checked_on_every_delivery(aws: Gateway, tmp_path: Path) -> None:
    """iot:Receive is evaluated per message: a subscription to `feed/#` gets only the topics the
    policy lets it receive, and a new default policy version stops deliveries to the live
    subscription (the API change invalidates the engine's 1 s decision cache)."""
    iot = aws.iot()
    policy = unique("receive")
    first = document(
        CONNECT_ANY,
        allow("iot:Subscribe", f"{ARN}:topicfilter/feed/*"),
        allow("iot:Receive", [f"{ARN}:topic/feed/public/*", f"{ARN}:topic/feed/sentinel"]),
    )
    cert = certificate(aws, tmp_path)
    iot.create_policy(policyName=policy, policyDocument=first)
    iot.attach_policy(policyName=policy, target=cert.arn)
    publisher = probe(aws, certificate(aws, tmp_path, allow("iot:*", "*")), unique("feeder"))
    subscriber = probe(aws, cert, unique("reader"))
    try:
        assert subscriber.subscribe("feed/#") == [1]
        for topic in ("feed/private/1", "feed/public/1", "feed/sentinel"):
            assert publisher.publish(topic, topic.encode()) == 0
        got = subscriber.received(2)
        assert [topic for topic, _, _ in got] == ["feed/public/1", "feed/sentinel"]

        second = document(
            CONNECT_ANY,
            allow("iot:Subscribe", f"{ARN}:topicfilter/feed/*"),
            allow("iot:Receive", f"{ARN}:topic/feed/sentinel"),
        )
        iot.create_policy_version(policyName=policy, policyDocument=second, setAsDefault=True)
        for topic in ("feed/public/2", "feed/sentinel"):
            assert publisher.publish(topic, topic.encode()) == 0
        got = subscriber.received(3)  # one QoS 1 session delivers in order: the sentinel comes last
        assert [topic for topic, _, _ in got] == ["feed/public/1", "feed/sentinel", "feed/sentinel"]
    finally:
        subscriber.close()
        publisher.close()


def test_retain_publish_needs_its_own_permission(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(
        aws,
        tmp_path,
        CONNECT_ANY,
        allow("iot:Publish", f"{ARN}:topic/*"),
        allow("iot:RetainPublish", f"{ARN}:topic/state/*"),
    )
    data = aws.iot("iot-data")
    client = probe(aws, cert, unique("retain"))
    try:
        assert client.publish("state/lamp", b"on", retain=True) == 0
        assert client.publish("other/lamp", b"on", retain=True) == NOT_AUTHORIZED
        assert client.publish("other/lamp", b"on") == 0  # the same topic unretained is a plain publish
    finally:
        client.close()
    assert data.get_retained_message(topic="state/lamp")["payload"] == b"on"
    with pytest.raises(ClientError) as missing:
        data.get_retained_message(topic="other/lamp")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
