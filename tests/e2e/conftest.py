from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from tests.e2e.server import Server, serving


def client_for(endpoint: str, service: str = "kinesis", **config: object):  # noqa: ANN201
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One unthrottled server per test worker; state is reset before each test."""
    with serving(
        tmp_path_factory, "server", "--durability fast --limits off --test-mode on --transition-delay 0"
    ) as running:
        yield running


@pytest.fixture
def endpoint(server: Server) -> str:
    server.reset()
    return server.endpoint


@pytest.fixture
def kinesis(endpoint: str):  # noqa: ANN201
    return client_for(endpoint)


@pytest.fixture
def sqs(endpoint: str):  # noqa: ANN201
    return client_for(endpoint, "sqs")


@pytest.fixture
def s3(endpoint: str):  # noqa: ANN201
    return client_for(endpoint, "s3", s3={"addressing_style": "path"})
