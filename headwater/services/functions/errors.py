"""Lambda's errors, with AWS's codes and wording (each carries Type: User, as Lambda's do)."""

from __future__ import annotations

from headwater.protocol.errors import AwsError

USER = {"Type": "User"}


def not_found(arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Function not found: {arn}", 404, details=USER)


def already_exists(name: str) -> AwsError:
    return AwsError("ResourceConflictException", f"Function already exist: {name}", 409, details=USER)


def conflict(message: str) -> AwsError:
    return AwsError("ResourceConflictException", message, 409, details=USER)


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message, 400, details=USER)


def not_active(state: str) -> AwsError:
    return conflict(
        f"The operation cannot be performed at this time. The function is currently in the following state: {state}"
    )


def update_in_progress(arn: str) -> AwsError:
    return conflict(
        f"The operation cannot be performed at this time. An update is in progress for resource: {arn}"
    )


def role_not_assumable() -> AwsError:
    return invalid("The role defined for the function cannot be assumed by Lambda.")


def too_large_request(limit: int, operation: str = "InvokeFunction") -> AwsError:
    return AwsError(
        "RequestTooLargeException",
        f"Request must be smaller than {limit} bytes for the {operation} operation",
        413,
        details=USER,
    )


def precondition_failed() -> AwsError:
    return AwsError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
        "to retrieve the latest Revision Id",
        412,
        details=USER,
    )
