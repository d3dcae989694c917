"""A delivery stream's Kinesis source (KinesisStreamAsSource): every shard of the stream, read in
order, into the delivery stream's raw log.

Theory of operation
-------------------
At creation each shard's LATEST position is fixed and stored (`checkpoints.py`): records put
before CreateDeliveryStream answered stay behind, as on AWS. Then a task per delivery stream looks
at the stream's shards every DISCOVERY_S (and at once when a shard ends) and runs a shard reader
for each shard whose parents have ended (or are gone, trimmed): children after their parents, so
resharding keeps each partition key's order.

A shard reader reads a page from its position through the `StreamReader` port, unpacks KPL
aggregates (`headwater.protocol.kpl`: one user record per sub-record, with its own partition key
and subsequence number), appends the page as one raw log entry (`entries.py`, the metadata in a
trailer), waits until the entry is durable, then stores the last Kinesis sequence number as the
shard's checkpoint. After kill -9 a shard resumes after its checkpoint: a page appended but not
checkpointed is appended again (at-least-once), none is skipped. The delivery worker then takes
the raw log as it takes PutRecordBatch's entries.

Backpressure: a reader reads only while the delivery worker has fewer than MAX_AHEAD raw entries
left unread (`unread`); a slow or failing destination stops the worker from reading, so the source
stops too and records wait in the Kinesis stream, as they do on AWS.

A stream that cannot be found (missing at creation, deleted later) is reported in the delivery
stream's FailureDescription; a stream missing at creation makes it CREATING_FAILED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from headwater.engine.api import Entry, Log, MetaStore
from headwater.protocol import kpl
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.firehose import metrics as fh_metrics
from headwater.services.firehose.sources import entries
from headwater.services.firehose.sources.checkpoints import ShardCheckpoints
from headwater.services.firehose.state import DeliveryStream
from headwater.services.ports import SourceReadError, StreamReader, StreamRecord

log = logging.getLogger("headwater.firehose")
DISCOVERY_S = 0.5
READ_LIMIT = 1000  # Kinesis records a page (the page's bytes are capped by the reader)
IDLE_WAIT_S = 1.0
MAX_AHEAD = 8  # raw entries appended and not yet read by the delivery worker
BACKPRESSURE_POLL_S = 0.02
RETRY_S = 1.0
GONE = "ResourceNotFoundException"


def failure_description(arn: str, error: SourceReadError) -> dict[str, str]:
    return {"Type": "UNKNOWN_ERROR", "Details": f"Cannot read source Kinesis stream {arn}: {error.message}"}


class KinesisSource:
    def __init__(
        self,
        stream: DeliveryStream,
        reader: StreamReader,
        log_: Log,
        meta: MetaStore,
        clock: SystemClock,
        metrics: Metrics,
        unread: Callable[[], int],
        wake: Callable[[], None],
        report: Callable[[dict[str, str] | None], Awaitable[None]],
    ) -> None:
        self.stream = stream
        self.arn = str((stream.source or {})["KinesisStreamARN"])
        self.reader = reader
        self.log = log_
        self.meta = meta
        self.clock = clock
        self.metrics = metrics
        self.unread = unread
        self.wake = wake
        self.report = report
        self.checkpoints = ShardCheckpoints(meta, stream.partition)
        self.running: dict[str, asyncio.Task[None]] = {}
        self._discover = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- creation -----------------------------------------------------------------------------------

    async def fix_start(self) -> dict[str, str] | None:
        """Stores every shard's LATEST position now; a failure description if the stream cannot be read."""
        try:
            for shard in self.reader.shards(self.arn):
                position = self.reader.position(self.arn, shard.shard_id, "LATEST")
                await self.checkpoints.put(shard.shard_id, {"position": position})
        except SourceReadError as error:
            return failure_description(self.arn, error)
        return None

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self.running.values()) if t is not None]
        self._task, self.running = None, {}
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    # -- discovery ----------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._discover.clear()
            try:
                await self._discover_shards()
            except SourceReadError as error:
                await self._failed(error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._discover.wait(), DISCOVERY_S)

    async def _discover_shards(self) -> None:
        shards = self.reader.shards(self.arn)
        if self.stream.failure is not None:
            await self.report(None)  # readable again
        known = {shard.shard_id for shard in shards}
        for shard_id, task in list(self.running.items()):
            if task.done():
                del self.running[shard_id]
        for shard in shards:
            if shard.shard_id in self.running or self.checkpoints.ended(shard.shard_id):
                continue
            if all(p not in known or self.checkpoints.ended(p) for p in shard.parents):
                task = asyncio.get_running_loop().create_task(self._run_shard(shard.shard_id))
                self.running[shard.shard_id] = task

    async def _failed(self, error: SourceReadError) -> None:
        if self.stream.failure is None:  # reported (and logged) once, not at every retry
            log.warning("firehose %s cannot read %s: %s", self.stream.arn, self.arn, error)
            await self.report(failure_description(self.arn, error))

    # -- one shard ----------------------------------------------------------------------------------

    async def _run_shard(self, shard_id: str) -> None:
        logged = None
        while True:
            try:
                await self._read_shard(shard_id)
                self._discover.set()  # its children may start now
                return
            except SourceReadError as error:
                if error.code == GONE:  # a shard trimmed away, or the stream gone (reported)
                    if not self.reader.exists(self.arn):
                        await self._failed(error)
                    return
                if error.message != logged:
                    log.warning("firehose %s shard %s: %s", self.stream.arn, shard_id, error)
                    logged = error.message
                await asyncio.sleep(RETRY_S)

    def _start(self, shard_id: str) -> str:
        place = self.checkpoints.get(shard_id)
        if "after" in place:
            return self.reader.position(self.arn, shard_id, "AFTER_SEQUENCE_NUMBER", place["after"])
        if "position" in place:
            return str(place["position"])
        return self.reader.position(self.arn, shard_id, "TRIM_HORIZON")

    async def _read_shard(self, shard_id: str) -> None:
        if self.checkpoints.ended(shard_id):
            return
        position: str | None = self._start(shard_id)
        while position is not None:
            while self.unread() >= MAX_AHEAD:  # the delivery worker is behind: wait for it
                await asyncio.sleep(BACKPRESSURE_POLL_S)
            page = await self.reader.read(self.arn, shard_id, position, READ_LIMIT)
            if page.records:
                await self._append(shard_id, page.records)
                await self.checkpoints.put(shard_id, {"after": page.records[-1].sequence_number})
            self._behind(page.records[-1].arrival if page.records else None)
            position = page.next_position
            if position is not None and not page.records:
                await self.reader.wait(self.arn, shard_id, IDLE_WAIT_S)
        await self.checkpoints.put(shard_id, {"end": True})

    def _behind(self, last_arrival: float | None) -> None:
        """KinesisMillisBehindLatest, approximated per page: the age of the newest record read (0
        once a page comes back empty: the reader is at the tip)."""
        behind = 0 if last_arrival is None else max(0, self.clock.now_ms() - int(last_arrival * 1000))
        tags = fh_metrics.labels(self.stream.name)
        self.metrics.set(fh_metrics.NS, "KinesisMillisBehindLatest", tags, behind)

    async def _append(self, shard_id: str, records: list[StreamRecord]) -> None:
        datas: list[bytes] = []
        columns = entries.Columns()
        for record in records:
            at = int(record.arrival * 1000)
            users = kpl.decode(record.data)
            if users is None:
                datas.append(record.data)
                columns.add(record.partition_key, record.sequence_number, 0, at)
                continue
            for index, user in enumerate(users):
                datas.append(user.data)
                columns.add(user.partition_key, record.sequence_number, index, at)
        payload = entries.encode(shard_id, datas, columns)
        _, durable = self.log.append(self.stream.partition, [Entry(self.clock.now_ms(), payload)])
        await durable
        self.wake()
        read(self.metrics, self.stream.name, len(datas), sum(map(len, datas)))


def read(metrics: Metrics, stream_name: str, records: int, size: int) -> None:
    """CloudWatch's DataReadFromKinesisStream.Records/Bytes and the Incoming* totals."""
    tags = fh_metrics.labels(stream_name)
    metrics.add(fh_metrics.NS, "DataReadFromKinesisStream.Records", tags, records)
    metrics.add(fh_metrics.NS, "DataReadFromKinesisStream.Bytes", tags, size)
    metrics.add(fh_metrics.NS, "IncomingRecords", tags, records)
    metrics.add(fh_metrics.NS, "IncomingBytes", tags, size)
