"""IAM's errors, in AWS's words (Query codes; the gateway renders them as <ErrorResponse>)."""

from __future__ import annotations

from headwater.protocol.errors import AwsError


def no_role(name: str) -> AwsError:
    return AwsError("NoSuchEntity", f"The role with name {name} cannot be found.", 404)


def no_role_policy(name: str) -> AwsError:
    return AwsError("NoSuchEntity", f"The role policy with name {name} cannot be found.", 404)


def no_policy(arn: str) -> AwsError:
    return AwsError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", 404)


def no_version(arn: str, version: str) -> AwsError:
    return AwsError(
        "NoSuchEntity", f"Policy {arn} version {version} does not exist or is not attachable.", 404
    )


def exists(message: str) -> AwsError:
    return AwsError("EntityAlreadyExists", message, 409)


def conflict(message: str) -> AwsError:
    return AwsError("DeleteConflict", message, 409)


def limit(message: str) -> AwsError:
    return AwsError("LimitExceeded", message, 409)


def invalid_input(message: str) -> AwsError:
    return AwsError("InvalidInput", message, 400)


def malformed(message: str) -> AwsError:
    return AwsError("MalformedPolicyDocument", message, 400)
