"""Shared fixtures of the S3 unit tests: a started S3Core on a MemoryEngine with a TestClock.

Tests are plain functions that drive coroutines through `run` (the core's event loop); store
mutations need that loop running, so do them inside a coroutine given to `run`:

    def test_put(core, ctx, run, make_bucket, body):
        make_bucket("b")
        result = run(objects.OPERATIONS["PutObject"](core, {"Bucket": "b", "Key": "k",
                                                            "Body": body(b"data")}, ctx))

`call` does the same by operation name for the object and listing operations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.context import RequestContext
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.s3.records import Bucket
from headwater.services.s3.service import S3Core

T = TypeVar("T")
ACCOUNT = "000000000000"
REGION = "us-east-1"


class FakeBody:
    """A RequestBody: `data` in chunks of `chunk` bytes; `trailers` filled after the last chunk
    (as aws-chunked decoding does); `error` raised after `fail_after` bytes instead of finishing."""

    def __init__(
        self,
        data: bytes,
        chunk: int = 64 * 1024,
        *,
        length: int | None = -1,
        trailers: dict[str, str] | None = None,
        error: BaseException | None = None,
        fail_after: int = 0,
    ) -> None:
        self.data = data
        self.chunk = max(1, chunk)
        self.length = len(data) if length == -1 else length
        self.trailers: dict[str, str] = {}
        self._final_trailers = dict(trailers or {})
        self._error = error
        self._fail_after = fail_after
        self.consumed = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.chunk):
            if self._error is not None and start >= self._fail_after:
                raise self._error
            piece = self.data[start : start + self.chunk]
            self.consumed += len(piece)
            yield piece
            await asyncio.sleep(0)  # let other tasks run between chunks, as a socket would
        if self._error is not None:
            raise self._error
        self.trailers.update(self._final_trailers)


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
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def core(loop: asyncio.AbstractEventLoop, clock: TestClock) -> Iterator[S3Core]:
    engine = MemoryEngine()
    s3 = S3Core(Config(limits=False), engine, clock, Metrics(), LocalKeyRing(engine.meta, clock), queues=None)
    loop.run_until_complete(engine.start())
    loop.run_until_complete(s3.start())
    yield s3
    loop.run_until_complete(s3.close())
    loop.run_until_complete(engine.close())


@pytest.fixture
def ctx() -> RequestContext:
    return RequestContext(account=ACCOUNT, region=REGION, request_id="req-1", protocol="rest-xml")


@pytest.fixture
def make_bucket(core: S3Core, run: Callable[[Awaitable[Any]], Any]) -> Callable[..., Bucket]:
    def make(name: str, versioning: str | None = None, **configs: Any) -> Bucket:
        bucket = Bucket(name, ACCOUNT, REGION, core.now_ms(), versioning=versioning)
        for config, value in configs.items():
            bucket = bucket.with_config(config, value)

        async def put() -> None:
            await core.store.put_bucket(bucket)  # store writes need the running loop

        run(put())
        return bucket

    return make


@pytest.fixture
def body() -> Callable[..., FakeBody]:
    return FakeBody


class Calls:
    """Calls the object and listing operations by name: `call("PutObject", Bucket=..., Key=...)`;
    `call.error(...)` returns the AwsError raised; `call.read(result)` drains a GetObject body."""

    def __init__(self, core: S3Core, ctx: RequestContext, run: Callable[[Awaitable[Any]], Any]) -> None:
        from headwater.services.s3 import listing, objects

        self.core, self.ctx, self.run = core, ctx, run
        self.operations = {**objects.OPERATIONS, **listing.OPERATIONS}

    def __call__(self, operation: str, **params: Any) -> Any:
        return self.run(self.operations[operation](self.core, params, self.ctx))

    def error(self, operation: str, **params: Any) -> AwsError:
        with pytest.raises(AwsError) as raised:
            self(operation, **params)
        return raised.value

    def read(self, result: dict[str, Any]) -> bytes:
        async def drain() -> bytes:
            return b"".join([chunk async for chunk in result["Body"].chunks])

        data: bytes = self.run(drain())
        assert len(data) == result["Body"].length == result["ContentLength"]
        return data


@pytest.fixture
def call(core: S3Core, ctx: RequestContext, run: Callable[[Awaitable[Any]], Any]) -> Calls:
    return Calls(core, ctx, run)
