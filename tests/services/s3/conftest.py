"""Fixtures of the S3 unit tests, on the one harness (harness.py): a fully started S3Core
(`open_s3(background="all")`) on a memory engine and a TestClock, driven from plain test functions.

Coroutines run on the core's event loop through `run`; store mutations need that loop running, so
do them inside a coroutine given to `run`:

    def test_put(call, make_bucket, body):
        make_bucket("b")
        result = call("PutObject", Bucket="b", Key="k", Body=body(b"data"))

Async tests use `harness.run(test, **options)` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import pytest

from headwater.protocol.errors import AwsError
from headwater.runtime.clock import TestClock
from headwater.services.context import RequestContext
from headwater.services.s3.records import Bucket
from headwater.services.s3.service import S3Core
from tests.services.s3.harness import FakeBody, S3Harness, open_s3

T = TypeVar("T")
Run = Callable[[Awaitable[Any]], Any]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop) -> Callable[[Awaitable[T]], T]:
    def run(awaitable: Awaitable[T]) -> T:
        return loop.run_until_complete(awaitable)  # type: ignore[arg-type]

    return run


@pytest.fixture
def s3(run: Run) -> Iterator[S3Harness]:
    stack = AsyncExitStack()
    harness: S3Harness = run(stack.enter_async_context(open_s3(background="all")))
    yield harness
    run(stack.aclose())


@pytest.fixture
def core(s3: S3Harness) -> S3Core:
    return s3.core


@pytest.fixture
def clock(s3: S3Harness) -> TestClock:
    return s3.clock


@pytest.fixture
def ctx(s3: S3Harness) -> RequestContext:
    return s3.ctx


@pytest.fixture
def make_bucket(s3: S3Harness, run: Run) -> Callable[..., Bucket]:
    """`make_bucket(name, versioning=None, **configs)`: a bucket written straight into the store."""

    def make(name: str, versioning: str | None = None, **configs: Any) -> Bucket:
        bucket: Bucket = run(s3.bucket(name, versioning, **configs))
        return bucket

    return make


@pytest.fixture
def body() -> Callable[..., FakeBody]:
    return FakeBody


class Calls:
    """Operations by name: `call("PutObject", Bucket=..., Key=...)`; `call.error(...)` returns the
    AwsError raised; `call.read(result)` drains a GetObject body."""

    def __init__(self, s3: S3Harness, run: Run) -> None:
        self.s3, self.run = s3, run

    def __call__(self, operation: str, **params: Any) -> Any:
        return self.run(self.s3.call(operation, **params))

    def error(self, operation: str, **params: Any) -> AwsError:
        error: AwsError = self.run(self.s3.error(operation, **params))
        return error

    def read(self, result: dict[str, Any]) -> bytes:
        data: bytes = self.run(self.s3.drain(result))
        return data


@pytest.fixture
def call(s3: S3Harness, run: Run) -> Calls:
    return Calls(s3, run)
