"""Device certificates over the `iot` API with boto3: created by the local CA (chained to the
downloadable root), from a CSR, registered with a CA or without one; described, listed, updated
and deleted with AWS's rules."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.iot_security import pki


@pytest.fixture
def iot(client: Callable[..., Any]) -> Any:
    return client("iot")


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_create_keys_and_certificate_chains_to_the_downloadable_root(iot: Any, endpoint: str) -> None:
    made = iot.create_keys_and_certificate(setAsActive=True)
    cert = x509.load_pem_x509_certificate(made["certificatePem"].encode())
    der = cert.public_bytes(serialization.Encoding.DER)
    assert made["certificateId"] == hashlib.sha256(der).hexdigest()
    assert made["certificateArn"] == f"arn:aws:iot:us-east-1:000000000000:cert/{made['certificateId']}"
    key = serialization.load_pem_private_key(made["keyPair"]["PrivateKey"].encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert made["keyPair"]["PublicKey"].startswith("-----BEGIN PUBLIC KEY-----")
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()

    response = httpx.get(endpoint + "/_headwater/iot/root-ca")
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-pem-file"
    root = x509.load_pem_x509_certificate(response.content)
    assert root.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "Headwater IoT Root CA"
    # device -> issuing CA -> root (cryptography's verifier wants a SAN, which device certificates
    # do not have, at AWS either: each link's signature is checked instead)
    chain = httpx.get(endpoint + "/_headwater/iot/ca-chain").content
    issuing, last = x509.load_pem_x509_certificates(chain)
    assert last == root and cert.issuer == issuing.subject != root.subject
    cert.verify_directly_issued_by(issuing)
    issuing.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    assert issuing.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

    description = iot.describe_certificate(certificateId=made["certificateId"])["certificateDescription"]
    assert description["status"] == "ACTIVE"
    assert description["certificatePem"] == made["certificatePem"]
    assert description["ownedBy"] == "000000000000"
    assert description["certificateMode"] == "DEFAULT"
    assert description["validity"]["notAfter"].year == 2049
    assert "caCertificateId" not in description


def test_set_as_active_false_makes_an_inactive_certificate(iot: Any) -> None:
    made = iot.create_keys_and_certificate(setAsActive=False)
    assert (
        iot.describe_certificate(certificateId=made["certificateId"])["certificateDescription"]["status"]
        == "INACTIVE"
    )


def test_create_certificate_from_csr(iot: Any) -> None:
    made = iot.create_certificate_from_csr(certificateSigningRequest=pki.csr("sensor-7"), setAsActive=True)
    cert = x509.load_pem_x509_certificate(made["certificatePem"].encode())
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "sensor-7"
    assert (
        iot.describe_certificate(certificateId=made["certificateId"])["certificateDescription"]["status"]
        == "ACTIVE"
    )
    with pytest.raises(ClientError) as excinfo:
        iot.create_certificate_from_csr(
            certificateSigningRequest="-----BEGIN CERTIFICATE REQUEST-----\nnope\n"
        )
    assert _error(excinfo)[:2] == ("InvalidRequestException", 400)


def test_register_certificate_with_a_registered_ca(iot: Any) -> None:
    ca = pki.UserCa()
    code = iot.get_registration_code()["registrationCode"]
    registered = iot.register_ca_certificate(
        caCertificate=ca.pem, verificationCertificate=ca.verification(code), setAsActive=True
    )
    device = ca.device("thermostat")
    made = iot.register_certificate(certificatePem=device, caCertificatePem=ca.pem, status="ACTIVE")
    description = iot.describe_certificate(certificateId=made["certificateId"])["certificateDescription"]
    assert description["status"] == "ACTIVE"
    assert description["caCertificateId"] == registered["certificateId"]
    # without caCertificatePem the signer is found among the registered CAs
    other = iot.register_certificate(certificatePem=ca.device("second"))
    assert (
        iot.describe_certificate(certificateId=other["certificateId"])["certificateDescription"]["status"]
        == "INACTIVE"
    )
    by_ca = iot.list_certificates_by_ca(caCertificateId=registered["certificateId"])["certificates"]
    assert {c["certificateId"] for c in by_ca} == {made["certificateId"], other["certificateId"]}

    with pytest.raises(ClientError) as excinfo:
        iot.register_certificate(certificatePem=device, caCertificatePem=ca.pem)
    code_, status, message = _error(excinfo)
    assert (code_, status) == ("ResourceAlreadyExistsException", 409)
    assert message == "The certificate is already provisioned or registered"
    assert excinfo.value.response["resourceId"] == made["certificateId"]

    with pytest.raises(ClientError) as excinfo:
        iot.register_certificate(certificatePem=pki.UserCa("Unknown CA").device())
    assert _error(excinfo)[:2] == ("CertificateValidationException", 400)
    with pytest.raises(ClientError) as excinfo:
        iot.register_certificate(certificatePem="not a certificate")
    assert _error(excinfo)[:2] == ("CertificateValidationException", 400)

    iot.update_ca_certificate(certificateId=registered["certificateId"], newStatus="INACTIVE")
    with pytest.raises(ClientError) as excinfo:
        iot.register_certificate(certificatePem=ca.device("third"))
    assert _error(excinfo)[:2] == ("CertificateStateException", 406)


def test_register_certificate_without_ca(iot: Any) -> None:
    made = iot.register_certificate_without_ca(certificatePem=pki.self_signed_device(), status="ACTIVE")
    description = iot.describe_certificate(certificateId=made["certificateId"])["certificateDescription"]
    assert description["status"] == "ACTIVE"
    assert description["certificateMode"] == "SNI_ONLY"
    assert "caCertificateId" not in description


def test_list_certificates_pages_in_either_order(iot: Any) -> None:
    made = [
        iot.create_certificate_from_csr(certificateSigningRequest=pki.csr(f"d{i}"))["certificateId"]
        for i in range(5)
    ]
    for ascending, expected in ((True, made), (False, made[::-1])):
        seen: list[str] = []
        kwargs: dict[str, Any] = {"pageSize": 2, "ascendingOrder": ascending}
        while True:
            page = iot.list_certificates(**kwargs)
            assert len(page["certificates"]) <= 2
            seen += [c["certificateId"] for c in page["certificates"]]
            if "nextMarker" not in page:
                break
            kwargs["marker"] = page["nextMarker"]
        assert seen == expected
    listed = iot.list_certificates()["certificates"][0]
    assert set(listed) == {"certificateArn", "certificateId", "status", "certificateMode", "creationDate"}
    paginated = [
        c["certificateId"]
        for p in iot.get_paginator("list_certificates").paginate(PaginationConfig={"PageSize": 3})
        for c in p["certificates"]
    ]
    assert sorted(paginated) == sorted(made)


def test_update_certificate_rules(iot: Any) -> None:
    made = iot.create_certificate_from_csr(certificateSigningRequest=pki.csr())
    cid = made["certificateId"]
    for status in ("ACTIVE", "INACTIVE", "ACTIVE", "ACTIVE"):
        iot.update_certificate(certificateId=cid, newStatus=status)
        assert iot.describe_certificate(certificateId=cid)["certificateDescription"]["status"] == status
    for status in ("PENDING_TRANSFER", "PENDING_ACTIVATION"):
        with pytest.raises(ClientError) as excinfo:
            iot.update_certificate(certificateId=cid, newStatus=status)
        assert _error(excinfo)[:2] == ("InvalidRequestException", 400)
    iot.update_certificate(certificateId=cid, newStatus="REVOKED")
    with pytest.raises(ClientError) as excinfo:
        iot.update_certificate(certificateId=cid, newStatus="ACTIVE")
    assert _error(excinfo)[:2] == ("CertificateStateException", 406)
    with pytest.raises(ClientError) as excinfo:
        iot.update_certificate(certificateId="0" * 64, newStatus="ACTIVE")
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)


def test_delete_certificate_rules(iot: Any) -> None:
    made = iot.create_keys_and_certificate(setAsActive=True)
    cid, arn = made["certificateId"], made["certificateArn"]
    with pytest.raises(ClientError) as excinfo:
        iot.delete_certificate(certificateId=cid)
    assert _error(excinfo) == (
        "CertificateStateException",
        406,
        f"Certificate must be deactivated (not ACTIVE) before deletion. Id: {cid}",
    )
    iot.update_certificate(certificateId=cid, newStatus="INACTIVE")
    iot.create_policy(
        policyName="p",
        policyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}',
    )
    iot.attach_policy(policyName="p", target=arn)
    with pytest.raises(ClientError) as excinfo:
        iot.delete_certificate(certificateId=cid)
    assert _error(excinfo) == (
        "DeleteConflictException",
        409,
        f"Certificate policies must be detached before deletion (arn: {arn})",
    )
    iot.delete_certificate(certificateId=cid, forceDelete=True)
    assert iot.list_targets_for_policy(policyName="p")["targets"] == []
    with pytest.raises(ClientError) as excinfo:
        iot.describe_certificate(certificateId=cid)
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as excinfo:
        iot.delete_certificate(certificateId=cid)
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)


def test_transfer_between_accounts(client: Callable[..., Any]) -> None:
    owner = client("iot", access_key="111111111111")
    target = client("iot", access_key="222222222222")
    made = owner.create_certificate_from_csr(certificateSigningRequest=pki.csr())
    cid = made["certificateId"]
    with pytest.raises(ClientError):
        owner.transfer_certificate(certificateId=cid, targetAwsAccount="notanaccount")
    owner.update_certificate(certificateId=cid, newStatus="ACTIVE")
    with pytest.raises(ClientError) as excinfo:
        owner.transfer_certificate(certificateId=cid, targetAwsAccount="222222222222")
    assert _error(excinfo)[:2] == ("CertificateStateException", 406)
    owner.update_certificate(certificateId=cid, newStatus="INACTIVE")
    arn = owner.transfer_certificate(
        certificateId=cid, targetAwsAccount="222222222222", transferMessage="yours"
    )
    assert arn["transferredCertificateArn"] == f"arn:aws:iot:us-east-1:222222222222:cert/{cid}"
    pending = owner.describe_certificate(certificateId=cid)["certificateDescription"]
    assert pending["status"] == "PENDING_TRANSFER" and pending["transferData"]["transferMessage"] == "yours"
    target.reject_certificate_transfer(certificateId=cid, rejectReason="no thanks")
    assert owner.describe_certificate(certificateId=cid)["certificateDescription"]["status"] == "INACTIVE"
    owner.transfer_certificate(certificateId=cid, targetAwsAccount="222222222222")
    owner.cancel_certificate_transfer(certificateId=cid)
    with pytest.raises(ClientError) as excinfo:
        owner.cancel_certificate_transfer(certificateId=cid)
    assert _error(excinfo)[:2] == ("TransferAlreadyCompletedException", 410)
    owner.transfer_certificate(certificateId=cid, targetAwsAccount="222222222222")
    target.accept_certificate_transfer(certificateId=cid, setAsActive=True)
    moved = target.describe_certificate(certificateId=cid)["certificateDescription"]
    assert moved["status"] == "ACTIVE" and moved["previousOwnedBy"] == "111111111111"
    assert moved["ownedBy"] == "222222222222"
    with pytest.raises(ClientError) as excinfo:
        owner.describe_certificate(certificateId=cid)
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)
