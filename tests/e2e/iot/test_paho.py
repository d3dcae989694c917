"""paho-mqtt 3.1.1 and 5 against the gateway: plain MQTT in relaxed mode, then mutual TLS on the
MQTT port and on the ALPN port (x-amzn-mqtt-ca) with certificates the iot API made."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot.paho_clients import Paho, tls

VERSIONS = ["3.1.1", "5"]


@pytest.mark.parametrize("version", VERSIONS)
def test_plain_publish_subscribe(relaxed: Gateway, version: str) -> None:
    subscriber = Paho(f"sub-{version}", version).connect(relaxed.mqtt)
    publisher = Paho(f"pub-{version}", "5" if version == "3.1.1" else "3.1.1").connect(relaxed.mqtt)
    try:
        subscriber.subscribe(f"plain/{version}/#")
        publisher.publish(f"plain/{version}/a", b"one", qos=1)
        publisher.publish(f"plain/{version}/b", b"two", qos=0)
        assert subscriber.received(2)[:2] == [
            (f"plain/{version}/a", b"one", False),
            (f"plain/{version}/b", b"two", False),
        ]
    finally:
        subscriber.close()
        publisher.close()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("port", ["mtls", "alpn"])
def test_mutual_tls(aws: Gateway, tmp_path: Path, version: str, port: str) -> None:
    device = aws.device(tmp_path)
    alpn = ["x-amzn-mqtt-ca"] if port == "alpn" else None
    context = tls(aws.root_ca, device.cert_path, device.key_path, alpn)
    number = getattr(aws, port)
    client = Paho(f"device-{port}-{version}", version, context).connect(number)
    try:
        client.subscribe(f"things/{port}/{version}")
        client.publish(f"things/{port}/{version}", b"hello", qos=1)
        assert client.received(1)[0] == (f"things/{port}/{version}", b"hello", False)
    finally:
        client.close()


def test_mutual_tls_refuses_a_client_without_a_certificate(aws: Gateway) -> None:
    anonymous = Paho("anonymous", "5", tls(aws.root_ca, None, None))
    try:  # TLS 1.2 fails the handshake; TLS 1.3 lets it finish and closes before any CONNACK
        with pytest.raises((OSError, AssertionError)):
            anonymous.connect(aws.mtls, timeout=3)
    finally:
        anonymous.client.loop_stop()
