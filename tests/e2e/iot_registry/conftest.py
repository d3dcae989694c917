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
