"""The principals TestAuthorization, GetEffectivePolicies and the explain view take, and the
AuthContext a device with one would be checked with."""

from __future__ import annotations

import re

from headwater.protocol.errors import AwsError
from headwater.services.iot.contracts import AuthContext, CertificateDirectory

ACTIONS = {
    "PUBLISH": "iot:Publish",
    "SUBSCRIBE": "iot:Subscribe",
    "RECEIVE": "iot:Receive",
    "CONNECT": "iot:Connect",
}
_CERT = re.compile(r"arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:cert/([0-9a-f]{64})")
_GROUP = re.compile(r"arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:thinggroup/[a-zA-Z0-9:_-]+")
_COGNITO = re.compile(r"[a-z]{2}(-[a-z]+)+-\d:[0-9a-f-]{36}")


def invalid(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message, 400)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404)


def principal_context(
    certificates: CertificateDirectory | None,
    account: str,
    region: str,
    principal: str | None,
    client_id: str | None,
) -> AuthContext:
    """The AuthContext a device with this principal (a certificate ARN: its DER when the certificate
    store knows it; a thing-group ARN; a Cognito identity id) and client id would be checked with."""
    der: bytes | None = None
    if principal is not None:
        cert = _CERT.fullmatch(principal)
        if cert is not None:
            if certificates is not None:
                record = certificates.by_id(account, region, cert.group(1))
                if record is None:
                    raise not_found(f"The certificate {cert.group(1)} does not exist")
                der = record.der
        elif not (_GROUP.fullmatch(principal) or _COGNITO.fullmatch(principal)):
            raise invalid(f"Invalid principal: {principal}")
    return AuthContext(account, region, client_id, principal, certificate_der=der)
