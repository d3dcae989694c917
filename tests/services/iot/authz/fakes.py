"""Small in-test stores behind the contracts the policy engine reads (the registry's things and
groups, the policy store's attachments, the certificate store), and device certificates."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from headwater.services.iot.contracts import AttachedPolicy, AuthContext, CertificateRecord, ThingInfo

ACCOUNT = "123456789012"
REGION = "us-east-1"
ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}"


def topic(name: str) -> str:
    return f"{ARN}:topic/{name}"


def topicfilter(name: str) -> str:
    return f"{ARN}:topicfilter/{name}"


def client(name: str) -> str:
    return f"{ARN}:client/{name}"


def cert_arn(der: bytes) -> str:
    return f"{ARN}:cert/{hashlib.sha256(der).hexdigest()}"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Things:
    things: dict[str, ThingInfo] = field(default_factory=dict)
    principals: dict[str, list[tuple[str, bool]]] = field(
        default_factory=dict
    )  # principal -> (thing, exclusive)
    groups: dict[str, list[str]] = field(default_factory=dict)  # thing -> group ARNs (with ancestors)

    def add(self, name: str, type_name: str | None = None, **attributes: str) -> None:
        self.things[name] = ThingInfo(name, f"{ARN}:thing/{name}", type_name, dict(attributes))

    def attach(self, principal: str, thing: str, exclusive: bool = False) -> None:
        self.principals.setdefault(principal, []).append((thing, exclusive))

    def thing(self, account: str, region: str, name: str) -> ThingInfo | None:
        return self.things.get(name)

    def things_of_principal(self, account: str, region: str, principal_arn: str) -> list[str]:
        return [name for name, _ in self.principals.get(principal_arn, [])]

    def is_exclusively_attached(self, account: str, region: str, principal_arn: str, thing: str) -> bool:
        return (thing, True) in self.principals.get(principal_arn, [])

    def groups_of_thing(self, account: str, region: str, thing: str) -> list[str]:
        return list(self.groups.get(thing, []))


@dataclass
class Policies:
    documents: dict[str, str] = field(default_factory=dict)  # name -> document
    targets: dict[str, list[str]] = field(default_factory=dict)  # target ARN -> policy names
    calls: int = 0

    def put(self, name: str, document: str, *targets: str) -> None:
        self.documents[name] = document
        for target in targets:
            self.targets.setdefault(target, []).append(name)

    def _attached(self, name: str, via: str) -> AttachedPolicy:
        return AttachedPolicy(name, f"{ARN}:policy/{name}", self.documents[name], "1", via)

    def attached(self, account: str, region: str, target_arns: Sequence[str]) -> list[AttachedPolicy]:
        self.calls += 1
        out: list[AttachedPolicy] = []
        for target in target_arns:
            for name in self.targets.get(target, []):
                if all(p.name != name for p in out):
                    out.append(self._attached(name, target))
        return out

    def policy(self, account: str, region: str, name: str) -> AttachedPolicy | None:
        return self._attached(name, "") if name in self.documents else None


@dataclass
class Certificates:
    records: dict[str, CertificateRecord] = field(default_factory=dict)

    def add(self, der: bytes) -> str:
        certificate_id = hashlib.sha256(der).hexdigest()
        self.records[certificate_id] = CertificateRecord(
            ACCOUNT, REGION, certificate_id, cert_arn(der), "ACTIVE", der
        )
        return cert_arn(der)

    def by_der(self, der: bytes) -> CertificateRecord | None:
        return self.records.get(hashlib.sha256(der).hexdigest())

    def by_id(self, account: str, region: str, certificate_id: str) -> CertificateRecord | None:
        return self.records.get(certificate_id)


_KEY = ec.generate_private_key(ec.SECP256R1())


def certificate(
    subject: list[tuple[x509.ObjectIdentifier, str]] | None = None,
    dns: Sequence[str] = (),
    ips: Sequence[str] = (),
    serial: int = 4242,
) -> bytes:
    name = x509.Name(
        [x509.NameAttribute(oid, value) for oid, value in (subject or [(NameOID.COMMON_NAME, "device")])]
    )
    issuer = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "Test CA"), x509.NameAttribute(NameOID.COUNTRY_NAME, "US")]
    )
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(_KEY.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
    )
    alt: list[x509.GeneralName] = [x509.DNSName(d) for d in dns] + [
        x509.IPAddress(ipaddress.ip_address(i)) for i in ips
    ]
    if alt:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def context(
    client_id: str | None = "device-1",
    principal: str | None = None,
    der: bytes | None = None,
    source_ip: str | None = "10.0.0.5",
    **extra: str,
) -> AuthContext:
    if principal is None and der is not None:
        principal = cert_arn(der)
    return AuthContext(ACCOUNT, REGION, client_id, principal, der, source_ip, dict(extra))
