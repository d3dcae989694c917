"""The SQS service core: the queue registry, its persistence, encryption, and background work.

Operation logic lives in the sibling modules (queues, send, receive, delete, redrive); they all work
on one `SqsCore`, which owns every queue of every (account, region), the engine handles, the clock,
the receipt-handle key and the metrics.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Coroutine, Sequence
from typing import Any
from urllib.parse import urlsplit

from headwater.config import Config
from headwater.engine.api import Engine
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.runtime.tasks import BackgroundTasks
from headwater.services.context import RequestContext
from headwater.services.ports import KeyRing, KeyRingError
from headwater.services.sqs import errors, window
from headwater.services.sqs.queue import Queue, QueueDef
from headwater.services.sqs.receipts import ReceiptHandles

log = logging.getLogger("headwater.sqs")

QUEUES = "sqs.queues"
SECRETS = "sqs.secrets"
QUEUE_ARN = re.compile(r"arn:aws[^:]*:sqs:([^:]+):(\d{12}):([A-Za-z0-9_.-]+)")
SWEEP_INTERVAL_S = 1.0
DELETED_NAME_HOLD_S = 60.0
FIFO_TPS = 300.0
NS = "SQS"
GAUGES = (
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateAgeOfOldestMessage",
)

Key = tuple[str, str, str]  # (account, region, name)
SSE_SQS_KEY = "aws-owned/sqs"  # SSE-SQS seals under an SQS-owned key, which the account never sees


def def_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


class SqsCore:
    def __init__(
        self, config: Config, engine: Engine, clock: SystemClock, metrics: Metrics, keys: KeyRing
    ) -> None:
        self.config = config
        self.engine = engine
        self.store = engine.queues
        self.meta = engine.meta
        self.clock = clock
        self.metrics = metrics
        self.keys = keys
        self.queues: dict[Key, Queue] = {}
        self.by_store_id: dict[str, Queue] = {}
        self.deleted_names: dict[Key, float] = {}  # recently deleted -> when
        self.receipts = ReceiptHandles(b"\0" * 32)
        self.background = BackgroundTasks(log)
        self.closing = False
        metrics.collectors.append(self._collect)

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self.closing = False
        secret = self.meta.get(SECRETS, "receipt-key")
        if secret is None:
            secret = os.urandom(32)
            await self.meta.put(SECRETS, "receipt-key", secret)
        self.receipts = ReceiptHandles(secret)
        now_ms = self.clock.now_ms()
        for _, raw in self.meta.scan(QUEUES):
            definition = QueueDef(**json.loads(raw))
            queue = self._register(definition)
            await window.restore(self, queue, now_ms)  # a window of it: the rest stays stored
        self.spawn(self._sweep_forever())

    async def close(self) -> None:
        self.closing = True
        await self.background.cancel_all()
        for queue in self.queues.values():
            queue.wake()

    async def reset(self) -> None:
        await self.close()
        self.queues.clear()
        self.by_store_id.clear()
        self.deleted_names.clear()
        await self.start()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return self.background.spawn(coro)

    def _register(self, definition: QueueDef) -> Queue:
        queue = Queue(definition, self.store)
        self.queues[(definition.account, definition.region, definition.name)] = queue
        self.by_store_id[definition.store_id] = queue
        return queue

    # -- persistence -----------------------------------------------------------------------------
    async def save(self, queue: Queue) -> None:
        d = queue.definition
        raw = json.dumps(
            {
                "account": d.account,
                "region": d.region,
                "name": d.name,
                "store_id": d.store_id,
                "attributes": d.attributes,
                "created": d.created,
                "modified": d.modified,
                "tags": d.tags,
            }
        ).encode()
        await self.meta.put(QUEUES, def_key(d.account, d.region, d.name), raw)

    async def create(self, definition: QueueDef) -> Queue:
        await self.store.create(definition.store_id)
        queue = self._register(definition)
        await self.save(queue)
        return queue

    async def delete(self, queue: Queue) -> None:
        d = queue.definition
        key = (d.account, d.region, d.name)
        if self.queues.get(key) is not queue:
            return
        del self.queues[key]
        self.by_store_id.pop(d.store_id, None)
        queue.deleted = True
        queue.wake()
        self.deleted_names[key] = self.clock.now()
        if not any(other.name == d.name for other in self.queues.values()):  # series are per name
            self.metrics.forget(NS, (("QueueName", d.name),))
        await self.meta.delete(QUEUES, def_key(*key))
        await self.store.drop(d.store_id)

    def recently_deleted(self, key: Key) -> bool:
        """AWS's rule: a deleted queue's name stays taken for 60 s (lifted with `aws_timing` off)."""
        if not self.config.aws_timing:
            return False
        when = self.deleted_names.get(key)
        if when is None:
            return False
        if self.clock.now() - when >= DELETED_NAME_HOLD_S:
            del self.deleted_names[key]
            return False
        return True

    # -- lookups ---------------------------------------------------------------------------------
    def url(self, queue: Queue, ctx: RequestContext) -> str:
        d = queue.definition
        return f"{ctx.scheme}://{ctx.host}/{d.account}/{d.name}"

    def find(self, url: str | None, ctx: RequestContext) -> Queue:
        """The queue a QueueUrl names: `<scheme>://<any host>/<account>/<name>`; a bare name or a
        path is read against the caller's account. The region is the request's."""
        if not url:
            raise errors.missing_parameter("QueueUrl")
        full = "://" in url
        try:
            path = urlsplit(url).path if full else url
        except ValueError:  # a malformed host (`http://host[]/...`): AWS knows no such queue
            raise errors.queue_does_not_exist() from None
        parts = [p for p in path.split("/") if p]
        if not parts or (full and len(parts) < 2):  # a URL without account or name
            raise errors.queue_does_not_exist()
        name = parts[-1]
        account = parts[-2] if len(parts) >= 2 else ctx.account
        queue = self.queues.get((account, ctx.region, name))
        if queue is None:
            raise errors.queue_does_not_exist()
        return queue

    def find_arn(self, arn: str) -> Queue | None:
        match = QUEUE_ARN.fullmatch(arn)
        if match is None:
            return None
        region, account, name = match.groups()
        return self.queues.get((account, region, name))

    # -- encryption at rest ----------------------------------------------------------------------
    def key_ref(self, queue: Queue) -> str | None:
        attributes = queue.definition.attributes
        kms = attributes.get("KmsMasterKeyId")
        if kms:
            return kms
        if attributes.get("SqsManagedSseEnabled") == "true":
            return SSE_SQS_KEY
        return None

    def check_key(self, queue: Queue) -> None:
        """Raises SQS's KMS error (KmsNotFound, KmsDisabled, KmsInvalidState) when the queue's key
        cannot be used now. AWS accepts any KmsMasterKeyId when a queue is configured and resolves
        it on use: sends, and receives, fail while the key is missing, disabled or pending
        deletion, and work again once it is usable; messages already stored stay queued."""
        ref = self.key_ref(queue)
        if ref is None:
            return
        d = queue.definition
        try:
            self.keys.check(d.account, d.region, ref)
        except KeyRingError as exc:
            raise errors.kms_error(exc) from None

    def seal(self, queue: Queue, body: str) -> bytes | None:
        """The body as stored: sealed under the queue's key, or None to store it in clear."""
        ref = self.key_ref(queue)
        if ref is None:
            return None
        d = queue.definition
        try:
            return self.keys.seal(d.account, d.region, ref, body.encode(), d.store_id.encode())
        except KeyRingError as exc:
            raise errors.kms_error(exc) from None

    def seal_many(self, queue: Queue, bodies: Sequence[str]) -> Sequence[bytes | None]:
        """`seal` of each body (a send batch): the key found and checked once for them all."""
        ref = self.key_ref(queue)
        if ref is None:
            return [None] * len(bodies)
        d = queue.definition
        try:
            return self.keys.seal_many(
                d.account, d.region, ref, [body.encode() for body in bodies], d.store_id.encode()
            )
        except KeyRingError as exc:
            raise errors.kms_error(exc) from None

    def unseal(self, queue: Queue, body: Any) -> str:
        """A stored body back in clear, at start: bodies live in clear in memory, so a queue whose
        key is disabled still loads (its sends and receives fail until the key is usable)."""
        if isinstance(body, bytes):
            return self.keys.recover(body, queue.definition.store_id.encode()).decode()
        return body

    # -- limits ----------------------------------------------------------------------------------
    def throttle(self, queue: Queue, action: str, messages: int) -> None:
        """FIFO queues: 300 calls per second per action (so 3,000 messages with batches of 10),
        unless in high-throughput mode. Only with limits on."""
        if not self.config.limits or not queue.fifo:
            return
        if queue.definition.attributes.get("FifoThroughputLimit") == "perMessageGroupId":
            return
        now = self.clock.now()
        tokens, at = queue.bucket.get(action, (FIFO_TPS, now))
        tokens = min(FIFO_TPS, tokens + (now - at) * FIFO_TPS)
        if tokens < 1:
            raise errors.throttled()
        queue.bucket[action] = (tokens - 1, now)

    # -- metrics ---------------------------------------------------------------------------------
    def _collect(self, metrics: Metrics) -> None:
        """Queue-depth gauges under CloudWatch's names, refreshed when metrics are read."""
        for name in GAUGES:
            metrics.gauges.pop((NS, name), None)  # deleted queues leave no stale series
        now_ms = self.clock.now_ms()
        for queue in self.queues.values():
            queue.settle(now_ms)
            labels = (("QueueName", queue.name),)
            oldest = queue.oldest_sent_ms()
            metrics.set(NS, "ApproximateNumberOfMessagesVisible", labels, queue.approximate_visible)
            metrics.set(NS, "ApproximateNumberOfMessagesNotVisible", labels, queue.inflight)
            metrics.set(NS, "ApproximateNumberOfMessagesDelayed", labels, queue.delayed)
            metrics.set(
                NS, "ApproximateAgeOfOldestMessage", labels, max(0, now_ms - oldest) // 1000 if oldest else 0
            )

    # -- background ------------------------------------------------------------------------------
    async def _sweep_forever(self) -> None:
        """Retention and tombstones are settled on access too; this covers idle queues."""
        while True:
            await self.clock.sleep(SWEEP_INTERVAL_S)
            now_ms = self.clock.now_ms()
            for queue in list(self.queues.values()):
                queue.settle(now_ms)
