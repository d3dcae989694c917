"""CA certificates: the registration code, registration in DEFAULT mode (the verification
certificate proves the CA's key) and SNI_ONLY mode, describe, list, update and delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.iot_security import pki


@pytest.fixture
def iot(client: Callable[..., Any]) -> Any:
    return client("iot")


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_registration_code_is_stable_until_deleted(iot: Any) -> None:
    code = iot.get_registration_code()["registrationCode"]
    assert len(code) == 64 and int(code, 16) >= 0
    assert iot.get_registration_code()["registrationCode"] == code
    iot.delete_registration_code()
    assert iot.get_registration_code()["registrationCode"] != code
    iot.delete_registration_code()
    with pytest.raises(ClientError) as excinfo:
        iot.delete_registration_code()
    assert _code(excinfo) == ("ResourceNotFoundException", 404)


def test_register_in_default_mode_checks_the_verification_certificate(iot: Any) -> None:
    ca = pki.UserCa()
    code = iot.get_registration_code()["registrationCode"]
    with pytest.raises(ClientError) as excinfo:
        iot.register_ca_certificate(
            caCertificate=ca.pem, verificationCertificate=ca.verification("not-the-code")
        )
    assert _code(excinfo) == ("RegistrationCodeValidationException", 400)
    with pytest.raises(ClientError) as excinfo:  # the code, but signed by another key
        iot.register_ca_certificate(
            caCertificate=ca.pem, verificationCertificate=pki.UserCa().verification(code)
        )
    assert _code(excinfo) == ("CertificateValidationException", 400)
    with pytest.raises(ClientError) as excinfo:
        iot.register_ca_certificate(caCertificate=ca.pem)
    assert _code(excinfo) == ("InvalidRequestException", 400)
    with pytest.raises(ClientError) as excinfo:  # a device certificate is no CA
        iot.register_ca_certificate(caCertificate=ca.device(), verificationCertificate=ca.verification(code))
    assert _code(excinfo) == ("CertificateValidationException", 400)

    made = iot.register_ca_certificate(
        caCertificate=ca.pem,
        verificationCertificate=ca.verification(code),
        setAsActive=True,
        allowAutoRegistration=True,
    )
    cid = made["certificateId"]
    assert made["certificateArn"] == f"arn:aws:iot:us-east-1:000000000000:cacert/{cid}"
    described = iot.describe_ca_certificate(certificateId=cid)["certificateDescription"]
    assert described["status"] == "ACTIVE"
    assert described["autoRegistrationStatus"] == "ENABLE"
    assert described["certificateMode"] == "DEFAULT"
    assert described["certificatePem"] == ca.pem
    with pytest.raises(ClientError) as excinfo:
        iot.register_ca_certificate(caCertificate=ca.pem, verificationCertificate=ca.verification(code))
    assert _code(excinfo) == ("ResourceAlreadyExistsException", 409)


def test_sni_only_mode_needs_no_verification(iot: Any, client: Callable[..., Any]) -> None:
    ca = pki.UserCa()
    made = iot.register_ca_certificate(caCertificate=ca.pem, certificateMode="SNI_ONLY")
    described = iot.describe_ca_certificate(certificateId=made["certificateId"])["certificateDescription"]
    assert (described["status"], described["certificateMode"], described["autoRegistrationStatus"]) == (
        "INACTIVE",
        "SNI_ONLY",
        "DISABLE",
    )
    # another account may register the same CA in SNI_ONLY mode
    other = client("iot", access_key="333333333333")
    assert (
        other.register_ca_certificate(caCertificate=ca.pem, certificateMode="SNI_ONLY")["certificateId"]
        == (made["certificateId"])
    )


def test_list_update_and_delete(iot: Any) -> None:
    code = iot.get_registration_code()["registrationCode"]
    cas = [pki.UserCa(f"CA {i}") for i in range(3)]
    ids = [
        iot.register_ca_certificate(caCertificate=ca.pem, verificationCertificate=ca.verification(code))[
            "certificateId"
        ]
        for ca in cas
    ]
    listed = iot.list_ca_certificates(ascendingOrder=True)["certificates"]
    assert [c["certificateId"] for c in listed] == ids
    assert set(listed[0]) == {"certificateArn", "certificateId", "status", "creationDate"}
    first = iot.list_ca_certificates(pageSize=2, ascendingOrder=True)
    rest = iot.list_ca_certificates(pageSize=2, ascendingOrder=True, marker=first["nextMarker"])
    assert [c["certificateId"] for c in first["certificates"] + rest["certificates"]] == ids
    assert "nextMarker" not in rest

    cid = ids[0]
    iot.update_ca_certificate(certificateId=cid, newStatus="ACTIVE", newAutoRegistrationStatus="ENABLE")
    described = iot.describe_ca_certificate(certificateId=cid)["certificateDescription"]
    assert (described["status"], described["autoRegistrationStatus"]) == ("ACTIVE", "ENABLE")
    device = iot.register_certificate(certificatePem=cas[0].device())["certificateId"]
    with pytest.raises(ClientError) as excinfo:
        iot.delete_ca_certificate(certificateId=cid)
    assert _code(excinfo) == ("CertificateStateException", 406)
    iot.update_ca_certificate(certificateId=cid, newStatus="INACTIVE")
    with pytest.raises(ClientError) as excinfo:  # a certificate it signed is still registered
        iot.delete_ca_certificate(certificateId=cid)
    assert _code(excinfo) == ("CertificateStateException", 406)
    iot.delete_certificate(certificateId=device)
    iot.delete_ca_certificate(certificateId=cid)
    with pytest.raises(ClientError) as excinfo:
        iot.describe_ca_certificate(certificateId=cid)
    assert _code(excinfo) == ("ResourceNotFoundException", 404)
