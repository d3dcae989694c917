"""Asynchronous (Event) invocations: a durable queue per function, retries, event age, outcomes.

Theory of operation
-------------------
An Event invoke is answered 202 only once the event is in the engine's queue store (one store
queue per function, `lambda-events/<account>/<region>/<name>`): its record (request id, payload,
client context, when it was accepted) is written once, its state (attempts so far, throttles, when
it is next due) rewritten as it moves. kill -9 after a 202 loses nothing: start-up loads every
state (not the payloads) and the dispatcher carries on; an event whose attempt was running is run
again (Lambda's delivery is at least once too).

One dispatcher task per function with events waits for the earliest due one on the server clock
(so tests advance the clock instead of sleeping), and runs up to PARALLEL attempts at a time. An
attempt is, in order: dropped when the event is older than MaximumEventAgeInSeconds (default 6 h)
to OnFailure with EventAgeExceeded; retried after 1, 2, 4 ... s (capped at 5 min) when throttled
(concurrency) without counting as an attempt; else invoked. A function error is retried after
about 1 minute, then 2 (MaximumRetryAttempts, default 2); after the last, the event goes to the
OnFailure destination (RetriesExhausted) and the function's dead-letter queue. A success goes to
OnSuccess. Destinations get AWS's destination record (destinations.py).

An event runs the version it was invoked with (an alias's routing is decided at Invoke), under
the EventInvokeConfig of the qualifier it was invoked by (both are in its stored record).

Memory is bounded whatever the backlog: a function keeps at most WINDOW waiting events resident
(a few numbers each; payloads stay in the store, read per attempt). Events beyond it are "cold":
stored only, counted, and paged in oldest first (QueueStore.page) when the resident heap falls
below half the window. Cold events are never attempted, so the count stays exact; an event
accepted while others are cold goes cold too, so the store's order is the dispatch order.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

from headwater.engine.api import MetaStore, QueueStore
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import SystemClock
from headwater.services.base import Ports
from headwater.services.functions import destinations
from headwater.services.functions.concurrency import Concurrency
from headwater.services.functions.event_invoke_config import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_RETRIES,
    EventInvokeConfig,
    config_of,
)
from headwater.services.functions.invocation import Invocation
from headwater.services.functions.invoker import Invoker
from headwater.services.functions.record import LATEST, FunctionRecord
from headwater.services.functions.version_store import Versions
from headwater.services.ports import QueueSink

log = logging.getLogger("headwater.services.functions")
PREFIX = "lambda-events/"
PARALLEL = 16  # attempts in flight per function (the concurrency check still applies to each)
WINDOW = 10_000  # waiting events resident per function; the rest are paged in from the store
PAGE = 2_000
RETRY_DELAYS_S = (60, 120)  # after the first and the second function error
THROTTLE_MAX_S = 300


@dataclass(slots=True)
class Waiting:
    seq: int
    due_ms: int
    attempts: int
    throttles: int
    accepted_ms: int

    def state(self) -> bytes:
        return json.dumps([self.due_ms, self.attempts, self.throttles, self.accepted_ms]).encode()

    @classmethod
    def restore(cls, seq: int, state: bytes) -> Waiting:
        due, attempts, throttles, accepted = json.loads(state)
        return cls(seq, due, attempts, throttles, accepted)


class FunctionEvents:
    """One function's waiting events (a heap by due time) and its dispatcher."""

    def __init__(self, name: str, next_seq: int) -> None:
        self.name = name
        self.next_seq = next_seq
        self.heap: list[tuple[int, int, Waiting]] = []
        self.cold = 0  # stored events not resident (all with seq >= cold_from)
        self.cold_from = next_seq
        self.changed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.running = 0

    def push(self, event: Waiting) -> None:
        heapq.heappush(self.heap, (event.due_ms, event.seq, event))
        self.changed.set()


class _Core(Protocol):
    queues: QueueStore
    meta: MetaStore
    clock: SystemClock
    ports: Ports
    functions: dict[str, FunctionRecord]
    concurrency: Concurrency
    invoker: Invoker
    versions: Versions


