"""The local certificate authority: a root ("Headwater IoT Root CA", what Amazon Root CA 1 is to
AWS IoT: users add it to their trust) and an issuing CA under it that signs device certificates
and the device gateway's server certificate.

Theory of operation
-------------------
The chain is made once per data directory (per process in memory mode) and kept in the metadata
store, keys included, so a root a user trusted keeps working across restarts and `reset` (the part
writes it back after the stores were emptied). The server certificate is not stored: it is issued
anew at every start for the names of the moment (`--tls-names`, every region's endpoint names),
with an ECDSA key (fast handshakes). Device keys are RSA 2048, as AWS makes them.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes, PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_NAME = "Headwater IoT Root CA"
ISSUING_NAME = "Headwater IoT Issuing CA"
DEVICE_SUBJECT = "AWS IoT Certificate"  # AWS issues device certificates with this CN
_DAY = datetime.timedelta(days=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Headwater"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: CertificateIssuerPrivateKeyTypes | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def certificate_id(cert: x509.Certificate) -> str:
    """AWS's certificateId: the SHA-256 of the DER, in hex."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _ca_certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    signer: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
    years: int,
    path_length: int,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 365 * years * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(signer, hashes.SHA256())
    )


@dataclass(slots=True)
class ServerMaterial:
    cert_pem: str  # the server certificate, then the issuing CA
    key_pem: str


class Authority:
    """The root and issuing CA (certificates and keys)."""

    def __init__(
        self,
        root: x509.Certificate,
        root_key: ec.EllipticCurvePrivateKey,
        issuing: x509.Certificate,
        issuing_key: ec.EllipticCurvePrivateKey,
    ) -> None:
        self.root = root
        self.root_key = root_key
        self.issuing = issuing
        self.issuing_key = issuing_key
        self.root_pem = pem(root)
        self.issuing_pem = pem(issuing)

    @classmethod
    def create(cls) -> Authority:
        now = datetime.datetime.now(datetime.UTC)
        root_key = ec.generate_private_key(ec.SECP256R1())
        root = _ca_certificate(ROOT_NAME, root_key, _name(ROOT_NAME), root_key, now, 25, 1)
        issuing_key = ec.generate_private_key(ec.SECP256R1())
        issuing = _ca_certificate(ISSUING_NAME, issuing_key, root.subject, root_key, now, 20, 0)
        return cls(root, root_key, issuing, issuing_key)

    # -- persistence --------------------------------------------------------------------------------

    def dump(self) -> bytes:
        return json.dumps(
            {
                "root": self.root_pem,
                "root_key": key_pem(self.root_key),
                "issuing": self.issuing_pem,
                "issuing_key": key_pem(self.issuing_key),
            }
        ).encode()

    @classmethod
    def load(cls, raw: bytes) -> Authority:
        doc = json.loads(raw)
        keys = [
            serialization.load_pem_private_key(doc[k].encode(), None) for k in ("root_key", "issuing_key")
        ]
        if not all(isinstance(key, ec.EllipticCurvePrivateKey) for key in keys):
            raise ValueError("the stored IoT CA keys are not EC keys")
        root_key, issuing_key = keys
        assert isinstance(root_key, ec.EllipticCurvePrivateKey)  # for mypy (checked above)
        assert isinstance(issuing_key, ec.EllipticCurvePrivateKey)
        return cls(
            x509.load_pem_x509_certificate(doc["root"].encode()),
            root_key,
            x509.load_pem_x509_certificate(doc["issuing"].encode()),
            issuing_key,
        )

    # -- issuing ------------------------------------------------------------------------------------

    def issue_device(self, public_key: PublicKeyTypes, subject: x509.Name | None = None) -> x509.Certificate:
        """A device (client) certificate for `public_key`, valid until the end of 2049 as AWS's are."""
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(
                subject
                if subject is not None
                else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEVICE_SUBJECT)])
            )
            .issuer_name(self.issuing.subject)
            .public_key(public_key)  # type: ignore[arg-type]  # checked by the caller (RSA or EC)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.UTC))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuing_key.public_key()),
                critical=False,
            )
        )
        return builder.sign(self.issuing_key, hashes.SHA256())

    def issue_server(self, names: Iterable[str]) -> ServerMaterial:
        """The device gateway's certificate for `names` (DNS names, wildcards or IP addresses)."""
        alt: list[x509.GeneralName] = []
        for name in names:
            general: x509.GeneralName
            try:
                general = x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
            except ValueError:
                general = x509.DNSName(name.lower())
            if general not in alt:
                alt.append(general)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("localhost"))
            .issuer_name(self.issuing.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + 397 * _DAY)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuing_key.public_key()),
                critical=False,
            )
            .sign(self.issuing_key, hashes.SHA256())
        )
        return ServerMaterial(pem(cert) + self.issuing_pem, key_pem(key))


def new_device_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: PublicKeyTypes) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
