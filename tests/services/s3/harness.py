"""The one S3 unit-test harness: an S3Core built as app.py builds it, on a memory or embedded engine
with a TestClock and a local key ring, called operation by operation.

Two ways in, both built by `open_s3`:
- async tests: `run(test, **options)` runs `async def test(h: S3Harness)` on a fresh core;
- plain tests: the fixtures of conftest.py (`s3`, `core`, `call`, `make_bucket`, `body`, ...) on a
  fully started core, with coroutines driven through `run`.

Options of `open_s3` (all keywords):
- engine: "memory" (default) or "embedded" (then `data_dir` is required);
- clock: a TestClock to share across restarts (default: a new one);
- queues: where notifications go: None, a QueueSink double (FakeSqs), or "sqs" for a real SqsCore
  behind SqsQueueSink (then `h.sqs_call`, `h.messages`, `h.drained`);
- notify: "deliver" (default): a RecordingNotifier that records and goes through the real outbox;
  "record": it only records (nothing reaches the outbox or a queue);
- background: "notifier" (default): only the notifier's delivery task runs; "none": nothing runs
  (tests call `h.lifecycle.sweep()` themselves); "all": `core.start()`, as the server does;
- ctx: the RequestContext operations get by default (default CTX);
- any other keyword is a Config field (auth="strict", credentials={...}); limits are off.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import pytest

from headwater.config import Config
from headwater.engine.api import Engine
from headwater.engine.embedded import EmbeddedEngine
from headwater.engine.memory import MemoryEngine, completed
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.context import RequestContext
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.ports import DeliveryError, QueueSink
from headwater.services.s3 import api, bodies
from headwater.services.s3.lifecycle import Lifecycle
from headwater.services.s3.notifications import OUTBOX, Notifier
from headwater.services.s3.records import Bucket, ObjectVersion, Part, Upload
from headwater.services.s3.service import S3Core
from headwater.services.sqs.api import SqsApi
from headwater.services.sqs.service import SqsCore
from headwater.services.sqs.sink import SqsQueueSink

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "us-east-1"
MIB = 1024 * 1024

EngineKind = Literal["memory", "embedded"]
Notify = Literal["deliver", "record"]
Background = Literal["notifier", "none", "all"]


def context(
    account: str = ACCOUNT, region: str = REGION, *, request_id: str = "REQ", host: str = "localhost:4566"
) -> RequestContext:
    return RequestContext(
        account=account, region=region, request_id=request_id, protocol="rest-xml", host=host
    )


CTX = context()


# -- doubles ----------------------------------------------------------------------------------------


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


def body(data: bytes, chunk: int = 256 * 1024, **trailers: str) -> FakeBody:
    """A streamed body; trailers given as x_amz_checksum_crc32="..." """
    return FakeBody(data, chunk, trailers={name.replace("_", "-"): value for name, value in trailers.items()})


class RecordingNotifier(Notifier):
    """Records every event (`emitted`) and test event (`tests`); with `deliver` they also go
    through the real outbox, else nothing is written."""

    def __init__(self, core: S3Core, *, deliver: bool) -> None:
        super().__init__(core)
        self.deliver = deliver
        self.emitted: list[tuple[str, str, ObjectVersion]] = []
        self.tests: list[tuple[str, dict[str, Any]]] = []

    def emit(self, bucket: Bucket, event: str, version: ObjectVersion, ctx: RequestContext | None) -> Any:
        self.emitted.append((bucket.name, event, version))
        return super().emit(bucket, event, version, ctx) if self.deliver else completed(None)

    def test_event(
        self, bucket: Bucket, configuration: dict[str, Any], ctx: RequestContext | None = None
    ) -> Any:
        self.tests.append((bucket.name, configuration))
        return super().test_event(bucket, configuration, ctx) if self.deliver else completed(None)


class FakeSqs:
    """A QueueSink that knows some queue ARNs and takes no message."""

    def __init__(self, *arns: str) -> None:
        self.arns = set(arns)

    def exists(self, arn: str) -> bool:
        return arn in self.arns

    async def deliver(self, arn: str, body: str, **_: Any) -> str:
        raise AssertionError("this double delivers no events")

    async def deliver_many(self, arn: str, bodies: Sequence[str]) -> list[DeliveryError | None]:
        raise AssertionError("this double delivers no events")


# -- the harness ------------------------------------------------------------------------------------


class S3Harness:
    def __init__(self, core: S3Core, clock: TestClock, ctx: RequestContext, sqs: SqsCore | None) -> None:
        self.core = core
        self.clock = clock
        self.ctx = ctx
        self.sqs = sqs

    @property
    def engine(self) -> Engine:
        return self.core.engine

    @property
    def notifier(self) -> Any:
        return self.core.notifier

    @property
    def lifecycle(self) -> Lifecycle:
        return self.core.lifecycle  # type: ignore[no-any-return]

    @property
    def emitted(self) -> list[tuple[str, str, ObjectVersion]]:
        return self.core.notifier.emitted  # type: ignore[no-any-return]

    # -- operations, by name ----------------------------------------------------------------------

    async def call(self, operation: str, ctx: RequestContext | None = None, **params: Any) -> Any:
        return await api.OPERATIONS[operation](self.core, params, ctx or self.ctx)

    async def error(self, operation: str, ctx: RequestContext | None = None, **params: Any) -> AwsError:
        with pytest.raises(AwsError) as caught:
            await self.call(operation, ctx, **params)
        return caught.value

    async def drain(self, result: dict[str, Any]) -> bytes:
        """The bytes of a GetObject result's body (its declared lengths checked)."""
        data = b"".join([chunk async for chunk in result["Body"].chunks])
        assert len(data) == result["Body"].length == result["ContentLength"]
        return data

    # -- buckets ----------------------------------------------------------------------------------

    async def create_bucket(
        self, name: str = "bucket", ctx: RequestContext | None = None, **params: Any
    ) -> Bucket:
        """CreateBucket, then the stored bucket."""
        await self.call("CreateBucket", ctx, Bucket=name, **params)
        return self.get(name)

    async def bucket(self, name: str = "bkt", versioning: str | None = None, **configs: Any) -> Bucket:
        """A bucket written straight into the store, with the given sub-resource configs."""
        bucket = Bucket(name, self.ctx.account, self.ctx.region, self.core.now_ms(), versioning=versioning)
        for config, value in configs.items():
            bucket = bucket.with_config(config, value)
        await self.core.store.put_bucket(bucket)
        return bucket

    def get(self, name: str = "bucket") -> Bucket:
        bucket = self.core.store.bucket(name)
        assert bucket is not None
        return bucket

    def keys(self, bucket: str) -> list[str]:
        return list(self.core.store.keys(bucket))

    # -- objects and blobs ------------------------------------------------------------------------

    async def blob(self, data: bytes) -> str:
        writer = self.core.engine.blobs.create()
        await writer.write(data)
        return await writer.commit()

    def blob_exists(self, blob_id: str | None) -> bool:
        return blob_id is not None and self.core.engine.blobs.size(blob_id) is not None

    async def put(
        self,
        bucket: str,
        key: str,
        data: bytes = b"data",
        *,
        version_id: str = "null",
        tags: dict[str, str] | None = None,
        at_ms: int | None = None,
        marker: bool = False,
    ) -> ObjectVersion:
        """Writes a version (newest first) straight into the store, as the objects module would."""
        blobs = () if marker or not data else (await self.blob(data),)
        version = ObjectVersion(
            key=key,
            version_id=version_id,
            last_modified_ms=self.core.now_ms() if at_ms is None else at_ms,
            blobs=blobs,
            size=0 if marker else len(data),
            delete_marker=marker,
            tags=tags or {},
            owner=self.ctx.account,
        )
        older = [v for v in self.core.store.versions(bucket, key) if v.version_id != version_id]
        await self.core.store.set_versions(bucket, key, [version, *older])
        return version

    async def read(self, key: str = "obj", bucket: str = "bkt") -> bytes:
        """The body of the latest version, read from its blobs."""
        version = self.core.store.latest(bucket, key)
        assert version is not None
        return b"".join([chunk async for chunk in bodies.read_body(self.core, version)])

    # -- multipart uploads ------------------------------------------------------------------------

    async def upload(self, bucket: str, key: str, upload_id: str, parts: int = 2) -> Upload:
        """An upload of `parts` 10-byte parts written straight into the store."""
        now = self.core.now_ms()
        made = {}
        for number in range(1, parts + 1):
            made[number] = Part(number, await self.blob(b"p" * 10), 10, '"x"', now, "x")
        upload = Upload(upload_id, bucket, key, now, self.ctx.account, parts=made)
        await self.core.store.put_upload(upload)
        return upload

    async def create(self, key: str = "obj", bucket: str = "bkt", **params: Any) -> str:
        result = await self.call("CreateMultipartUpload", Bucket=bucket, Key=key, **params)
        return str(result["UploadId"])

    async def part(self, upload_id: str, number: int, data: bytes, key: str = "obj", **params: Any) -> Any:
        return await self.call(
            "UploadPart",
            Bucket=params.pop("Bucket", "bkt"),
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=params.pop("Body", None) or body(data),
            **params,
        )

    async def complete(
        self, upload_id: str, parts: list[dict[str, Any]], key: str = "obj", **params: Any
    ) -> Any:
        return await self.call(
            "CompleteMultipartUpload",
            Bucket=params.pop("Bucket", "bkt"),
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            **params,
        )

    # -- the SQS core behind queues="sqs" ---------------------------------------------------------

    def queue_url(self, name: str = "events") -> str:
        return f"http://localhost:4566/{self.ctx.account}/{name}"

    async def sqs_call(self, operation: str, **params: Any) -> dict[str, Any]:
        assert self.sqs is not None, 'open_s3(queues="sqs") wires an SQS core'
        handler = SqsApi(self.sqs).operation(operation)
        assert handler is not None
        return await handler(params, self.ctx)  # type: ignore[no-any-return]

    async def messages(self, count: int, queue: str = "events") -> list[dict[str, Any]]:
        """Waits (bounded) for `count` messages in the queue and returns their parsed bodies."""
        found: list[dict[str, Any]] = []
        for _ in range(200):
            result = await self.sqs_call(
                "ReceiveMessage", QueueUrl=self.queue_url(queue), MaxNumberOfMessages=10
            )
            found += [json.loads(m["Body"]) for m in result.get("Messages", [])]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.005)
        raise AssertionError(f"expected {count} messages, got {len(found)}")

    async def drained(self) -> None:
        """Waits (bounded) until the notifier's outbox is empty."""
        for _ in range(200):
            if self.notifier.backlog == 0 and not list(self.engine.meta.scan(OUTBOX)):
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the outbox did not drain")


