"""Certificates a test makes on its own: a CA of the user's, its verification certificate, device
certificates it signs, CSRs."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(
    subject: str,
    key: Key,
    issuer: x509.Certificate | None = None,
    issuer_key: Key | None = None,
    ca: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key or key, hashes.SHA256())
    )


class UserCa:
    """A CA of the user's own (ECDSA, fast) and the device certificates it signs."""

    def __init__(self, name: str = "My Device CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = certificate(name, self.key, ca=True)
        self.pem = pem(self.cert)

    def verification(self, code: str) -> str:
        return pem(certificate(code, ec.generate_private_key(ec.SECP256R1()), self.cert, self.key))

    def device(self, name: str = "device") -> str:
        return pem(certificate(name, ec.generate_private_key(ec.SECP256R1()), self.cert, self.key))


def csr(common_name: str = "my-device", key: Key | None = None) -> str:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(common_name))
        .sign(key or ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


def self_signed_device(name: str = "self-signed") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return pem(certificate(name, key))
