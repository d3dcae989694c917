"""boto3 for the control plane (setup, readiness, clean-up): off the measured paths, so its cost is fine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from bench.common.servers import HOST
from bench.common.wire import ACCESS_KEY, REGION, SECRET_KEY


def client(service: str, port: int, read_timeout: float = 60.0, **config: Any) -> Any:
    """A boto3 client for the server on `port`, no retries; `config`: more botocore Config options."""
    return boto3.client(
        service,
        endpoint_url=f"http://{HOST}:{port}",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            retries={"total_max_attempts": 1}, read_timeout=read_timeout, connect_timeout=5, **config
        ),
    )


def prober(make: Callable[[int, float], Any], call: str) -> Callable[[int], bool]:
    """A readiness probe: ready when `make(port, read_timeout).<call>()` answers."""

    def probe(port: int) -> bool:
        try:
            api = make(port, 3)
            try:
                getattr(api, call)()
            finally:
                api.close()
            return True
        except Exception:  # noqa: BLE001 - any failure means not ready yet
            return False

    return probe


def reason(exc: Exception) -> str:
    """An exception as a one-line reason for RESULTS.md."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"