@asynccontextmanager
async def open_s3(
    *,
    engine: EngineKind = "memory",
    data_dir: Path | None = None,
    clock: TestClock | None = None,
    queues: QueueSink | Literal["sqs"] | None = None,
    notify: Notify = "deliver",
    background: Background = "notifier",
    ctx: RequestContext = CTX,
    **config: Any,
) -> AsyncIterator[S3Harness]:
    """A started engine and S3 core (options: see the module's docstring), closed on exit."""
    clock = clock or TestClock()
    if engine == "embedded":
        assert data_dir is not None, "an embedded engine needs a data_dir"
        store: Engine = EmbeddedEngine(data_dir, "durable")
    else:
        store = MemoryEngine()
    await store.start()
    keys = LocalKeyRing(store.meta, clock)
    sqs: SqsCore | None = None
    sink: QueueSink | None = None
    if queues == "sqs":
        sqs = SqsCore(Config(limits=False), store, clock, Metrics(), keys)
        await sqs.start()
        sink = SqsQueueSink(sqs)
    else:
        sink = queues
    core = S3Core(Config(**{"limits": False, **config}), store, clock, Metrics(), keys, sink)
    try:
        if background == "all":
            await core.start()
        else:
            await core.store.load()
            core.notifier = RecordingNotifier(core, deliver=notify == "deliver")
            core.lifecycle = Lifecycle(core)
            if background == "notifier":
                await core.notifier.start()
        yield S3Harness(core, clock, ctx, sqs)
    finally:
        await core.close()
        if sqs is not None:
            await sqs.close()
        await store.close()


def run(test: Callable[[S3Harness], Awaitable[None]], **options: Any) -> None:
    """Runs `test` on a fresh harness (options: those of `open_s3`)."""

    async def main() -> None:
        async with open_s3(**options) as h:
            await test(h)

    asyncio.run(main())


def run_idle(test: Callable[[S3Harness], Awaitable[None]], **options: Any) -> None:
    """`run` with nothing in the background and a notifier that only records (the bucket, CORS,
    policy and lifecycle tests: they sweep and check events themselves)."""
    run(test, **{"notify": "record", "background": "none", **options})
