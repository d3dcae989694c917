"""Kinesis errors with AWS's codes and message texts (clients match on them)."""

from __future__ import annotations

from headwater.protocol.errors import AwsError
from headwater.services.ports import InvalidCiphertextError, KeyDisabledError, KeyNotFoundError, KeyRingError


def stream_not_found(name: str, account: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Stream {name} under account {account} not found.")


def shard_not_found(shard_id: str, stream: str, account: str) -> AwsError:
    return AwsError(
        "ResourceNotFoundException",
        f"Shard {shard_id} in stream {stream} under account {account} does not exist",
    )


def stream_in_use(name: str, account: str, status: str) -> AwsError:
    return AwsError(
        "ResourceInUseException",
        f"Stream {name} under account {account} not ACTIVE, instead in state {status}",
    )


def invalid_argument(message: str) -> AwsError:
    return AwsError("InvalidArgumentException", message)


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def limit_exceeded(message: str) -> AwsError:
    return AwsError("LimitExceededException", message)


def throughput_exceeded(shard_id: str, stream: str, account: str) -> AwsError:
    return AwsError(
        "ProvisionedThroughputExceededException",
        f"Rate exceeded for shard {shard_id} in stream {stream} under account {account}.",
    )


def read_throughput_exceeded(shard_id: str, stream: str, account: str) -> AwsError:
    return AwsError(
        "ProvisionedThroughputExceededException",
        f"Rate exceeded for Shard - {account}/{stream}/{shard_id}",
    )


def rate_exceeded(account: str, stream: str | None = None) -> AwsError:
    if stream:
        return AwsError(
            "LimitExceededException", f"Rate exceeded for stream {stream} under account {account}."
        )
    return AwsError("LimitExceededException", f"Rate exceeded for account {account}.")


def kms_error(exc: KeyRingError) -> AwsError:
    """Kinesis's error (a member of every data-plane operation's error list) for a key ring error;
    the message is KMS's own."""
    if isinstance(exc, KeyNotFoundError):
        return AwsError("KMSNotFoundException", str(exc))
    if isinstance(exc, KeyDisabledError):
        return AwsError("KMSDisabledException", str(exc))
    if isinstance(exc, InvalidCiphertextError):
        # Stored data that no longer opens is the service's fault, not the caller's.
        return AwsError("InternalFailureException", str(exc), 500, sender_fault=False)
    return AwsError("KMSInvalidStateException", str(exc))
