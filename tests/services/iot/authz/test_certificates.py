"""The iot:Certificate.* variables read from a DER certificate."""

from __future__ import annotations

from cryptography.x509.oid import NameOID

from headwater.services.iot.authz.certificates import certificate_variables
from tests.services.iot.authz.fakes import certificate


def test_subject_issuer_alternative_names() -> None:
    der = certificate(
        [
            (NameOID.COMMON_NAME, "bulb"),
            (NameOID.COUNTRY_NAME, "US"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "A"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "B"),
        ],
        dns=["a.example.com", "b.example.com"],
        ips=["1.2.3.4"],
        serial=77,
    )
    single, multi = certificate_variables(der)
    assert single["iot:certificate.subject.commonname"] == "bulb"
    assert single["iot:certificate.subject.organizationalunit"] == "A"
    assert single["iot:certificate.subject.organizationalunit.1"] == "B"
    assert multi["iot:certificate.subject.organizationalunit.list"] == ["A", "B"]
    assert single["iot:certificate.issuer.commonname"] == "Test CA"
    assert single["iot:certificate.subject.alternativename.dnsname.1"] == "b.example.com"
    assert single["iot:certificate.subject.alternativename.ipaddress"] == "1.2.3.4"
    assert single["iot:certificate.serialnumber"] == "77"
    assert len(single["iot:certificateid"]) == 64
    assert "iot:Certificate.Subject.CommonName" in multi["iot:certificate.availablekeys"]


def test_limits_wildcards_and_garbage() -> None:
    der = certificate(
        [(NameOID.COMMON_NAME, "dev*ice")] + [(NameOID.ORGANIZATION_NAME, f"o{i}") for i in range(7)]
    )
    single, multi = certificate_variables(der)
    assert "iot:certificate.subject.commonname" not in single  # a wildcard in a value: unresolved
    assert multi["iot:certificate.subject.organization.list"] == [f"o{i}" for i in range(5)]  # five at most
    assert certificate_variables(b"not a certificate") == ({}, {})
