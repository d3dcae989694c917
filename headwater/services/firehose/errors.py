"""Firehose's errors, in AWS's words."""

from __future__ import annotations

from headwater.protocol.errors import AwsError


def invalid(message: str) -> AwsError:
    return AwsError("InvalidArgumentException", message)


def not_found(name: str, account: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Firehose {name} under account {account} not found.")


def arn_not_found(arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Firehose {arn} not found.")


def exists(name: str, account: str) -> AwsError:
    return AwsError("ResourceInUseException", f"Firehose {name} under accountId {account} already exists")


def in_use(name: str, status: str) -> AwsError:
    return AwsError(
        "ResourceInUseException", f"Firehose {name} is not in the ACTIVE state (current state: {status})."
    )


def version_mismatch(name: str, given: str, current: int) -> AwsError:
    return AwsError(
        "ConcurrentModificationException",
        f"Firehose {name} version id {given} does not match the current version id {current}.",
    )


def limit(message: str) -> AwsError:
    return AwsError("LimitExceededException", message)


def kms(code: str, message: str) -> AwsError:
    return AwsError("InvalidKMSResourceException", f"{code}: {message}")
