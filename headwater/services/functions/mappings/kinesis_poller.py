"""One Kinesis shard of a mapping: read in order, batch, invoke, retry, checkpoint.

Theory of operation. The poller resumes from its checkpoint (`checkpoints.py`) and reads rounds
from the `StreamReader`: up to BatchSize records per lane (ParallelizationFactor lanes, `lanes.py`),
or fewer once the batching window (counted from the first record held, on the server clock) runs
out. Each lane delivers its records in BatchSize batches, in order, concurrently with the other
lanes; the next round is read once every lane is finished, so a partition key's records reach the
function in order. A batch drops the records no filter matches and is cut to fit Lambda's 6 MB
payload (the rest is the next batch). "Finished" is one of: the function succeeded; it reported
item failures (ReportBatchItemFailures), in which case the records before the first failed one
are finished and the rest is retried; the batch was given up (MaximumRetryAttempts exhausted, or
its oldest record older than MaximumRecordAgeInSeconds) and its record went to the OnFailure
queue. BisectBatchOnFunctionError splits a failed batch in halves, first half first, and the
split does not count as a retry. After each finished part the checkpoint (the end of the records
every lane has finished) is written behind the poller (`checkpoints.Behind`: one write in flight,
the newest waiting), and awaited when the poller stops: after kill -9 the poller starts after the
last one written, delivering the parts in flight and the few finished since again, never skipping
one. With a tumbling window
(`windows.py`) a shard is one lane and each invoke carries its window's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Sequence
from typing import Any

from headwater.services.event_patterns import FilterSet
from headwater.services.functions.invocation import Outcome
from headwater.services.functions.mappings import events, windows
from headwater.services.functions.mappings.calls import call, role_of
from headwater.services.functions.mappings.checkpoints import Behind
from headwater.services.functions.mappings.env import PollerEnv
from headwater.services.functions.mappings.lanes import Round, lane_of
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
        self.lanes = 1 if record.tumbling_s else max(1, record.parallelization)
        self.round = Round([], 1)
        self.place: dict[str, Any] = {}  # the checkpoint as last written
        self.behind = Behind(env.checkpoints, record.uuid, shard_id)
        self.at_tip = False  # the last read found no more records
        # the open tumbling window: its start and state (None: no window open)
        self.window: float | None = None
        self.state: dict[str, Any] = {}
        self.encoder = events.KinesisEncoder(shard_id, record.stream_arn, record.region, self.role)
        self.encoded: dict[str, str] = {}  # the round's records as event JSON, by sequence number

    def _start(self) -> str:
        arn, shard = self.record.stream_arn, self.shard_id
        place = self.place = self.env.checkpoints.get(self.record.uuid, shard)
        if "window" in place:
            self.window, self.state = float(place["window"]), dict(place.get("state") or {})
        if "after" in place:
            return self.reader.position(arn, shard, "AFTER_SEQUENCE_NUMBER", place["after"])
        if "position" in place:
            return str(place["position"])
        return self.reader.position(arn, shard, "TRIM_HORIZON")

    async def run(self) -> None:
        """Polls until the shard is closed and read to its end (then marks it ended)."""
        if self.env.checkpoints.ended(self.record.uuid, self.shard_id):
            return
        try:
            position: str | None = self._start()
            while position is not None:
                batch, position = await self._gather(position)
                if batch:
                    await self._deliver_then_stop(batch)
                if self._window_over() and (self.at_tip or position is None):
                    await self._close_window(early=False)
            if self.window is not None:
                await self._close_window(early=False)
            self.behind.set({"end": True})
        finally:
            await self.behind.flush()

    def _stopping(self) -> bool:
        return self.stopping

    def _window_over(self) -> bool:
        return self.window is not None and self.clock.now() >= self.window + self.record.tumbling_s

    async def _gather(self, position: str) -> tuple[list[StreamRecord], str | None]:
        """A round: up to BatchSize records a lane, within the batching window; the position after."""
        size, window = self.record.batch_size * self.lanes, self.record.window_s
        arn, shard = self.record.stream_arn, self.shard_id
        batch: list[StreamRecord] = []
        deadline: float | None = None
        while True:
            wanted = size - len(batch)
            page = await self.reader.read(arn, shard, position, wanted)
            self.at_tip = len(page.records) < wanted
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
            if self._window_over():
                return batch, position  # the tumbling window's final invoke is due
            if deadline is not None:
                remaining = deadline - self.clock.now()
                if remaining <= 0:
                    return batch, position
                await self.reader.wait(arn, shard, min(WINDOW_TICK_S, remaining))
            else:
                await self.reader.wait(arn, shard, WINDOW_TICK_S if self.window is not None else IDLE_WAIT_S)

    async def _deliver_then_stop(self, records: list[StreamRecord]) -> None:
        """Delivers a round; a stop (disable, update, delete) lets the invocations in flight finish
        and their checkpoints be written, as Lambda does, rather than sending them again later.
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
        self.round = Round(records, self.lanes)
        self.encoded = {}
        if self.record.tumbling_s:
            for start, run in windows.runs(records, self.record.tumbling_s):
                if self.window is not None and self.window != start:
                    await self._close_window(early=False)
                if self.stopping:
                    return
                if self.window is None:
                    self.window, self.state = start, {}
                await self._deliver_lane(0, run)
            return
        lanes = self.round.lane_records()
        # every lane ends before the round does (a failing one must not leave others running)
        ended = await asyncio.gather(
            *(self._deliver_lane(lane, part) for lane, part in lanes.items()), return_exceptions=True
        )
        for outcome in ended:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _deliver_lane(self, lane: int, records: list[StreamRecord]) -> None:
        size = self.record.batch_size
        parts: deque[list[StreamRecord]] = deque(records[i : i + size] for i in range(0, len(records), size))
        while parts and not self.stopping:
            batch = parts.popleft()
            kept = [r for r in batch if self._wanted(r)]
            if not kept:
                await self._finished(lane, batch[-1])
                continue
            fits = events.fitting([self._encoded(r) for r in kept], self._overhead())
            if fits < len(kept):  # over the 6 MB payload: the rest is the next batch
                cut = batch.index(kept[fits])
                parts.appendleft(batch[cut:])
                batch, kept = batch[:cut], kept[:fits]
            rest = await self._attempt(kept, parts)
            if rest:  # the part was split: its halves are at the front of `parts`
                continue
            await self._finished(lane, batch[-1])

    def _overhead(self) -> int:
        if not self.record.tumbling_s or self.window is None:
            return 0
        return len(self._payload([], final=False)) - len('{"Records":[]}')

    def _wanted(self, record: StreamRecord) -> bool:
        if not self.filters:
            return True
        return self.filters.matches_kinesis_record(self._event_record(record))

    def _event_record(self, record: StreamRecord) -> dict[str, object]:
        m = self.record
        return events.kinesis_record(record, self.shard_id, m.stream_arn, m.region, self.role)

    def _encoded(self, record: StreamRecord) -> str:
        text = self.encoded.get(record.sequence_number)
        if text is None:
            text = self.encoded[record.sequence_number] = self.encoder.encode(record)
        return text

    def _payload(self, parts: list[str], final: bool, early: bool = False) -> bytes:
        m = self.record
        if not m.tumbling_s or self.window is None:
            return events.payload(parts)
        return events.payload(
            parts,
            windows.extra(
                start=self.window,
                length=m.tumbling_s,
                state=self.state,
                shard_id=self.shard_id,
                source_arn=m.stream_arn,
                final=final,
                early=early,
            ),
        )

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
            payload = self._payload([self._encoded(r) for r in batch], final=False)
            outcome = await call(
                self.env.core, m.function_key, payload, self.env.note, m.uuid, self._stopping
            )
            invokes += 1
            failed_at = self._failed_at(batch, outcome)
            if m.tumbling_s and not outcome.failed:
                self.state = windows.state_of(outcome.payload, self.state)
            if failed_at is None:
                await self.env.note(m.uuid, OK)
                if m.tumbling_s and windows.too_big(self.state):
                    await self._close_window(early=True)
                return False
            await self.env.note(m.uuid, FAILED)
            if failed_at > 0:  # the records before the first reported failure are done
                await self._finished(self._lane(batch[failed_at - 1]), batch[failed_at - 1])
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

    async def _close_window(self, *, early: bool) -> None:
        """The window's final invoke (its state, no records), retried as a batch is; then the
        window is closed in the checkpoint."""
        m = self.record
        retries = 0
        backoff = RETRY_BACKOFF_S
        while not self.stopping:
            outcome = await call(
                self.env.core,
                m.function_key,
                self._payload([], final=True, early=early),
                self.env.note,
                m.uuid,
                self._stopping,
            )
            if not outcome.failed:
                break
            retries += 1
            if 0 <= m.max_retry < retries:
                break
            await asyncio.sleep(backoff)
            backoff = min(RETRY_BACKOFF_MAX_S, backoff * 2)
        else:
            return  # stopping: the final invoke comes again on resume
        self.window, self.state = None, {}
        self.place = {k: v for k, v in self.place.items() if k not in ("window", "state")}
        self.behind.set(self.place)

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

    async def _finished(self, lane: int, last: StreamRecord) -> None:
        """`last` and the lane's records before it are finished: the checkpoint moves to the end
        of what every lane has finished."""
        end = self.round.finish(lane, last)
        if end is None:
            return
        place: dict[str, Any] = {"after": end.sequence_number}
        if self.window is not None:
            place.update(window=self.window, state=self.state)
        self.place = place
        self.behind.set(place)

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
                stream_arn=m.stream_arn,
                records=batch,
            )
            try:
                await sink.deliver(m.on_failure, document)
            except DeliveryError as error:
                log.warning("mapping %s: the OnFailure destination refused a record: %s", m.uuid, error)
        await self._finished(self._lane(batch[-1]), batch[-1])

    def _lane(self, record: StreamRecord) -> int:
        return 0 if self.record.tumbling_s else lane_of(record.partition_key, self.lanes)
