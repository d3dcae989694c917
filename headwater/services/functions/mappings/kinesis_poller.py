"""One Kinesis shard of a mapping: read in order, batch, invoke, retry, checkpoint.

Theory of operation. The poller resumes from its checkpoint (`checkpoints.py`), reads pages from
the `StreamReader` until it holds BatchSize records or the batching window (counted from the first
record held, on the server clock) runs out, drops the records no filter matches, and invokes the
function with the rest. The next batch is read only once this one is finished, so the shard's
records reach the function in order. "Finished" is one of: the function succeeded; it reported
item failures (ReportBatchItemFailures), in which case the records before the first failed one
are finished and the rest is retried; the batch was given up (MaximumRetryAttempts exhausted, or
its oldest record older than MaximumRecordAgeInSeconds) and its record went to the OnFailure
queue. BisectBatchOnFunctionError splits a failed batch in halves, first half first, and the
split does not count as a retry. After each finished part the checkpoint (the last finished
record's sequence number) is written and awaited: after kill -9 the poller starts after it,
delivering at most the part in flight again and never skipping one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Sequence

from headwater.services.event_patterns import FilterSet
from headwater.services.functions.invocation import Outcome
from headwater.services.functions.mappings import events
from headwater.services.functions.mappings.calls import call, role_of
from headwater.services.functions.mappings.env import PollerEnv
from headwater.services.functions.mappings.record import FAILED, OK, MappingRecord
from headwater.services.ports import DeliveryError, StreamReader, StreamRecord

log = logging.getLogger("headwater.services.functions.mappings")
IDLE_WAIT_S = 1.0
WINDOW_TICK_S = 0.2
RETRY_BACKOFF_S = 0.05
RETRY_BACKOFF_MAX_S = 2.0
STOP_GRACE_S = 30.0  # how long a stop waits for the invocation in flight (function timeouts are shorter here)


class ShardPoller:
    def __init__(self, env: PollerEnv, record: MappingRecord, shard_id: str, reader: StreamReader) -> None:
        self.env = env
        self.record = record
        self.shard_id = shard_id
        self.reader = reader
        self.filters = FilterSet.from_criteria(record.filter_criteria, source="kinesis")
        self.role = role_of(env.core, record.function_key)
        self.clock = env.core.clock
        self.stopping = False  # set when the poller is stopped mid-batch (see _deliver_then_stop)

    def _start(self) -> str:
        arn, shard = self.record.source_arn, self.shard_id
        place = self.env.checkpoints.get(self.record.uuid, shard)
        if "after" in place:
            return self.reader.position(arn, shard, "AFTER_SEQUENCE_NUMBER", place["after"])
        if "position" in place:
            return str(place["position"])
        return self.reader.position(arn, shard, "TRIM_HORIZON")

    async def run(self) -> None:
        """Polls until the shard is closed and read to its end (then marks it ended)."""
        if self.env.checkpoints.ended(self.record.uuid, self.shard_id):
            return
        position: str | None = self._start()
        while position is not None:
            batch, position = await self._gather(position)
            if batch:
                await self._deliver_then_stop(batch)
        await self.env.checkpoints.put(self.record.uuid, self.shard_id, {"end": True})

    async def _gather(self, position: str) -> tuple[list[StreamRecord], str | None]:
        """Up to BatchSize records, within the batching window; the position after them."""
        size, window = self.record.batch_size, self.record.window_s
        arn, shard = self.record.source_arn, self.shard_id
        batch: list[StreamRecord] = []
        deadline: float | None = None
        while True:
            page = await self.reader.read(arn, shard, position, size - len(batch))
            batch += page.records
            if page.next_position is None:
                return batch, None
            position = page.next_position
            if len(batch) >= size or (batch and window <= 0):
                return batch, position
            if page.records:
                if deadline is None:
                    deadline = self.clock.now() + window
                continue  # more may be there already
            if deadline is not None:
                remaining = deadline - self.clock.now()
                if remaining <= 0:
                    return batch, position
                await self.reader.wait(arn, shard, min(WINDOW_TICK_S, remaining))
            else:
                await self.reader.wait(arn, shard, IDLE_WAIT_S)

    async def _deliver_then_stop(self, records: list[StreamRecord]) -> None:
        """Delivers a batch; a stop (disable, update, delete) lets the invocation in flight finish
        and its checkpoint be written, as Lambda does, rather than sending the batch again later.
        Retries and bisected halves are not started once stopping: they come again on resume."""
        delivery = asyncio.ensure_future(self._deliver(records))
        try:
            await asyncio.shield(delivery)
        except asyncio.CancelledError:
            self.stopping = True
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(delivery, STOP_GRACE_S)
            raise

    async def _deliver(self, records: list[StreamRecord]) -> None:
        parts: deque[list[StreamRecord]] = deque([records])
        while parts and not self.stopping:
            batch = parts.popleft()
            kept = [r for r in batch if self._wanted(r)]
            if not kept:
                await self._finished(batch[-1])
                continue
            rest = await self._attempt(kept, parts)
            if rest:  # the part was split: its halves are at the front of `parts`
                continue
            await self._finished(batch[-1])

    def _wanted(self, record: StreamRecord) -> bool:
        if not self.filters:
            return True
        return self.filters.matches_kinesis_record(self._event_record(record))

    def _event_record(self, record: StreamRecord) -> dict[str, object]:
        m = self.record
        return events.kinesis_record(record, self.shard_id, m.source_arn, m.region, self.role)

    async def _attempt(self, batch: list[StreamRecord], parts: deque[list[StreamRecord]]) -> bool:
        """Delivers `batch` until finished; True when it was bisected instead (halves queued)."""
        m = self.record
        retries = invokes = 0
        backoff = RETRY_BACKOFF_S
        while True:
            if self.stopping and invokes:
                return True  # stopping: not retried now; the batch comes again on resume
            if m.max_record_age >= 0 and self.clock.now() - batch[0].arrival > m.max_record_age:
                await self._give_up(batch, "RecordAgeExceeded", invokes, None)
                return False
            payload = events.payload([self._event_record(r) for r in batch])
            outcome = await call(self.env.core, m.function_key, payload)
            invokes += 1
            failed_at = self._failed_at(batch, outcome)
            if failed_at is None:
                await self.env.note(m.uuid, OK)
                return False
            await self.env.note(m.uuid, FAILED)
            if failed_at > 0:  # the records before the first reported failure are done
                await self._finished(batch[failed_at - 1])
                batch = batch[failed_at:]
            if m.bisect and len(batch) > 1:
                half = len(batch) // 2
                parts.appendleft(batch[half:])
                parts.appendleft(batch[:half])
                return True
            retries += 1
            if 0 <= m.max_retry < retries:
                await self._give_up(batch, "RetryAttemptsExhausted", invokes, outcome.error_type)
                return False
            await asyncio.sleep(backoff)
            backoff = min(RETRY_BACKOFF_MAX_S, backoff * 2)

    def _failed_at(self, batch: Sequence[StreamRecord], outcome: Outcome) -> int | None:
        """None: the batch succeeded; else the index of the first record to retry."""
        if outcome.failed:
            return 0
        if not self.record.reports_item_failures:
            return None
        try:
            answer = json.loads(outcome.payload or b"null")
        except ValueError:
            return None
        failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
        if not failures:
            return None
        index = {r.sequence_number: i for i, r in enumerate(batch)}
        found = []
        for failure in failures if isinstance(failures, list) else [None]:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not isinstance(identifier, str) or identifier not in index:
                return 0  # a malformed report fails the whole batch, as on AWS
            found.append(index[identifier])
        return min(found)

    async def _finished(self, last: StreamRecord) -> None:
        await self.env.checkpoints.put(self.record.uuid, self.shard_id, {"after": last.sequence_number})

    async def _give_up(
        self, batch: list[StreamRecord], condition: str, invokes: int, error_type: str | None
    ) -> None:
        m = self.record
        sink = self.env.sink
        if m.on_failure and sink is not None:
            document = events.kinesis_failure(
                request_id=str(uuid.uuid4()),
                function_arn=m.function_arn,
                condition=condition,
                invokes=invokes,
                error_type=error_type,
                now=self.clock.now(),
                shard_id=self.shard_id,
                stream_arn=m.source_arn,
                records=batch,
            )
            try:
                await sink.deliver(m.on_failure, document)
            except DeliveryError as error:
                log.warning("mapping %s: the OnFailure destination refused a record: %s", m.uuid, error)
        await self._finished(batch[-1])
