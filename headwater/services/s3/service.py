"""The S3 core: the store, the bodies, and the background work (lifecycle, notifications).

The operation modules (buckets, objects, listing, multipart, ...) are functions of (core, params,
ctx); what they share lives here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from headwater.config import Config
from headwater.engine.api import Engine
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.runtime.tasks import BackgroundTasks
from headwater.services.ports import FunctionInvoker, KeyRing, QueueSink
from headwater.services.s3.errors import no_such_bucket
from headwater.services.s3.metrics import storage_collector
from headwater.services.s3.notifications import Notifier
from headwater.services.s3.records import Bucket
from headwater.services.s3.request_record import RequestRecord
from headwater.services.s3.store import S3Store
from headwater.services.s3.sweep import sweep

log = logging.getLogger("headwater.s3")


class RequestObserver(Protocol):
    def wants(self, bucket: str) -> bool: ...

    def observe(self, record: RequestRecord) -> None: ...


class S3Core:
    def __init__(
        self,
        config: Config,
        engine: Engine,
        clock: SystemClock,
        metrics: Metrics,
        keys: KeyRing,
        queues: QueueSink | None,  # where event notifications go (None: nowhere)
    ) -> None:
        self.config = config
        self.engine = engine
        self.clock = clock
        self.metrics = metrics
        self.keys = keys
        self.queues = queues
        # where notifications to functions go: the entry points it at the ports (functions come later)
        self.functions: Callable[[], FunctionInvoker | None] = lambda: None
        self.store = S3Store(engine.meta, engine.ordered, engine.blobs)
        self.background = BackgroundTasks(log)
        self.notifier = Notifier(self)  # a fresh one at each start
        self.closing = False
        self.sweep: asyncio.Task[int] | None = None
        # who hears of each answered request (server access logging); empty: nobody, at no cost
        self.request_observers: list[RequestObserver] = []
        metrics.collectors.append(storage_collector(self.store))

    # -- lifecycle of the service -----------------------------------------------------------------

    async def start(self) -> None:
        self.closing = False
        await self.store.load()
        self.sweep = self.spawn(sweep(self.store))  # orphaned blobs, in the background
        self.notifier = Notifier(self)
        await self.notifier.start()

    async def close(self) -> None:
        self.closing = True
        await self.background.cancel_all()

    async def reset(self) -> None:
        await self.close()
        self.store.clear()
        await self.start()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return self.background.spawn(coro)

    # -- shared helpers ---------------------------------------------------------------------------

    def bucket(self, name: str | None) -> Bucket:
        """The named bucket, or NoSuchBucket. (Bucket names are global: any account may address
        any bucket; policies and strict auth decide what it may do.)"""
        bucket = self.store.bucket(name or "")
        if bucket is None:
            raise no_such_bucket(name or "")
        return bucket

    def observed(self, bucket: str) -> bool:
        """Whether anyone wants to hear of requests to `bucket` (cheap: asked for every request)."""
        return any(observer.wants(bucket) for observer in self.request_observers)

    def observe(self, record: RequestRecord) -> None:
        for observer in self.request_observers:
            if observer.wants(record.bucket):
                observer.observe(record)

    def now_ms(self) -> int:
        return self.clock.now_ms()
