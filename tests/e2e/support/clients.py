"""boto3 clients for a running server, one way for every service and test."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


def client_for(
    endpoint: str,
    service: str = "kinesis",
    *,
    region: str = "us-east-1",
    access_key: str = "test",
    secret_key: str = "test",
    verify: bool | str | None = None,
    retries: dict[str, Any] | None = None,
    **config: Any,
) -> Any:
    """A boto3 client of `service` at `endpoint`: one attempt and no retry (`max_attempts` 1 unless
    `retries` says otherwise), S3 path-style unless `s3=` says otherwise, and any other botocore
    Config settings. A 12-digit `access_key` names another account."""
    if service == "s3":
        config["s3"] = {"addressing_style": "path", **config.get("s3", {})}
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        verify=verify,
        config=Config(retries=retries or {"max_attempts": 1}, **config),  # type: ignore[arg-type]
    )
