"""What a client the policies deny sees, in MQTT 3.1.1 and 5, as AWS IoT answers it:

| denied    | MQTT 5                                   | MQTT 3.1.1                                  |
|-----------|------------------------------------------|---------------------------------------------|
| CONNECT   | CONNACK 0x87                             | no CONNACK: the connection is closed        |
| PUBLISH   | QoS 1: PUBACK 0x87; QoS 0: dropped       | the connection is closed                    |
| SUBSCRIBE | SUBACK 0x87 for that filter              | SUBACK 0x80 for that filter                 |

(awsiotsdk reports the 3.1.1 cases as AWS_ERROR_MQTT_UNEXPECTED_HANGUP, as against AWS.) Revocation:
UpdateCertificate INACTIVE or REVOKED drops the certificate's live connections and the next connect
is refused; iot-data DeleteConnection disconnects a client."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from awscrt import mqtt, mqtt5
from awscrt.exceptions import AwsCrtError
from awsiot import mqtt5_client_builder, mqtt_connection_builder
from botocore.exceptions import ClientError

from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot.policies import (
    ARN,
    CONNECT_ANY,
    NOT_AUTHORIZED,
    V3_SUBACK_FAILURE,
    Cert,
    Probe,
    allow,
    certificate,
    probe,
    unique,
)
from tests.e2e.support.clients import client_for

TIMEOUT = 10
OPEN = [
    allow("iot:Connect", f"{ARN}:client/open-*"),
    allow(["iot:Publish", "iot:Receive"], f"{ARN}:topic/open/*"),
    allow("iot:Subscribe", f"{ARN}:topicfilter/open/*"),
]


def test_denied_connect(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(aws, tmp_path, *OPEN)
    v5 = Probe("closed-5", "5", cert.context(aws)).start(aws.mtls)
    v3 = Probe("closed-3", "3.1.1", cert.context(aws)).start(aws.mtls)
    try:
        assert v5.connack == NOT_AUTHORIZED
        assert v3.refused_without_connack
    finally:
        v5.close()
        v3.close()


def test_denied_publish_mqtt5(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(aws, tmp_path, *OPEN)
    client = probe(aws, cert, unique("open"))
    listener = probe(aws, certificate(aws, tmp_path, allow("iot:*", "*")), unique("listener"))
    try:
        assert listener.subscribe("#") == [1]
        assert client.publish("closed/a", b"qos1", qos=1) == NOT_AUTHORIZED
        assert client.publish("closed/b", b"qos0", qos=0) == 0  # sent; the broker drops it silently
        assert client.publish("open/c", b"after") == 0
        got = listener.received(1)
        assert [topic for topic, _, _ in got] == ["open/c"]  # nothing of the denied ones came through
        assert not client.closed.is_set()
    finally:
        client.close()
        listener.close()


@pytest.mark.parametrize("qos", [0, 1])
def test_denied_publish_mqtt311_closes_the_connection(aws: Gateway, tmp_path: Path, qos: int) -> None:
    cert = certificate(aws, tmp_path, *OPEN)
    client = probe(aws, cert, unique("open"), version="3.1.1")
    try:
        assert client.publish("open/fine") == 0
        client.publish_unanswered("closed/a", qos=qos)
        assert client.wait_closed() == -1  # 3.1.1 has no DISCONNECT from the server: the socket closes
    finally:
        client.close()


@pytest.mark.parametrize(("version", "refused"), [("5", NOT_AUTHORIZED), ("3.1.1", V3_SUBACK_FAILURE)])
def test_denied_subscribe(aws: Gateway, tmp_path: Path, version: str, refused: int) -> None:
    cert = certificate(aws, tmp_path, *OPEN)
    client = probe(aws, cert, unique("open"), version=version)
    try:
        # one SUBSCRIBE with an allowed and a denied filter: a code for each, the connection stays
        _, mid = client.client.subscribe([("open/a", 1), ("closed/b", 1)])
        assert wait_suback(client, mid) == [1, refused]
        assert client.publish("open/a", b"still here") == 0
        assert client.received(1)[0] == ("open/a", b"still here", False)
    finally:
        client.close()


def wait_suback(client: Probe, mid: int) -> list[int]:
    return wait_for(lambda: client.subacks.get(mid), TIMEOUT, "the SUBACK")


# --- the AWS IoT Device SDK ---------------------------------------------------------------------


def test_awsiotsdk_mqtt3_denied_connect_is_a_hangup(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(aws, tmp_path, *OPEN)
    connection = mqtt_connection_builder.mtls_from_path(
        endpoint="localhost", port=aws.mtls, cert_filepath=cert.cert_path, pri_key_filepath=cert.key_path,
        ca_filepath=aws.root_ca, client_id="closed-sdk3", clean_session=True,
    )  # fmt: skip
    with pytest.raises(AwsCrtError) as raised:
        connection.connect().result(TIMEOUT)
    assert raised.value.name == "AWS_ERROR_MQTT_UNEXPECTED_HANGUP"


def _mqtt5(aws: Gateway, cert: Cert, client_id: str) -> tuple[mqtt5.Client, Future[Any], threading.Event]:
    outcome: Future[Any] = Future()
    stopped = threading.Event()
    client = mqtt5_client_builder.mtls_from_path(
        endpoint="localhost", port=aws.mtls, cert_filepath=cert.cert_path, pri_key_filepath=cert.key_path,
        ca_filepath=aws.root_ca, client_id=client_id,
        on_lifecycle_connection_success=lambda data: outcome.done() or outcome.set_result(data),
        on_lifecycle_connection_failure=lambda data: outcome.done() or outcome.set_result(data),
        on_lifecycle_stopped=lambda data: stopped.set(),
    )  # fmt: skip
    client.start()
    return client, outcome, stopped


def test_awsiotsdk_mqtt5_denials(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(aws, tmp_path, *OPEN)
    refused, outcome, stopped = _mqtt5(aws, cert, "closed-sdk5")
    try:
        failure = outcome.result(TIMEOUT)
        assert isinstance(failure, mqtt5.LifecycleConnectFailureData)
        assert failure.connack_packet.reason_code == mqtt5.ConnectReasonCode.NOT_AUTHORIZED
    finally:
        refused.stop()
        stopped.wait(TIMEOUT)
    client, outcome, stopped = _mqtt5(aws, cert, unique("open-sdk5"))
    try:
        assert isinstance(outcome.result(TIMEOUT), mqtt5.LifecycleConnectSuccessData)
        subscribe = mqtt5.SubscribePacket(
            [mqtt5.Subscription("open/x", mqtt5.QoS.AT_LEAST_ONCE), mqtt5.Subscription("closed/x")]
        )
        assert client.subscribe(subscribe).result(TIMEOUT).reason_codes == [
            mqtt5.SubackReasonCode.GRANTED_QOS_1,
            mqtt5.SubackReasonCode.NOT_AUTHORIZED,
        ]
        denied = mqtt5.PublishPacket(topic="closed/x", payload=b"no", qos=mqtt5.QoS.AT_LEAST_ONCE)
        puback = client.publish(denied).result(TIMEOUT).puback
        assert puback.reason_code == mqtt5.PubackReasonCode.NOT_AUTHORIZED
        allowed = mqtt5.PublishPacket(topic="open/x", payload=b"yes", qos=mqtt5.QoS.AT_LEAST_ONCE)
        assert client.publish(allowed).result(TIMEOUT).puback.reason_code == mqtt5.PubackReasonCode.SUCCESS
    finally:
        client.stop()
        stopped.wait(TIMEOUT)


# --- revocation and DeleteConnection ------------------------------------------------------------


def _cannot_connect(aws: Gateway, cert: Cert, version: str) -> bool:
    attempt = Probe(unique("again"), version, cert.context(aws))
    try:
        attempt.start(aws.mtls)
    except OSError:  # refused in the TLS handshake (TLS 1.2)
        return True
    finally:
        attempt.close()
    return attempt.connack != 0  # TLS 1.3 finishes the handshake: the server closes after it


@pytest.mark.parametrize(
    ("status", "version", "seen"), [("INACTIVE", "5", NOT_AUTHORIZED), ("REVOKED", "3.1.1", -1)]
)
def test_update_certificate_drops_live_connections(
    aws: Gateway, tmp_path: Path, status: str, version: str, seen: int
) -> None:
    cert = certificate(aws, tmp_path, CONNECT_ANY, allow("iot:*", "*"))
    client = probe(aws, cert, unique("doomed"), version=version)
    try:
        assert client.publish("before/revocation") == 0
        aws.iot().update_certificate(certificateId=cert.id, newStatus=status)
        assert client.wait_closed() == seen  # MQTT 5 is told why: DISCONNECT 0x87
    finally:
        client.close()
    assert _cannot_connect(aws, cert, version)
    if status == "INACTIVE":  # INACTIVE can be undone: the certificate connects again
        aws.iot().update_certificate(certificateId=cert.id, newStatus="ACTIVE")
        probe(aws, cert, unique("back")).close()


def test_delete_connection_disconnects_a_client(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(aws, tmp_path, allow("iot:*", "*"))
    client_id = unique("kicked")
    client = probe(aws, cert, client_id)
    data = aws.iot("iot-data")
    try:
        data.delete_connection(clientId=client_id)
        assert client.wait_closed() == 0x98  # MQTT 5: DISCONNECT "administrative action"
    finally:
        client.close()
    with pytest.raises(ClientError) as raised:
        data.delete_connection(clientId=client_id)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_mqtt3_sdk_publish_denied_is_a_hangup(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(aws, tmp_path, *OPEN)
    interrupted = threading.Event()
    connection = mqtt_connection_builder.mtls_from_path(
        endpoint="localhost", port=aws.mtls, cert_filepath=cert.cert_path, pri_key_filepath=cert.key_path,
        ca_filepath=aws.root_ca, client_id=unique("open-sdk3"), clean_session=True,
        on_connection_interrupted=lambda connection, error, **kwargs: interrupted.set(),
    )  # fmt: skip
    connection.connect().result(TIMEOUT)
    try:
        connection.publish("closed/x", b"no", mqtt.QoS.AT_MOST_ONCE)
        assert interrupted.wait(TIMEOUT), "the broker kept a 3.1.1 connection that published where it may not"
    finally:
        connection.disconnect().result(TIMEOUT)


def test_x509_https_publish_is_checked_too(aws: Gateway, tmp_path: Path) -> None:
    """HTTPS publish with a device certificate (port 8443's role): iot:Publish and iot:RetainPublish
    as over MQTT; a denied one answers 401 UnauthorizedException."""
    cert = certificate(aws, tmp_path, allow("iot:Publish", f"{ARN}:topic/open/*"))
    data = client_for(
        f"https://localhost:{aws.https}", "iot-data", verify=aws.root_ca,
        client_cert=(cert.cert_path, cert.key_path),
    )  # fmt: skip
    data.publish(topic="open/https", qos=1, payload=b"fine")
    for params in ({"topic": "closed/https"}, {"topic": "open/https", "retain": True}):
        with pytest.raises(ClientError) as raised:
            data.publish(qos=1, payload=b"no", **params)
        error = raised.value.response
        assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (
            401,
            "UnauthorizedException",
        )
