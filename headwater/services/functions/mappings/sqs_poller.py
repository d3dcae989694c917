"""An SQS mapping: a receiver that gathers batches and up to MaximumConcurrency invokes at once.

Theory of operation. The receiver long-polls the queue through the `QueueReader` (ten messages a
receive, as SQS allows) until it holds BatchSize messages or the batching window (counted from the
first message held, on the server clock) runs out. Messages no filter matches are deleted. The
batch then runs in a task of its own, at most MaximumConcurrency (default 5, Lambda's starting
poller count) at once; the receiver waits for a free slot before gathering the next batch. On
success the batch is deleted (a batch over Lambda's 6 MB payload is cut to fit, the rest made
visible again for the next one); with ReportBatchItemFailures only the messages not reported; on a
function error nothing is deleted, so the messages come back after the queue's visibility timeout
and the queue's redrive policy decides when they go to its dead-letter queue. A FIFO queue hands out
a message group only once its in-flight messages are deleted or visible again, which keeps each
group in order across concurrent batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math

from headwater.services.event_patterns import FilterSet
from headwater.services.functions.invocation import Outcome
from headwater.services.functions.mappings import events
from headwater.services.functions.mappings.calls import call
from headwater.services.functions.mappings.env import PollerEnv
from headwater.services.functions.mappings.record import MappingRecord
from headwater.services.ports import QueueMessage, QueueReader, SourceReadError

log = logging.getLogger("headwater.services.functions.mappings")
DEFAULT_CONCURRENCY = 5
LONG_POLL_S = 20
ERROR_BACKOFF_S = 1.0


class SqsMapping:
    def __init__(self, env: PollerEnv, record: MappingRecord, reader: QueueReader) -> None:
        self.env = env
        self.record = record
        self.reader = reader
        self.filters = FilterSet.from_criteria(record.filter_criteria, source="sqs")
        self.slots = asyncio.Semaphore(record.max_concurrency or DEFAULT_CONCURRENCY)
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        try:
            while True:
                await self.slots.acquire()
                try:
                    batch = await self._gather()
                except SourceReadError as error:
                    self.slots.release()
                    log.warning(
                        "mapping %s cannot read %s: %s", self.record.uuid, self.record.source_arn, error
                    )
                    await asyncio.sleep(ERROR_BACKOFF_S)
                    continue
                except BaseException:
                    self.slots.release()
                    raise
                task = asyncio.create_task(self._run_batch(batch))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        finally:
            for task in list(self.tasks):
                task.cancel()
            for task in list(self.tasks):
                with contextlib.suppress(BaseException):
                    await task

    async def _gather(self) -> list[QueueMessage]:
        size, window, clock = self.record.batch_size, self.record.window_s, self.env.core.clock
        batch: list[QueueMessage] = []
        deadline: float | None = None
        while len(batch) < size:
            if deadline is None:
                wait = LONG_POLL_S
            else:
                remaining = deadline - clock.now()
                if remaining <= 0:
                    break
                wait = min(LONG_POLL_S, math.ceil(remaining))
            got = await self.reader.receive(self.record.source_arn, size - len(batch), wait)
            if got and deadline is None:
                if window <= 0:
                    return got
                deadline = clock.now() + window
            batch += got
            if deadline is not None and len({m.message_id for m in batch}) < len(batch):
                batch = _latest(batch)
        return batch

    async def _run_batch(self, batch: list[QueueMessage]) -> None:
        try:
            await self._deliver(batch)
        except SourceReadError as error:
            log.warning("mapping %s: %s", self.record.uuid, error)
        finally:
            self.slots.release()

    async def _deliver(self, batch: list[QueueMessage]) -> None:
        m = self.record
        records = [events.sqs_record(message, m.source_arn, m.region) for message in batch]
        kept: list[tuple[QueueMessage, dict[str, object]]] = []
        dropped: list[str] = []
        for message, record in zip(batch, records, strict=True):
            if self._wanted(record):
                kept.append((message, record))
            else:
                dropped.append(message.receipt_handle)
        if dropped:  # Lambda deletes what no filter matches
            await self.reader.delete(m.source_arn, dropped)
        if not kept:
            return
        parts = [events.encoded(record) for _, record in kept]
        fits = events.fitting(parts)
        if fits < len(kept):  # over the 6 MB payload: the rest goes back to the queue for the next batch
            for message, _ in kept[fits:]:
                await self.reader.change_visibility(m.source_arn, message.receipt_handle, 0)
            kept, parts = kept[:fits], parts[:fits]
        outcome = await call(self.env.core, m.function_key, events.payload(parts), self.env.note, m.uuid)
        failed = self._failed(kept, outcome)
        if failed is None:
            return  # the function failed: the visibility timeout brings the batch back
        done = [message.receipt_handle for message, _ in kept if message.message_id not in failed]
        if done:
            await self.reader.delete(m.source_arn, done)

    def _wanted(self, record: dict[str, object]) -> bool:
        return not self.filters or self.filters.matches_sqs_message(record)

    def _failed(
        self, kept: list[tuple[QueueMessage, dict[str, object]]], outcome: Outcome
    ) -> set[str] | None:
        """The message ids to leave in the queue; None: all of them (a failed invoke)."""
        if outcome.failed:
            return None
        if not self.record.reports_item_failures:
            return set()
        try:
            answer = json.loads(outcome.payload or b"null")
        except ValueError:
            return set()
        failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
        if not failures:
            return set()
        ids = {message.message_id for message, _ in kept}
        found: set[str] = set()
        for failure in failures if isinstance(failures, list) else [None]:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not isinstance(identifier, str) or identifier not in ids:
                return None  # a malformed report fails the whole batch, as on AWS
            found.add(identifier)
        return found


def _latest(batch: list[QueueMessage]) -> list[QueueMessage]:
    """A message received again while the window held it (its visibility timeout ran out) is
    kept once, with its newest receipt handle."""
    latest = {message.message_id: message for message in batch}
    return list(latest.values())
