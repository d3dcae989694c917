"""Reading the certificates and CSRs clients send, and the descriptions the API returns."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from headwater.services.iot.security import errors
from headwater.services.iot.security.authority import certificate_id, pem

# the members of CertificateDescription / CACertificateDescription (the rest of a stored doc is ours)
DESCRIPTION = (
    "certificateArn",
    "certificateId",
    "caCertificateId",
    "status",
    "certificatePem",
    "ownedBy",
    "previousOwnedBy",
    "creationDate",
    "lastModifiedDate",
    "customerVersion",
    "transferData",
    "generationId",
    "validity",
    "certificateMode",
)
CA_DESCRIPTION = (*DESCRIPTION, "autoRegistrationStatus")


def certificate(text: Any, what: str = "certificate") -> x509.Certificate:
    if not isinstance(text, str) or "-----BEGIN CERTIFICATE-----" not in text:
        raise errors.validation(f"The {what} is not a valid PEM-encoded X.509 certificate.")
    try:
        return x509.load_pem_x509_certificate(text.strip().encode())
    except ValueError:
        raise errors.validation(f"The {what} is not a valid PEM-encoded X.509 certificate.") from None


def check_current(cert: x509.Certificate, now: datetime.datetime, what: str = "certificate") -> None:
    if cert.not_valid_after_utc < now:
        raise errors.validation(f"The {what} has expired.")
    if cert.not_valid_before_utc > now:
        raise errors.validation(f"The {what} is not yet valid.")


def check_key(key: object) -> None:
    """AWS IoT takes RSA keys of 2048 bits or more and ECDSA keys on P-256, P-384 and P-521."""
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in (
        "secp256r1",
        "secp384r1",
        "secp521r1",
    ):
        return
    raise errors.invalid(
        "The public key is not supported: use RSA (2048 bits or more) or ECDSA (P-256, P-384, P-521)."
    )


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return cert.issuer == cert.subject  # an old self-signed root without extensions


def csr(text: Any) -> x509.CertificateSigningRequest:
    message = "The certificate signing request is not valid."
    if not isinstance(text, str):
        raise errors.invalid(message)
    try:
        request = x509.load_pem_x509_csr(text.strip().encode())
        valid = request.is_signature_valid
    except (ValueError, TypeError):
        raise errors.invalid(message) from None
    if not valid:
        raise errors.invalid(f"{message} Its signature does not verify.")
    check_key(request.public_key())
    return request


def new_doc(
    cert: x509.Certificate,
    account: str,
    region: str,
    status: str,
    now: float,
    kind: str = "cert",
    **extra: Any,
) -> dict[str, Any]:
    """A stored description of `cert` (kind "cert" or "cacert" names the ARN's resource type)."""
    cid = certificate_id(cert)
    return {
        "certificateArn": f"arn:aws:iot:{region}:{account}:{kind}/{cid}",
        "certificateId": cid,
        "status": status,
        "certificatePem": pem(cert),
        "ownedBy": account,
        "creationDate": now,
        "lastModifiedDate": now,
        "customerVersion": 1,
        "generationId": str(uuid.uuid4()),
        "validity": {
            "notBefore": cert.not_valid_before_utc.timestamp(),
            "notAfter": cert.not_valid_after_utc.timestamp(),
        },
        "certificateMode": "DEFAULT",
        "account": account,
        "region": region,
        **extra,
    }


def touch(doc: dict[str, Any], now: float) -> None:
    doc["lastModifiedDate"] = now
    doc["customerVersion"] = int(doc.get("customerVersion", 1)) + 1
    doc["generationId"] = str(uuid.uuid4())


def describe(doc: dict[str, Any], members: tuple[str, ...] = DESCRIPTION) -> dict[str, Any]:
    return {name: doc[name] for name in members if doc.get(name) is not None}


def summary(doc: dict[str, Any], ca: bool = False) -> dict[str, Any]:
    names = ("certificateArn", "certificateId", "status", "creationDate")
    return describe(doc, names if ca else (*names, "certificateMode"))
