"""KMS's errors with AWS's codes and message texts (clients and tools match on them).

Every KMS error is a 400 but KMSInternalException. The texts are KMS's: `Invalid keyId x` for a
reference that is no key id, `Key '<arn>' does not exist`, `Alias <arn> is not found.`,
`<arn> is disabled.`, `<arn> is pending deletion.`; the key store raises those same texts, so a
store error maps to its API error by kind alone.
"""

from __future__ import annotations

from headwater.protocol.errors import AwsError
from headwater.services.kms.keystore import AliasExistsError, InvalidAliasNameError
from headwater.services.ports import (
    InvalidCiphertextError,
    KeyDisabledError,
    KeyNotFoundError,
    KeyRingError,
    KeyStateError,
)


def not_found(message: str) -> AwsError:
    return AwsError("NotFoundException", message)


def invalid_key_id(ref: str) -> AwsError:
    return not_found(f"Invalid keyId {ref}")


def disabled(arn: str) -> AwsError:
    return AwsError("DisabledException", f"{arn} is disabled.")


def invalid_state(message: str) -> AwsError:
    return AwsError("KMSInvalidStateException", message)


def pending_deletion(arn: str) -> AwsError:
    return invalid_state(f"{arn} is pending deletion.")


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def constraint(value: object, member: str, rule: str) -> AwsError:
    """A model-style validation message for a rule the model does not carry."""
    shown = "null" if value is None else f"'{value}'"
    return validation(
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: {rule}"
    )


def unsupported(message: str) -> AwsError:
    return AwsError("UnsupportedOperationException", message)


def invalid_ciphertext() -> AwsError:
    # KMS says nothing more: the blob may be foreign, altered or under another context
    return AwsError("InvalidCiphertextException", "")


def invalid_marker() -> AwsError:
    return AwsError("InvalidMarkerException", "Invalid marker")


def malformed_policy() -> AwsError:
    return AwsError(
        "MalformedPolicyDocumentException", "The new key policy is not a valid JSON policy document."
    )


def access_denied(account: str, action: str, arn: str) -> AwsError:
    """What KMS answers for an AWS-managed key, whose key policy only its service may change."""
    return AwsError(
        "AccessDeniedException",
        f"User: arn:aws:iam::{account}:root is not authorized to perform: kms:{action} on resource: "
        f"{arn} because no resource-based policy allows the kms:{action} action",
    )


def from_store(exc: KeyRingError) -> AwsError:
    """The API error for a key store error."""
    if isinstance(exc, KeyNotFoundError):
        return not_found(str(exc))
    if isinstance(exc, KeyDisabledError):
        return AwsError("DisabledException", str(exc))
    if isinstance(exc, KeyStateError):
        return invalid_state(str(exc))
    if isinstance(exc, InvalidCiphertextError):
        return invalid_ciphertext()
    if isinstance(exc, AliasExistsError):
        return AwsError("AlreadyExistsException", str(exc))
    if isinstance(exc, InvalidAliasNameError):
        return AwsError("InvalidAliasNameException", str(exc))
    return AwsError("KMSInternalException", str(exc), 500, sender_fault=False)
