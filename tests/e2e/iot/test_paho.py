"""paho-mqtt 3.1.1 and 5 against the gateway: plain MQTT in relaxed mode, then mutual TLS on the
MQTT port and on the ALPN port (x-amzn-mqtt-ca) with certificates the iot API made."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.iot.gateway import ALLOW_ALL, Gateway
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


def test_a_revoked_certificate_is_refused_at_its_next_connect(aws: Gateway, tmp_path: Path) -> None:
    device = aws.device(tmp_path)
    context = tls(aws.root_ca, device.cert_path, device.key_path)
    Paho("before-revocation", "5", context).connect(aws.mtls).close()
    certificate_id = device.certificate_arn.rsplit("/", 1)[1]
    aws.iot().update_certificate(certificateId=certificate_id, newStatus="REVOKED")
    refused = Paho("after-revocation", "5", tls(aws.root_ca, device.cert_path, device.key_path))
    try:
        with pytest.raises((OSError, AssertionError)):  # refused at the handshake or by its CONNACK
            refused.connect(aws.mtls, timeout=5)
    finally:
        refused.client.loop_stop()


def test_a_certificate_registered_without_a_ca_is_its_own_anchor(aws: Gateway, tmp_path: Path) -> None:
    """RegisterCertificateWithoutCA: a self-signed device certificate no CA vouches for connects once
    registered (the gateway's contexts follow the trust material's generation)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "own-device")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp_path / "own.pem", tmp_path / "own.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = tls(aws.root_ca, str(cert_path), str(key_path))
    stranger = Paho("own-before", "5", context)
    try:
        with pytest.raises((OSError, AssertionError)):
            stranger.connect(aws.mtls, timeout=3)
    finally:
        stranger.client.loop_stop()
    registered = aws.iot().register_certificate_without_ca(
        certificatePem=cert_path.read_text(), status="ACTIVE"
    )
    aws.iot().create_policy(policyName="own-anchor", policyDocument=ALLOW_ALL)
    aws.iot().attach_policy(policyName="own-anchor", target=registered["certificateArn"])
    client = Paho("own-after", "5", tls(aws.root_ca, str(cert_path), str(key_path))).connect(aws.mtls)
    try:
        client.subscribe("own/topic")
        client.publish("own/topic", b"mine")
        assert client.received(1)[0] == ("own/topic", b"mine", False)
    finally:
        client.close()
