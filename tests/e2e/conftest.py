"""The shared end-to-end fixtures: one server process per test worker, boto3 clients of any service
and the AWS CLI against it. A service's e2e tests need nothing more than:

    def test_keys(client) -> None:
        kms = client("kms")

Helpers for modules that run servers of their own or speak a wire format live in `support/`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support.cli import Cli
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture

# one unthrottled server per test worker; `endpoint` resets its state before each test
server = server_fixture(
    "server", "--durability fast --limits off --test-mode on --transition-delay 0", scope="session"
)


@pytest.fixture
def endpoint(server: Server) -> str:
    server.reset()
    return server.endpoint


@pytest.fixture
def client(endpoint: str) -> Callable[..., Any]:
    """`client("kms", **options)`: a boto3 client at the reset server (options: `client_for`'s)."""
    return partial(client_for, endpoint)


@pytest.fixture
def kinesis(client: Callable[..., Any]) -> Any:
    return client("kinesis")


@pytest.fixture
def sqs(client: Callable[..., Any]) -> Any:
    return client("sqs")


@pytest.fixture
def s3(client: Callable[..., Any]) -> Any:
    return client("s3")


@pytest.fixture
def cli(endpoint: str, tmp_path: Path) -> Callable[..., Cli]:
    """`cli("sqs", timeout=60)`: the AWS CLI at the reset server, with a home of its own."""

    def make(service: str | None = None, timeout: float = 120) -> Cli:
        home = tmp_path / "aws-home"
        home.mkdir(exist_ok=True)
        return Cli(endpoint, home, service, timeout)

    return make
