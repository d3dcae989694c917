"""The `iot` API's errors for certificates and policies, in AWS's words (the model gives each its
HTTP status: ResourceNotFound 404, CertificateState 406, DeleteConflict and VersionsLimitExceeded
409...)."""

from __future__ import annotations

from headwater.protocol.errors import AwsError


def invalid(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message)


def exists(message: str, resource_id: str | None = None, arn: str | None = None) -> AwsError:
    error = AwsError("ResourceAlreadyExistsException", message)
    if resource_id is not None:
        error.details = {"resourceId": resource_id, **({"resourceArn": arn} if arn else {})}
    return error


def state(message: str) -> AwsError:
    return AwsError("CertificateStateException", message)


def validation(message: str) -> AwsError:
    return AwsError("CertificateValidationException", message)


def registration(message: str) -> AwsError:
    return AwsError("RegistrationCodeValidationException", message)


def conflict(message: str) -> AwsError:
    return AwsError("DeleteConflictException", message)


def malformed(reason: str | None = None) -> AwsError:
    return AwsError(
        "MalformedPolicyException",
        "Policy document is Malformed" + (f": {reason}" if reason else ""),
    )


def limit(message: str) -> AwsError:
    return AwsError("LimitExceededException", message)


def certificate_not_found(certificate_id: str) -> AwsError:
    return not_found(f"The certificate given in the request does not exist: {certificate_id}")


def ca_not_found(certificate_id: str) -> AwsError:
    return not_found(f"The CA certificate given in the request does not exist: {certificate_id}")


def policy_not_found(name: str) -> AwsError:
    return not_found(f"The policy given in the request does not exist: {name}")


def version_not_found(name: str, version: str) -> AwsError:
    return not_found(f"The policy version given in the request does not exist: {name} version {version}")