class EventQueues:
    def __init__(self, core: _Core) -> None:
        self.core = core
        self.by_key: dict[str, FunctionEvents] = {}
        self.closing = False

    @property
    def store(self) -> QueueStore:
        return self.core.queues

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self.closing = False
        for name in self.store.queues():
            if not name.startswith(PREFIX):
                continue
            key = name[len(PREFIX) :]
            if key not in self.core.functions:  # the function went, its queue did not (a crash)
                await self.store.drop(name)
                continue
            count, next_seq = self.store.stats(name)
            events = FunctionEvents(name, next_seq)
            events.cold, events.cold_from = count, 0
            await self._page_in(events)
            self.by_key[key] = events
            self._dispatch(events, key)

    async def close(self) -> None:
        self.closing = True
        for events in self.by_key.values():
            if events.task is not None:
                events.task.cancel()
        self.by_key.clear()

    async def drop(self, key: str) -> None:
        """The function was deleted: its waiting events go with it."""
        events = self.by_key.pop(key, None)
        if events is not None:
            if events.task is not None:
                events.task.cancel()
            await self.store.drop(events.name)

    # -- accepting -------------------------------------------------------------------------------

    async def enqueue(
        self, record: FunctionRecord, payload: bytes, context: str | None, qualifier: str | None = None
    ) -> str:
        """Stores the event durably and returns its request id. `record` is the version to run
        (an alias already routed), `qualifier` what the caller invoked (whose config applies)."""
        events = self.by_key.get(record.key)
        if events is None:
            name = PREFIX + record.key
            await self.store.create(name)
            events = self.by_key.setdefault(record.key, FunctionEvents(name, 0))
        request_id = str(uuid.uuid4())
        now_ms = self.core.clock.now_ms()
        body = {
            "id": request_id,
            "payload": base64.b64encode(payload).decode(),
            "context": context,
            "version": record.version,
            "qualifier": qualifier,
        }
        waiting = Waiting(events.next_seq, now_ms, 0, 0, now_ms)
        events.next_seq += 1
        await self.store.add(events.name, [(waiting.seq, json.dumps(body).encode(), waiting.state())])
        if events.cold or len(events.heap) >= WINDOW:
            if not events.cold:
                events.cold_from = waiting.seq
            events.cold += 1
        else:
            events.push(waiting)
        self._dispatch(events, record.key)
        return request_id

    async def to_function(self, arn: str, payload: bytes) -> None:
        """A destination that is a function: the record is queued as an Event invoke of it."""
        _, _, region, account, _, name = (arn.split(":") + [""] * 6)[:6]
        target = self.core.functions.get(f"{account}/{region}/{name}")
        if target is None:
            raise LookupError(f"no function {arn}")
        await self.enqueue(target, payload, None)

    # -- dispatching -----------------------------------------------------------------------------

    def _dispatch(self, events: FunctionEvents, key: str) -> None:
        if (events.task is None or events.task.done()) and not self.closing:
            events.task = asyncio.create_task(self._run(events, key))

    async def _page_in(self, events: FunctionEvents) -> None:
        """Makes the oldest cold events resident, up to a page."""
        page = await self.store.page(events.name, events.cold_from, events.next_seq, PAGE)
        for stored in page:
            events.push(Waiting.restore(stored.seq, stored.state))
        events.cold = max(0, events.cold - len(page))
        if not page:
            events.cold = 0  # nothing left in the range: the count was stale (a crash mid-write)
        else:
            events.cold_from = page[-1].seq + 1

    async def _run(self, events: FunctionEvents, key: str) -> None:
        clock = self.core.clock
        while events.heap or events.running or events.cold:
            if events.cold and len(events.heap) < WINDOW // 2:
                await self._page_in(events)
            events.changed.clear()
            if not events.heap or events.running >= PARALLEL:
                await events.changed.wait()
                continue
            due_ms = events.heap[0][0]
            if due_ms > clock.now_ms():
                sleeper = asyncio.ensure_future(clock.sleep_until(due_ms / 1000))
                changed = asyncio.ensure_future(events.changed.wait())
                try:
                    await asyncio.wait({sleeper, changed}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    sleeper.cancel()
                    changed.cancel()
                continue
            _, _, waiting = heapq.heappop(events.heap)
            events.running += 1
            task = asyncio.create_task(self._attempt(events, key, waiting))
            task.add_done_callback(lambda _: self._finished(events))

    def _finished(self, events: FunctionEvents) -> None:
        events.running -= 1
        events.changed.set()

    async def _attempt(self, events: FunctionEvents, key: str, waiting: Waiting) -> None:
        try:
            await self._try(events, key, waiting)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("an event invoke of %s failed", key)

    async def _try(self, events: FunctionEvents, key: str, waiting: Waiting) -> None:
        core = self.core
        latest = core.functions.get(key)
        if latest is None or self.by_key.get(key) is not events:
            return
        (raw,) = await self.store.records(events.name, [waiting.seq])
        if raw is None:
            return
        body = json.loads(raw)
        payload = base64.b64decode(body["payload"])
        qualifier = body.get("qualifier")
        version = body.get("version") or LATEST
        record = latest if version == LATEST else core.versions.get(key, version)
        if record is None:  # the version was deleted while its events waited: they go with it
            await self.store.remove(events.name, [waiting.seq])
            return
        config = config_of(core.meta, latest, qualifier)
        retries = DEFAULT_RETRIES if config is None else config.retries
        max_age_s = DEFAULT_MAX_AGE_S if config is None else config.max_age_s
        now_ms = core.clock.now_ms()
        if now_ms - waiting.accepted_ms > max_age_s * 1000:
            await self._outcome(
                record, config, qualifier, body["id"], payload, waiting.attempts, None, None, aged=True
            )
            await self.store.remove(events.name, [waiting.seq])
            return
        try:
            core.concurrency.admit(record.key)
        except AwsError:
            waiting.throttles += 1
            waiting.due_ms = now_ms + 1000 * min(THROTTLE_MAX_S, 2 ** (waiting.throttles - 1))
            await self._requeue(events, waiting)
            return
        invocation = Invocation(payload, record.arn, record.timeout, client_context=body["context"])
        invocation.request_id = body["id"]
        digits = invocation.request_id.replace("-", "")
        invocation.trace_id = f"Root=1-{digits[:8]}-{digits[8:32]};Parent={digits[:16]};Sampled=0"
        result = await core.invoker.invoke(record, invocation)
        waiting.attempts += 1
        outcome = result.outcome
        if outcome.failed and waiting.attempts <= retries:
            delay = RETRY_DELAYS_S[min(waiting.attempts, len(RETRY_DELAYS_S)) - 1]
            waiting.due_ms = core.clock.now_ms() + delay * 1000
            await self._requeue(events, waiting)
            return
        error = "Unhandled" if outcome.failed else None
        await self._outcome(
            record,
            config,
            qualifier,
            body["id"],
            payload,
            waiting.attempts,
            outcome.payload,
            error,
            aged=False,
        )
        await self.store.remove(events.name, [waiting.seq])

    async def _requeue(self, events: FunctionEvents, waiting: Waiting) -> None:
        await self.store.set_state(events.name, [(waiting.seq, waiting.state())])
        events.push(waiting)

    async def _outcome(
        self,
        record: FunctionRecord,
        config: EventInvokeConfig | None,
        qualifier: str | None,
        request_id: str,
        payload: bytes,
        attempts: int,
        response: bytes | None,
        error: str | None,
        *,
        aged: bool,
    ) -> None:
        core = self.core
        failed = aged or error is not None
        sink = core.ports.find(QueueSink)
        target = None if config is None else (config.on_failure if failed else config.on_success)
        if target:
            condition = (
                destinations.EVENT_AGE_EXCEEDED
                if aged
                else destinations.RETRIES_EXHAUSTED
                if failed
                else destinations.SUCCESS
            )
            document = destinations.destination_record(
                request_id=request_id,
                function_arn=f"{record.arn}:{qualifier or LATEST}",
                executed_version=record.version,
                condition=condition,
                invocations=attempts,
                request=payload,
                response=response,
                function_error=error,
                now_s=core.clock.now(),
            )
            await destinations.send(sink, self.to_function, target, document)
        if failed and record.dead_letter_target:
            message = "Event age exceeded" if aged else _error_message(response)
            await destinations.dead_letter(sink, record.dead_letter_target, payload, request_id, message)


def _error_message(response: bytes | None) -> str:
    try:
        return str(json.loads(response or b"{}").get("errorMessage") or "Unhandled")
    except (ValueError, AttributeError):
        return "Unhandled"
