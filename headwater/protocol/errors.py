"""Errors that carry an AWS error code; every protocol encoder knows how to render them."""

from __future__ import annotations


class AwsError(Exception):
    """An error the client caused (or a server fault) with AWS's code, message and HTTP status.

    `code` is the bare error name (``ResourceNotFoundException``); the encoder of each protocol
    renders it (JSON ``__type``, CBOR map, Query/XML ``<Code>``). `query_code` is the legacy
    Query-protocol code where it differs (SQS), `sender_fault` picks Sender/Receiver.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        sender_fault: bool = True,
        query_code: str | None = None,
        headers: dict[str, str] | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.query_code = query_code
        self.headers = headers or {}
        # extra elements of an S3 XML error, in order (BucketName, Key, Condition, ArgumentName...)
        self.details = details or {}

    def __repr__(self) -> str:
        return f"AwsError({self.code!r}, {self.message!r}, {self.status})"


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def serialization_error(message: str = "") -> AwsError:
    return AwsError("SerializationException", message)


def internal_failure(request_id: str) -> AwsError:
    return AwsError(
        "InternalFailure",
        f"We encountered an internal error. Please try again. (request {request_id})",
        500,
        sender_fault=False,
    )
