"""A bucket-operations harness shared by the bucket, CORS, policy and lifecycle tests (no tests here).

The core runs on a memory engine and a test clock, with a notifier that records what it is given;
the lifecycle loop is not started unless a test starts it (tests call `sweep()` themselves).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryEngine, completed
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.context import RequestContext
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.s3 import buckets
from headwater.services.s3.lifecycle import Lifecycle
from headwater.services.s3.records import Bucket, ObjectVersion, Part, Upload
from headwater.services.s3.service import S3Core

ACCOUNT = "111122223333"
OTHER = "444455556666"
DAY = 86_400


def context(account: str = ACCOUNT, region: str = "us-east-1") -> RequestContext:
    return RequestContext(account=account, region=region, request_id="REQ", host="localhost:4566")


CTX = context()


class RecordingNotifier:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, str, ObjectVersion]] = []
        self.tests: list[tuple[str, dict[str, Any]]] = []

    def emit(self, bucket: Bucket, event: str, version: ObjectVersion, ctx: RequestContext | None) -> Any:
        self.emitted.append((bucket.name, event, version))
        return completed(None)

    def test_event(
        self, bucket: Bucket, configuration: dict[str, Any], ctx: RequestContext | None = None
    ) -> Any:
        self.tests.append((bucket.name, configuration))
        return completed(None)


class FakeSqs:
    """A QueueSink that knows some queue ARNs (these tests record events, they deliver none)."""

    def __init__(self, *arns: str) -> None:
        self.arns = set(arns)

    def exists(self, arn: str) -> bool:
        return arn in self.arns

    async def deliver(self, arn: str, body: str, **_: Any) -> str:
        raise AssertionError("bucket tests deliver no events")


class Harness:
    def __init__(self, core: S3Core, clock: TestClock, notifier: RecordingNotifier) -> None:
        self.core = core
        self.clock = clock
        self.notifier = notifier
        self.lifecycle: Lifecycle = core.lifecycle

    async def call(self, operation: str, ctx: RequestContext = CTX, **params: Any) -> Any:
        return await buckets.OPERATIONS[operation](self.core, params, ctx)

    async def error(self, operation: str, ctx: RequestContext = CTX, **params: Any) -> AwsError:
        with pytest.raises(AwsError) as caught:
            await self.call(operation, ctx, **params)
        return caught.value

    async def bucket(self, name: str = "bucket", ctx: RequestContext = CTX, **params: Any) -> Bucket:
        await self.call("CreateBucket", ctx, Bucket=name, **params)
        return self.get(name)

    def get(self, name: str = "bucket") -> Bucket:
        bucket = self.core.store.bucket(name)
        assert bucket is not None
        return bucket

    async def blob(self, data: bytes) -> str:
        writer = self.core.engine.blobs.create()
        await writer.write(data)
        return await writer.commit()

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
            owner=ACCOUNT,
        )
        older = [v for v in self.core.store.versions(bucket, key) if v.version_id != version_id]
        await self.core.store.set_versions(bucket, key, [version, *older])
        return version

    async def upload(self, bucket: str, key: str, upload_id: str, parts: int = 2) -> Upload:
        now = self.core.now_ms()
        made = {}
        for number in range(1, parts + 1):
            made[number] = Part(number, await self.blob(b"p" * 10), 10, '"x"', now, "x")
        upload = Upload(upload_id, bucket, key, now, ACCOUNT, parts=made)
        await self.core.store.put_upload(upload)
        return upload

    def blob_exists(self, blob_id: str | None) -> bool:
        return blob_id is not None and self.core.engine.blobs.size(blob_id) is not None

    def keys(self, bucket: str) -> list[str]:
        return list(self.core.store.keys(bucket))


def run(body: Callable[[Harness], Awaitable[None]], *, sqs: Any = None, auth: str = "open") -> None:
    async def main() -> None:
        clock = TestClock()
        engine = MemoryEngine()
        await engine.start()
        config = Config(auth=auth)  # type: ignore[arg-type]
        core = S3Core(config, engine, clock, Metrics(), LocalKeyRing(engine.meta, clock), queues=sqs)
        core.store.load()
        notifier = RecordingNotifier()
        core.notifier = notifier
        core.lifecycle = Lifecycle(core)
        try:
            await body(Harness(core, clock, notifier))
        finally:
            await core.close()
            await engine.close()

    asyncio.run(main())
