"""SQS errors under their JSON `__type` names with AWS's message texts.

The Query codes and HTTP statuses that go with each name are data (protocol/overlays); the
service only names the error.
"""

from __future__ import annotations

from headwater.protocol.errors import AwsError
from headwater.runtime.ids import new_uuid
from headwater.services.ports import KeyDisabledError, KeyNotFoundError, KeyRingError, KeyStateError


def queue_does_not_exist() -> AwsError:
    return AwsError("QueueDoesNotExist", "The specified queue does not exist.")


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message)


def invalid_value(name: str, value: object, reason: str | None = None) -> AwsError:
    text = f"Value {value} for parameter {name} is invalid."
    return invalid_parameter(f"{text} Reason: {reason}" if reason else text)


def missing_parameter(name: str) -> AwsError:
    return AwsError("MissingRequiredParameterException", f"The request must contain the parameter {name}.")


def receipt_handle_invalid(handle: str) -> AwsError:
    return AwsError(
        "ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.'
    )


def message_not_inflight() -> AwsError:
    return AwsError(
        "MessageNotInflight", "Message does not exist or is not available for visibility timeout change."
    )


def purge_in_progress(name: str) -> AwsError:
    return AwsError(
        "PurgeQueueInProgress", f"Only one PurgeQueue operation on {name} is allowed every 60 seconds."
    )


def deleted_recently() -> AwsError:
    return AwsError(
        "QueueDeletedRecently",
        "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
    )


def over_limit(message: str) -> AwsError:
    return AwsError("OverLimit", message)


def throttled() -> AwsError:
    return AwsError("RequestThrottled", "Rate exceeded")


def resource_not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message)


def unsupported(message: str) -> AwsError:
    return AwsError("UnsupportedOperation", message)


# KMS's exception name for each key ring error, quoted in SQS's message as AWS does
_KMS_CODES = (
    (KeyNotFoundError, "KmsNotFound", "NotFoundException"),
    (KeyDisabledError, "KmsDisabled", "DisabledException"),
    (KeyStateError, "KmsInvalidState", "KMSInvalidStateException"),
)


def kms_error(exc: KeyRingError) -> AwsError:
    """SQS's error for a queue whose KMS key cannot be used (SendMessage, ReceiveMessage...)."""
    for kind, code, kms_code in _KMS_CODES:
        if isinstance(exc, kind):
            return AwsError(
                code,
                f"{exc} (Service: AWSKMS; Status Code: 400; Error Code: {kms_code}; Request ID: {new_uuid()})",
            )
    # a stored body that no longer opens is ours, not the caller's
    return AwsError(
        "InternalFailure", "We encountered an internal error. Please try again.", 500, sender_fault=False
    )
