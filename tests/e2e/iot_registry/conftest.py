"""The iot registry's e2e fixtures: a boto3 `iot` client at the reset shared server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def iot(client: Callable[..., Any]) -> Any:
    return client("iot")


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a call that must fail."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        call(**params)
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def certificate(iot: Any) -> str:
    """A new certificate's ARN (the registry attaches only principals that exist)."""
    arn: str = iot.create_keys_and_certificate(setAsActive=False)["certificateArn"]
    return arn
