"""The AWS IoT Device SDK v2 (awsiotsdk on awscrt/s2n) against the gateway: MQTT 3.1.1 over mutual
TLS on the MQTT port and on the ALPN port, MQTT 5 over mutual TLS, and MQTT 3.1.1 and 5 over
WebSocket signed with SigV4.

The SDK asks for ALPN x-amzn-mqtt-ca only when the port is 443, which a test cannot bind without
privileges: the ALPN test builds the same connection through the builder's own `_builder` with the
TLS options' `alpn_list` already set to ["x-amzn-mqtt-ca"] (the builder leaves it alone on other
ports), so everything but the port number is the SDK's 443 path.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from awscrt import auth, io, mqtt, mqtt5
from awsiot import mqtt5_client_builder, mqtt_connection_builder

from tests.e2e.iot.gateway import Gateway, wait_for

ENDPOINT = "localhost"
TIMEOUT = 10


def _roundtrip3(connection: mqtt.Connection, topic: str) -> None:
    received: list[bytes] = []
    connection.connect().result(TIMEOUT)
    try:
        subscribed, _ = connection.subscribe(
            topic, mqtt.QoS.AT_LEAST_ONCE, lambda topic, payload, **kwargs: received.append(payload)
        )
        subscribed.result(TIMEOUT)
        published, _ = connection.publish(topic, b"from the sdk", mqtt.QoS.AT_LEAST_ONCE)
        published.result(TIMEOUT)
        assert wait_for(lambda: received, what="the message back") == [b"from the sdk"]
    finally:
        connection.disconnect().result(TIMEOUT)


def test_mqtt3_mutual_tls(aws: Gateway, tmp_path: Path) -> None:
    device = aws.device(tmp_path)
    connection = mqtt_connection_builder.mtls_from_path(
        endpoint=ENDPOINT, port=aws.mtls, cert_filepath=device.cert_path, pri_key_filepath=device.key_path,
        ca_filepath=aws.root_ca, client_id="sdk-mqtt3", clean_session=True,
    )  # fmt: skip
    _roundtrip3(connection, "sdk/mqtt3")


@pytest.mark.skipif(not io.is_alpn_available(), reason="awscrt has no ALPN on this platform")
def test_mqtt3_mutual_tls_over_alpn(aws: Gateway, tmp_path: Path) -> None:
    device = aws.device(tmp_path)
    options = io.TlsContextOptions.create_client_with_mtls_from_path(device.cert_path, device.key_path)
    options.alpn_list = ["x-amzn-mqtt-ca"]  # what the SDK sets itself on port 443
    connection = mqtt_connection_builder._builder(
        options,
        endpoint=ENDPOINT,
        port=aws.alpn,
        ca_filepath=aws.root_ca,
        client_id="sdk-alpn",
        clean_session=True,
    )
    _roundtrip3(connection, "sdk/alpn")


def test_mqtt3_websocket_sigv4(aws: Gateway) -> None:
    credentials = auth.AwsCredentialsProvider.new_static("test", "test", "a-session-token")
    connection = mqtt_connection_builder.websockets_with_default_aws_signing(
        endpoint=ENDPOINT, port=aws.alpn, region="us-east-1", credentials_provider=credentials,
        ca_filepath=aws.root_ca, client_id="sdk-wss", clean_session=True,
    )  # fmt: skip
    _roundtrip3(connection, "sdk/wss")


@pytest.mark.parametrize("transport", ["mtls", "websocket"])
def test_mqtt5(aws: Gateway, tmp_path: Path, transport: str) -> None:
    connected: Future[Any] = Future()
    stopped = threading.Event()
    received: list[bytes] = []
    callbacks: dict[str, Any] = {
        "on_lifecycle_connection_success": lambda data: connected.set_result(data),
        "on_lifecycle_connection_failure": lambda data: connected.set_exception(
            RuntimeError(str(data.exception))
        ),
        "on_lifecycle_stopped": lambda data: stopped.set(),
        "on_publish_received": lambda data: received.append(data.publish_packet.payload),
    }
    if transport == "mtls":
        device = aws.device(tmp_path)
        client = mqtt5_client_builder.mtls_from_path(
            endpoint=ENDPOINT, port=aws.mtls, cert_filepath=device.cert_path, pri_key_filepath=device.key_path,
            ca_filepath=aws.root_ca, client_id="sdk-mqtt5", **callbacks,
        )  # fmt: skip
    else:
        credentials = auth.AwsCredentialsProvider.new_static("test", "test")
        client = mqtt5_client_builder.websockets_with_default_aws_signing(
            endpoint=ENDPOINT, port=aws.alpn, region="us-east-1", credentials_provider=credentials,
            ca_filepath=aws.root_ca, client_id="sdk-mqtt5-wss", **callbacks,
        )  # fmt: skip
    client.start()
    try:
        connected.result(TIMEOUT)
        subscribe = mqtt5.SubscribePacket([mqtt5.Subscription("sdk/mqtt5", mqtt5.QoS.AT_LEAST_ONCE)])
        assert client.subscribe(subscribe).result(TIMEOUT).reason_codes == [
            mqtt5.SubackReasonCode.GRANTED_QOS_1
        ]
        publish = mqtt5.PublishPacket(topic="sdk/mqtt5", payload=b"five", qos=mqtt5.QoS.AT_LEAST_ONCE)
        client.publish(publish).result(TIMEOUT)
        assert wait_for(lambda: received, what="the message back") == [b"five"]
    finally:
        client.stop()
        stopped.wait(TIMEOUT)
