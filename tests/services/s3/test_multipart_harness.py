"""A small S3 core harness shared by the multipart, notification and POST tests (no tests here).

The core is built as app.py builds it, on a memory engine; only the notifier of the core's
background work is started (what these tests exercise), and `emitted` records every event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.context import RequestContext
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.s3 import bodies, multipart
from headwater.services.s3.notifications import Notifier
from headwater.services.s3.records import Bucket, ObjectVersion
from headwater.services.s3.service import S3Core
from tests.services.s3.conftest import FakeBody

ACCOUNT = "123456789012"
CTX = RequestContext(account=ACCOUNT, region="us-east-1", request_id="REQ", host="localhost:4566")
MIB = 1024 * 1024


def body(data: bytes, chunk: int = 256 * 1024, **trailers: str) -> FakeBody:
    """A streamed body (conftest's FakeBody); trailers given as x_amz_checksum_crc32="..." """
    return FakeBody(data, chunk, trailers={name.replace("_", "-"): value for name, value in trailers.items()})


class RecordingNotifier(Notifier):
    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self.emitted: list[tuple[str, str, ObjectVersion]] = []

    def emit(self, bucket: Bucket, event: str, version: ObjectVersion, ctx: RequestContext | None) -> Any:
        self.emitted.append((bucket.name, event, version))
        return super().emit(bucket, event, version, ctx)


class Harness:
    def __init__(self, core: S3Core) -> None:
        self.core = core

    @property
    def emitted(self) -> list[tuple[str, str, ObjectVersion]]:
        return self.core.notifier.emitted  # type: ignore[no-any-return]

    async def call(self, operation: str, **params: Any) -> Any:
        return await multipart.OPERATIONS[operation](self.core, params, CTX)

    async def error(self, operation: str, **params: Any) -> AwsError:
        with pytest.raises(AwsError) as caught:
            await self.call(operation, **params)
        return caught.value

    async def bucket(self, name: str = "bkt", versioning: str | None = None) -> Bucket:
        bucket = Bucket(name, ACCOUNT, "us-east-1", self.core.now_ms(), versioning=versioning)
        await self.core.store.put_bucket(bucket)
        return bucket

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

    async def read(self, key: str = "obj", bucket: str = "bkt") -> bytes:
        version = self.core.store.latest(bucket, key)
        assert version is not None
        return b"".join([chunk async for chunk in bodies.read_body(self.core, version)])

    def blob_exists(self, blob_id: str | None) -> bool:
        return blob_id is not None and self.core.engine.blobs.size(blob_id) is not None


def run(test: Callable[[Harness], Awaitable[None]]) -> None:
    async def main() -> None:
        clock = TestClock()
        engine = MemoryEngine()
        await engine.start()
        core = S3Core(
            Config(limits=False), engine, clock, Metrics(), LocalKeyRing(engine.meta, clock), queues=None
        )
        core.store.load()
        core.notifier = RecordingNotifier(core)
        await core.notifier.start()
        try:
            await test(Harness(core))
        finally:
            await core.close()
            await engine.close()

    asyncio.run(main())
