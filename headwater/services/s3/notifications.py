"""Bucket event notifications, delivered to SQS queues and functions through a durable outbox.

Theory of operation
-------------------
A request that changes an object calls `Notifier.emit` while it updates the index (no await in
between). `emit` matches the bucket's notification configuration against the event and, for each
matching queue configuration, builds the whole event message at once (so it names the request that
caused it) and writes it to an outbox namespace of the metadata store. It returns that write's
awaitable, which the caller gathers with its own record write: both land in one group commit, and
an acknowledged change always has its event on disk.

One delivery task drains the outbox in order: it waits until an entry is durable, sends it into the
queue in-process (the SQS send path, which acknowledges once the message is durable), then deletes
the entry. A crash between the send and the delete sends the event again after the restart
(`start` reloads the outbox): delivery is at least once, as S3's is. An event whose queue no longer
exists is dropped with a log line. A Lambda configuration's event goes to the functions service's
`FunctionInvoker` port (looked up at delivery: functions are registered after S3) as an asynchronous
invocation by ``s3.amazonaws.com`` for the bucket's ARN and owner, which the function's resource
policy is checked against in strict auth; a refused or missing function drops the event, as S3 does.
Topic configurations are stored but not delivered.

Buckets without a configuration cost one dict lookup per change: `emit` then returns a future that
is already done.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from headwater.engine.api import Engine
from headwater.runtime.clock import SystemClock
from headwater.services.context import RequestContext
from headwater.services.ports import DeliveryError, FunctionInvoker, QueueSink
from headwater.services.s3 import events
from headwater.services.s3.records import Bucket, ObjectVersion

log = logging.getLogger("headwater.s3.notifications")

OUTBOX = "s3:outbox"
BATCH = 256  # sends in flight at once (the SQS store group-commits them)
RETRY_S = 1.0  # pause after an unexpected delivery failure


@dataclass(frozen=True, slots=True)
class Delivery:
    key: str  # outbox key: a zero-padded sequence number, so a scan returns the emission order
    arn: str  # the queue's or the function's ARN
    body: str  # the message body, as built when the event happened
    source: str = ""  # the bucket's ARN and owner: what a function's policy is checked against
    owner: str = ""


class NotifierHost(Protocol):
    """What the notifier needs of the S3 core."""

    engine: Engine
    clock: SystemClock
    queues: QueueSink | None
    functions: Callable[[], FunctionInvoker | None]  # looked up when delivering

    def now_ms(self) -> int: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...


class Notifier:
    def __init__(self, core: NotifierHost) -> None:
        self.core = core
        self._pending: deque[tuple[Delivery, asyncio.Future[None] | None]] = deque()
        self._wake = asyncio.Event()
        self._next_key = 0
        self._last_sequencer = 0
        self._done: asyncio.Future[None] | None = None

    async def start(self) -> None:
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        self._done = done
        for key, raw in self.core.engine.meta.scan(OUTBOX):
            entry = json.loads(raw)
            delivery = Delivery(
                key, entry["arn"], entry["body"], entry.get("source", ""), entry.get("owner", "")
            )
            self._pending.append((delivery, None))
            self._next_key = max(self._next_key, int(key) + 1)
        if self._pending:
            log.info("resuming delivery of %d S3 event notifications", len(self._pending))
        self.core.spawn(self._deliver_forever())

    # -- producing ------------------------------------------------------------------------------

    def emit(
        self, bucket: Bucket, event: str, version: ObjectVersion, ctx: RequestContext | None
    ) -> Awaitable[None]:
        """Queues the event for every matching queue configuration; returns the durable write of
        the outbox entries (done at once when nothing matches)."""
        configuration = bucket.configs.get("notification")
        if not configuration:
            return self._completed()
        targets = list(matching(configuration, event, version.key))
        if not targets:
            return self._completed()
        now_ms = self.core.now_ms()
        sequencer = self._sequencer(now_ms)
        writes = []
        for configuration_id, arn in targets:
            record = events.event_record(
                bucket,
                event,
                version,
                ctx,
                configuration_id=configuration_id,
                sequencer=sequencer,
                now_ms=now_ms,
            )
            source = record["s3"]["bucket"]["arn"]
            writes.append(self._enqueue(arn, events.message([record]), source, bucket.account))
        return writes[0] if len(writes) == 1 else _all(writes)

    def test_event(
        self, bucket: Bucket, configuration: Mapping[str, Any], ctx: RequestContext | None = None
    ) -> Awaitable[None]:
        """Sends s3:TestEvent to each queue of a configuration being put (as S3 does)."""
        arns = dict.fromkeys(q.get("QueueArn", "") for q in configuration.get("QueueConfigurations") or ())
        request_id = ctx.request_id if ctx is not None else None
        body = events.s3_test_event(bucket.name, self.core.now_ms(), request_id)
        writes = [self._enqueue(arn, body) for arn in arns if arn]
        return _all(writes) if writes else self._completed()

    def unreachable(self, configuration: Mapping[str, Any]) -> list[str]:
        """The queue ARNs of a configuration that name no existing queue (S3 refuses to store a
        configuration it cannot deliver to)."""
        queues = self.core.queues
        arns = [q.get("QueueArn", "") for q in configuration.get("QueueConfigurations") or ()]
        return [arn for arn in arns if queues is None or not queues.exists(arn)]

    def _enqueue(self, arn: str, body: str, source: str = "", owner: str = "") -> Awaitable[None]:
        key = f"{self._next_key:020d}"
        self._next_key += 1
        entry = {
            "arn": arn,
            "body": body,
            **({"source": source, "owner": owner} if _is_function(arn) else {}),
        }
        raw = json.dumps(entry, separators=(",", ":")).encode()
        written = asyncio.ensure_future(self.core.engine.meta.put(OUTBOX, key, raw))
        self._pending.append((Delivery(key, arn, body, source, owner), written))
        self._wake.set()
        # the caller may be cancelled (client gone): that must not cancel the write we deliver after
        return asyncio.shield(written)

    def _sequencer(self, now_ms: int) -> str:
        """Hex, increasing for every event (hence per key), and across restarts (time-based)."""
        self._last_sequencer = max(self._last_sequencer + 1, now_ms << 22)
        return f"{self._last_sequencer:018X}"

    def _completed(self) -> Awaitable[None]:
        if self._done is None:  # emit before start (tests): make one on the running loop
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            self._done = done
        return self._done

    # -- delivering -----------------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        return len(self._pending)

    async def _deliver_forever(self) -> None:
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._pending.popleft() for _ in range(min(BATCH, len(self._pending)))]
            ready: list[Delivery] = []
            for delivery, written in batch:
                if written is not None:
                    try:
                        await written
                    except Exception:  # the change it belongs to failed too: nothing happened
                        log.warning("S3 event outbox write failed; event dropped", exc_info=True)
                        continue
                ready.append(delivery)
            outcomes = await asyncio.gather(*(self._send(d) for d in ready), return_exceptions=True)
            done = [d for d, outcome in zip(ready, outcomes, strict=True) if outcome is None]
            failed = [d for d, outcome in zip(ready, outcomes, strict=True) if outcome is not None]
            if done:
                await _all([self.core.engine.meta.delete(OUTBOX, d.key) for d in done])
            if failed:
                log.error("S3 event delivery failed; retrying", exc_info=next(o for o in outcomes if o))
                self._pending.extendleft((d, None) for d in reversed(failed))
                await self.core.clock.sleep(RETRY_S)

    async def _send(self, delivery: Delivery) -> None:
        """Sends one event; returns normally also when it is dropped (no such queue)."""
        if _is_function(delivery.arn):
            await self._invoke(delivery)
            return
        queues = self.core.queues
        if queues is None or not queues.exists(delivery.arn):
            log.warning("S3 event for %s dropped: the queue does not exist", delivery.arn)
            return
        try:
            await queues.deliver(delivery.arn, delivery.body)
        except DeliveryError as error:  # deleted meanwhile, FIFO queue (no group id)...: S3 gives up too
            log.warning("S3 event for %s dropped: %s %s", delivery.arn, error.code, error.message)

    async def _invoke(self, delivery: Delivery) -> None:
        functions = self.core.functions()
        if functions is None:
            log.warning("S3 event for %s dropped: no functions service runs", delivery.arn)
            return
        try:
            await functions.invoke_event(
                delivery.arn,
                delivery.body.encode(),
                principal=events.SERVICE_PRINCIPAL,
                source_arn=delivery.source or None,
                source_account=delivery.owner or None,
            )
        except DeliveryError as error:  # deleted meanwhile, or its policy refuses S3: S3 gives up too
            log.warning("S3 event for %s dropped: %s %s", delivery.arn, error.code, error.message)


def _is_function(arn: str) -> bool:
    return arn.startswith("arn:") and arn.split(":", 3)[2:3] == ["lambda"]


def matching(configuration: Mapping[str, Any], event: str, key: str) -> Iterator[tuple[str, str]]:
    """(configuration id, destination ARN) of each queue and function configuration that wants this
    event on this key."""
    configs = [*(configuration.get("QueueConfigurations") or ())]
    configs += [
        {**c, "QueueArn": c.get("LambdaFunctionArn")}
        for c in configuration.get("LambdaFunctionConfigurations") or ()
    ]
    for queue_config in configs:
        arn = queue_config.get("QueueArn")
        if arn and wants(queue_config.get("Events") or (), event) and passes(queue_config.get("Filter"), key):
            yield queue_config.get("Id") or "", arn


def wants(names: Any, event: str) -> bool:
    """Whether configured event names ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"...) cover
    `event` ("ObjectCreated:Put")."""
    for name in names:
        pattern = name[3:] if name.startswith("s3:") else name
        if pattern == event or (pattern.endswith("*") and event.startswith(pattern[:-1])):
            return True
    return False


def passes(filter_: Mapping[str, Any] | None, key: str) -> bool:
    """Prefix and suffix rules (at most one of each), both on the raw key."""
    if not filter_:
        return True
    for rule in (filter_.get("Key") or {}).get("FilterRules") or ():
        name = str(rule.get("Name", "")).lower()
        value = rule.get("Value") or ""
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True


async def _all(writes: list[Awaitable[None]]) -> None:
    await asyncio.gather(*writes)
