"""The registry's errors, in AWS IoT's words (the model gives each its HTTP status)."""

from __future__ import annotations

from headwater.protocol.errors import AwsError


def invalid(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404)


def exists(message: str, resource_id: str, arn: str) -> AwsError:
    return AwsError(
        "ResourceAlreadyExistsException",
        message,
        409,
        details={"resourceId": resource_id, "resourceArn": arn},
    )


def version_conflict(kind: str, name: str) -> AwsError:
    return AwsError(
        "VersionConflictException", f"The version for {kind} {name} does not match the expected version.", 409
    )


def limit(message: str) -> AwsError:
    return AwsError("LimitExceededException", message, 410)


def thing_not_found(name: str) -> AwsError:
    return not_found(f"Thing {name} cannot be found.")


def type_not_found(name: str) -> AwsError:
    return not_found(f"Thing Type {name} cannot be found.")


def group_not_found(name: str) -> AwsError:
    return not_found(f"Thing Group {name} cannot be found.")


def billing_group_not_found(name: str) -> AwsError:
    return not_found(f"Billing Group {name} cannot be found.")


def bad_token() -> AwsError:
    return invalid("The pagination token is not valid.")
