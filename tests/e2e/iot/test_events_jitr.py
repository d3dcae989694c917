"""Just-in-time registration with a real paho client over mutual TLS: a device certificate signed by
a registered CA with auto-registration on is refused at its first connect, registered as
PENDING_ACTIVATION with AWS's registered event, and connects once activated with a policy."""

from __future__ import annotations

import json
from hashlib import sha256
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.iot.gateway import ALLOW_ALL, Gateway, wait_for
from tests.e2e.iot.paho_clients import Paho, tls
from tests.e2e.iot_security.pki import UserCa, certificate, pem
from tests.e2e.support.clients import client_for


def _device_files(ca: UserCa, folder: Path, name: str) -> tuple[str, str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = certificate(name, key, ca.cert, ca.key)
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    # the device presents its certificate and its CA's, as AWS's JITR guide has it
    cert_path.write_text(pem(cert) + ca.pem)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path), sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_just_in_time_registration(aws: Gateway, tmp_path: Path) -> None:
    iot = aws.iot()
    ca = UserCa("JITR CA")
    code = iot.get_registration_code()["registrationCode"]
    registered = iot.register_ca_certificate(
        caCertificate=ca.pem,
        verificationCertificate=ca.verification(code),
        setAsActive=True,
        allowAutoRegistration=True,
    )
    ca_id = registered["certificateId"]
    assert (
        iot.describe_ca_certificate(certificateId=ca_id)["certificateDescription"]["autoRegistrationStatus"]
        == "ENABLE"
    )

    watcher_device = aws.device(tmp_path, "watcher")
    watcher = Paho("jitr-watcher", "5", tls(aws.root_ca, watcher_device.cert_path, watcher_device.key_path))
    watcher.connect(aws.mtls)
    watcher.subscribe(f"$aws/events/certificates/registered/{ca_id}")

    cert_path, key_path, certificate_id = _device_files(ca, tmp_path, "jitr-device")
    first = Paho("jitr-device", "3.1.1", tls(aws.root_ca, cert_path, key_path))
    try:
        with pytest.raises((OSError, AssertionError)):  # the first connection is refused
            first.connect(aws.mtls, timeout=5)
    finally:
        first.client.loop_stop()

    topic, payload, _ = watcher.received(1)[0]
    assert topic == f"$aws/events/certificates/registered/{ca_id}"
    event = json.loads(payload)
    assert event["certificateId"] == certificate_id
    assert event["caCertificateId"] == ca_id
    assert event["certificateStatus"] == "PENDING_ACTIVATION"
    assert event["awsAccountId"] == "000000000000"
    assert isinstance(event["timestamp"], int)
    assert event["certificateRegistrationTimestamp"].isdigit()

    described = iot.describe_certificate(certificateId=certificate_id)["certificateDescription"]
    assert described["status"] == "PENDING_ACTIVATION" and described["caCertificateId"] == ca_id
    by_ca = iot.list_certificates_by_ca(caCertificateId=ca_id)["certificates"]
    assert [c["certificateId"] for c in by_ca] == [certificate_id]

    # still pending: refused again, and registered once only
    again = Paho("jitr-device", "5", tls(aws.root_ca, cert_path, key_path))
    try:
        with pytest.raises((OSError, AssertionError)):
            again.connect(aws.mtls, timeout=5)
    finally:
        again.client.loop_stop()
    assert len(iot.list_certificates_by_ca(caCertificateId=ca_id)["certificates"]) == 1

    iot.update_certificate(certificateId=certificate_id, newStatus="ACTIVE")
    iot.create_policy(policyName="jitr-allow", policyDocument=ALLOW_ALL)
    iot.attach_policy(policyName="jitr-allow", target=described["certificateArn"])
    device = wait_for(
        lambda: _connects(aws, cert_path, key_path), what="the activated certificate to connect"
    )
    try:
        device.subscribe("jitr/hello")
        device.publish("jitr/hello", b"registered")
        assert device.received(1)[0] == ("jitr/hello", b"registered", False)
    finally:
        device.close()
        watcher.close()


def test_a_ca_without_auto_registration_registers_nothing(aws: Gateway, tmp_path: Path) -> None:
    iot = aws.iot()
    ca = UserCa("Plain CA")
    code = iot.get_registration_code()["registrationCode"]
    ca_id = iot.register_ca_certificate(
        caCertificate=ca.pem, verificationCertificate=ca.verification(code), setAsActive=True
    )["certificateId"]
    cert_path, key_path, _ = _device_files(ca, tmp_path, "unregistered")
    stranger = Paho("unregistered", "5", tls(aws.root_ca, cert_path, key_path))
    try:
        with pytest.raises((OSError, AssertionError)):
            stranger.connect(aws.mtls, timeout=5)
    finally:
        stranger.client.loop_stop()
    assert iot.list_certificates_by_ca(caCertificateId=ca_id)["certificates"] == []


def _connects(aws: Gateway, cert_path: str, key_path: str) -> Paho | None:
    client = Paho("jitr-device", "5", tls(aws.root_ca, cert_path, key_path))
    try:
        return client.connect(aws.mtls, timeout=5)
    except (OSError, AssertionError):
        client.client.loop_stop()
        return None


def test_an_https_publish_registers_its_certificate_too(aws: Gateway, tmp_path: Path) -> None:
    """The X.509 HTTPS port: the unknown certificate's first publish is refused (401) and registers it."""
    iot = aws.iot()
    ca = UserCa("JITR HTTPS CA")
    ca_id = iot.register_ca_certificate(
        caCertificate=ca.pem, certificateMode="SNI_ONLY", setAsActive=True, allowAutoRegistration=True
    )["certificateId"]
    cert_path, key_path, certificate_id = _device_files(ca, tmp_path, "jitr-https")
    data = client_for(
        f"https://localhost:{aws.https}", "iot-data", verify=aws.root_ca, client_cert=(cert_path, key_path)
    )
    with pytest.raises(ClientError) as raised:
        data.publish(topic="jitr/https", qos=1, payload=b"first")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    described = iot.describe_certificate(certificateId=certificate_id)["certificateDescription"]
    assert described["status"] == "PENDING_ACTIVATION" and described["caCertificateId"] == ca_id
