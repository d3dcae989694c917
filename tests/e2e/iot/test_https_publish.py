"""HTTPS publish as a device certificate: boto3's iot-data Publish with a client certificate on
the X.509 HTTPS port, delivered to an MQTT subscriber; other paths on that port reach the API."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot.paho_clients import Paho, tls
from tests.e2e.support.clients import client_for


def test_x509_https_publish_reaches_a_subscriber(aws: Gateway, tmp_path: Path) -> None:
    device = aws.device(tmp_path)
    subscriber = Paho("https-sub", "5", tls(aws.root_ca, device.cert_path, device.key_path)).connect(aws.mtls)
    try:
        subscriber.subscribe("https/in")
        data = client_for(
            f"https://localhost:{aws.https}", "iot-data", verify=aws.root_ca,
            client_cert=(device.cert_path, device.key_path),
        )  # fmt: skip
        data.publish(topic="https/in", qos=1, payload=b"over https")
        assert subscriber.received(1)[0] == ("https/in", b"over https", False)
        # the rest of the API answers on the same port (spliced to the HTTP listener)
        iot = client_for(f"https://localhost:{aws.https}", "iot", verify=aws.root_ca,
                         client_cert=(device.cert_path, device.key_path))  # fmt: skip
        assert iot.describe_certificate(certificateId=device.certificate_arn.rsplit("/", 1)[1])
    finally:
        subscriber.close()


def test_sigv4_https_publish_through_the_alpn_port(aws: Gateway, tmp_path: Path) -> None:
    """Without a client certificate the ALPN port hands HTTPS to the API: iot-data's SigV4 Publish."""
    device = aws.device(tmp_path)
    subscriber = Paho("sigv4-sub", "3.1.1", tls(aws.root_ca, device.cert_path, device.key_path)).connect(
        aws.mtls
    )
    try:
        subscriber.subscribe("sigv4/in")
        data = client_for(f"https://localhost:{aws.alpn}", "iot-data", verify=aws.root_ca)
        data.publish(topic="sigv4/in", qos=1, payload=b"signed")
        assert subscriber.received(1)[0] == ("sigv4/in", b"signed", False)
    finally:
        subscriber.close()
