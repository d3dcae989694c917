"""A delivery stream's worker: from the raw log, through the processing stages and the buffers, to
the destination, with a durable checkpoint.

Theory of operation
-------------------
The worker reads the stream's raw log from its checkpoint, a page of entries at a time. Without
processing an entry's records go to the buffer as the run of bytes they are stored as (`_add_entry`:
no object per record); otherwise each entry turns back into `Record`s (ids derived from the entry's
offset), the pipeline runs (`process`), and the worker adds what comes out to a buffer per evaluated prefix (partition keys; one buffer without
dynamic partitioning, `partitioning.route`, within AWS's active partition limit). With a Lambda
processor the raw entries first wait for the processor's own hints (BufferSizeInMBs,
BufferIntervalInSeconds), so the function sees batches as AWS sends them. Failures the stages
report go to the error output at once. With S3 backup
enabled the source records also go to a backup buffer, flushed under the backup's own hints.

A buffer flushes when its size reaches the hint, when its oldest record has waited the interval
(interval 0: zero buffering, after each page) or, when all buffers together exceed `MEMORY_CAP`,
the largest first. A flush writes one object (`s3_writer`), retrying while the bucket refuses it.
To S3 the writes run as tasks, up to `WRITES_IN_FLIGHT` at once, while the worker goes on reading
and buffering: an object's streaming and fsync overlap the next buffer's filling (measured: the
worker writing one object at a time delivered about two thirds of what was acknowledged). Remote
destinations (HTTP, Splunk, OpenSearch, Redshift, Iceberg) still deliver one buffer at a time, in order.

Each buffer remembers the first raw offset of the page that opened it, and keeps it while its
object is being written. After flushes (and whenever a write completes) the checkpoint becomes the
smallest such offset still buffered or being written (or the read position when nothing is), is
written to the metadata store, and the log is trimmed behind it: it never passes a record whose
object is not fully written. After kill -9 the
worker re-reads from the checkpoint: records that were buffered, or written but not checkpointed,
are delivered again (at-least-once, as AWS documents); none acknowledged is lost.

Time is the injected clock's: interval deadlines are slept with `clock.sleep_until`, which the
test clock's advance wakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from headwater.engine.api import Log, MetaStore, StoredEntry
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.firehose import batches, conversion, s3_settings, sealing
from headwater.services.firehose.destinations import delivery as remote_delivery
from headwater.services.firehose.processing import partitioning, pipeline
from headwater.services.firehose.processing.context import StageContext
from headwater.services.firehose.processing.pipeline import process
from headwater.services.firehose.records import Record
from headwater.services.firehose.s3_writer import Target, Writer
from headwater.services.firehose.sources import entries as source_entries
from headwater.services.firehose.state import CHECKPOINTS, S3_KINDS, DeliveryStream
from headwater.services.ports import FunctionCaller, KeyRing, LogSink, ObjectSink, ObjectSource, TableCatalog

PAGE_ENTRIES = 256
PAGE_BYTES = 16 * 1024 * 1024
MEMORY_CAP = 256 * 1024 * 1024  # all buffers of one stream together
WRITES_IN_FLIGHT = 3  # concurrent S3 object writes per stream (each holds its buffer's memory)
BACKUP = "\0backup"  # the backup buffer's key (no evaluated prefix starts with a NUL)
log = logging.getLogger("headwater.firehose")


@dataclass(frozen=True, slots=True)
class DeliveryEnv:
    log: Log
    meta: MetaStore
    clock: SystemClock
    metrics: Metrics
    objects: ObjectSink | None
    log_sink: LogSink | None
    caller: FunctionCaller | None = None
    sources: ObjectSource | None = None  # Redshift COPYs its staged objects back through it
    catalog: TableCatalog | None = None  # Glue: format conversion's tables, Iceberg destinations'
    keys: KeyRing | None = None  # opens entries sealed at rest (`sealing`)


@dataclass(slots=True)
class Buffer:
    first_offset: int  # the first raw offset of the page that opened it
    opened_at: float  # clock seconds
    partition_keys: dict[str, str]
    oldest_ms: int  # arrival time of the oldest record: the object's time
    datas: list[bytes | memoryview] = field(default_factory=list)  # records, or views of runs of records
    size: int = 0
    records: int = 0


def needs_pipeline(config: dict[str, Any]) -> bool:
    """Whether any stage would change a record: processors, dynamic partitioning, conversion."""
    processing = config.get("ProcessingConfiguration") or {}
    return bool(
        (processing.get("Enabled") and processing.get("Processors"))
        or s3_settings.enabled(config.get("DynamicPartitioningConfiguration"))
        or s3_settings.enabled(config.get("DataFormatConversionConfiguration"))
    )


class DeliveryWorker:
    def __init__(self, env: DeliveryEnv, stream: DeliveryStream) -> None:
        self.env = env
        self.stream = stream
        self.partition = stream.partition
        destination = stream.destinations[0]
        self.kind = destination.kind
        self.config: dict[str, Any] = destination.config
        self.hints = s3_settings.hints(remote_delivery.buffering(self.kind, self.config))
        backup = self.config.get("S3BackupConfiguration")
        self.backup = backup if backup and self.config.get("S3BackupMode") == "Enabled" else None
        self.processing = needs_pipeline(self.config)
        self.backup_hints = s3_settings.hints(self.backup) if self.backup is not None else self.hints
        self.remote = remote_delivery.build(
            self.kind,
            self.config,
            env.clock,
            stream.account,
            env.sources,
            region=stream.region,
            catalog=env.catalog,
            sink=env.objects,
        )
        self.conversion = None
        if self.kind in S3_KINDS and conversion.enabled(self.config):
            section = self.config["DataFormatConversionConfiguration"]
            self.conversion = conversion.Conversion(section, env.catalog, stream.account, stream.region)
        # only format conversion: the records' bytes go to the buffer as they are (no stage reads them)
        self.conversion_only = (
            self.conversion is not None
            and self.remote is None
            and not pipeline.processors(self.config)
            and not s3_settings.enabled(self.config.get("DynamicPartitioningConfiguration"))
        )
        self.buffers: dict[str, Buffer] = {}
        self.full: list[tuple[str, Buffer]] = []  # closed at their size hint, flushed next
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # object writes under way -> the first raw offset of their buffer (holds the checkpoint)
        self.writing: dict[asyncio.Task[None], int] = {}
        self.partitioned = s3_settings.enabled(self.config.get("DynamicPartitioningConfiguration"))
        self.active = partitioning.ActivePartitions()  # the partitions buffered now (AWS's 500)
        # a Lambda processor's own hints: raw entries wait here until they are due, then the
        # function sees them as one batch (or a few, cut at its size hint)
        self.transform_hints = pipeline.lambda_hints(self.config)
        self.pending: list[StoredEntry] = []
        self.pending_bytes = 0
        self.pending_since = 0.0
        self.stage_context = StageContext(
            stream.arn,
            stream.region,
            stream.account,
            env.clock,
            env.caller,
            self._source_arn(stream),
            self.config.get("RoleARN"),
        )
        raw = env.meta.get(CHECKPOINTS, self.partition)
        self.offset = max(int(raw) if raw else 0, env.log.first_offset(self.partition))
        self.checkpoint = self.offset

    @staticmethod
    def _source_arn(stream: DeliveryStream) -> str | None:
        found = (stream.source or {}).get("KinesisStreamARN")
        return found if isinstance(found, str) else None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._cancel_writes()
        if self.remote is not None:
            await remote_delivery.close(self.remote)

    def _target(self, config: dict[str, Any], metric: str) -> Target:
        s = self.stream
        converting = self.conversion if config is self.config else None  # never the backup
        return Target(s.account, s.region, s.name, s.arn, s.version_id, config, metric, converting)

    async def _run(self) -> None:
        if (self.kind not in S3_KINDS and self.remote is None) or self.env.objects is None:
            return  # a destination Headwater cannot deliver to: records wait in the log
        writer = Writer(self.env.clock, self.env.metrics, self.env.objects, self.env.log_sink)
        while True:
            try:
                await self._step(writer)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not stop the stream for good: log, wait, re-read
                log.exception("firehose delivery of %s failed", self.stream.arn)
                await self._cancel_writes()
                self.buffers.clear()
                self.full.clear()
                self.active = partitioning.ActivePartitions()
                self.pending, self.pending_bytes = [], 0
                self.offset = self.checkpoint
                await self.env.clock.sleep(1.0)

    async def _step(self, writer: Writer) -> None:
        self._wake.clear()
        entries = await self.env.log.read_async(self.partition, self.offset, PAGE_ENTRIES, PAGE_BYTES)
        if entries:
            if self.transform_hints is None:
                await self._take(writer, entries)
            else:
                self._hold(entries)
            self.offset = entries[-1].offset + 1
        if self.pending and self._pending_due():
            held, self.pending, self.pending_bytes = self.pending, [], 0
            await self._take(writer, held)
        await self._flush_due(writer, forced=False)
        if self._reap():
            await self._save_checkpoint()
        if len(entries) >= PAGE_ENTRIES:
            return
        if not entries:
            await self._idle()

    def _hold(self, entries: list[StoredEntry]) -> None:
        if not self.pending:
            self.pending_since = self.env.clock.now()
        self.pending.extend(entries)
        self.pending_bytes += sum(len(e.payload) for e in entries)

    def _pending_due(self) -> bool:
        assert self.transform_hints is not None
        size, interval = self.transform_hints
        return self.pending_bytes >= size or self.env.clock.now() >= self.pending_since + interval

    async def _take(self, writer: Writer, entries: list[StoredEntry]) -> None:
        first = entries[0].offset
        now = self.env.clock.now()
        # the common case: no Record objects, only runs of bytes (a remote destination sends records
        # one by one, so it takes the per-record path)
        if not self.processing and self.remote is None:
            for entry in entries:
                payload = sealing.unseal(self.env.keys, self.partition, entry.payload)
                if self.backup is not None:
                    self._add_entry(BACKUP, first, now, payload, entry.timestamp_ms)
                self._add_entry("", first, now, payload, entry.timestamp_ms)
            return
        if self.conversion_only:  # bytes per record, no Record objects: conversion takes bytes
            for entry in entries:
                datas = batches.decode(sealing.unseal(self.env.keys, self.partition, entry.payload))
                if self.backup is not None:
                    self._add(BACKUP, first, now, {}, datas, entry.timestamp_ms)
                if datas:
                    self._add("", first, now, {}, datas, entry.timestamp_ms)
            return
        records: list[Record] = []
        for entry in entries:
            base = batches.id_base(self.partition, entry.offset)
            at = entry.timestamp_ms
            payload = sealing.unseal(self.env.keys, self.partition, entry.payload)
            datas = batches.decode(payload)
            if self.backup is not None:
                self._add(BACKUP, first, now, {}, datas, at)
            # a Kinesis source's entries carry each record's shard, key and sequence numbers
            kinesis = source_entries.metadata(payload) if self.stream.source else []
            if kinesis:
                records.extend(
                    Record(batches.record_id(base, i), data, at, kinesis[i]) for i, data in enumerate(datas)
                )
                continue
            records.extend(Record(batches.record_id(base, i), data, at) for i, data in enumerate(datas))
        processed = await process(self.config, records, self.stage_context)
        failures = list(processed.failures)
        if self.partitioned:  # a buffer per evaluated prefix, within the active partition limit
            prefix, zone = self.config.get("Prefix"), self.config.get("CustomTimeZone")
            by_key, refused = partitioning.route(processed.records, prefix, zone, self.active)
            failures += refused
        elif self.kind == "Iceberg":  # a buffer per Lambda-given table (otfMetadata)
            by_key = remote_delivery.routing_groups(processed.records)
        else:
            by_key = {"": processed.records} if processed.records else {}
        if failures:
            await writer.write_failures(self._target(self.config, "DeliveryToS3"), failures)
        for key, group in by_key.items():
            keys = dict(group[0].partition_keys) if self.partitioned or key else {}
            oldest = min(r.arrival_ms for r in group)
            self._add(key, first, now, keys, [r.data for r in group], oldest)

    def _add(
        self, key: str, first: int, now: float, keys: dict[str, str], datas: list[bytes], arrival_ms: int
    ) -> None:
        """Buffers records; a buffer that reaches its size hint is closed at that record (the
        object may exceed the hint by one record, as AWS's do) and a new one takes the rest."""
        limit = (self.backup_hints if key == BACKUP else self.hints).size_bytes
        buffer = self.buffers.get(key)
        if buffer is None:
            buffer = self.buffers[key] = Buffer(first, now, keys, arrival_ms)
        elif arrival_ms < buffer.oldest_ms:
            buffer.oldest_ms = arrival_ms
        total = sum(map(len, datas))
        buffer.records += len(datas)
        if buffer.size + total < limit:  # the whole entry fits: no per-record work
            buffer.datas.extend(datas)
            buffer.size += total
            return
        buffer.records -= len(datas)
        size = buffer.size
        for data in datas:
            buffer.datas.append(data)
            buffer.records += 1
            size += len(data)
            if size >= limit:
                buffer.size = size
                self.full.append((key, buffer))
                buffer = self.buffers[key] = Buffer(first, now, keys, arrival_ms)
                size = 0
        buffer.size = size
        if not buffer.datas:
            del self.buffers[key]

    def _add_entry(self, key: str, first: int, now: float, payload: bytes, arrival_ms: int) -> None:
        """`_add` for a raw entry as it is stored: its records go in as one run of bytes (a single
        slice), or, where the size hint closes a buffer inside the entry, as runs cut at the first
        record that reaches the hint, found by bisecting the running lengths: no object per record."""
        lengths, start = batches.layout(payload)
        count = len(lengths)
        limit = (self.backup_hints if key == BACKUP else self.hints).size_bytes
        buffer = self.buffers.get(key)
        if buffer is None:
            buffer = self.buffers[key] = Buffer(first, now, {}, arrival_ms)
        elif arrival_ms < buffer.oldest_ms:
            buffer.oldest_ms = arrival_ms
        total = sum(lengths)  # the records only: a Kinesis source's entry carries a trailer after them
        view = memoryview(payload)  # runs are views: the bytes are copied once, into the object file
        if buffer.size + total < limit:
            if count:
                buffer.datas.append(view[start : start + total])
                buffer.size += total
                buffer.records += count
            elif not buffer.datas:
                del self.buffers[key]
            return
        ends = list(accumulate(lengths))  # ends[i]: where record i ends, from `start`
        done = cut = 0  # records and bytes of the entry already buffered
        while done < count:
            last = bisect_left(ends, cut + limit - buffer.size, done)  # the record reaching the hint
            if last >= count:  # the rest fits
                buffer.datas.append(view[start + cut : start + total])
                buffer.size += total - cut
                buffer.records += count - done
                break
            buffer.datas.append(view[start + cut : start + ends[last]])
            buffer.size += ends[last] - cut
            buffer.records += last + 1 - done
            self.full.append((key, buffer))
            buffer = self.buffers[key] = Buffer(first, now, {}, arrival_ms)
            done, cut = last + 1, ends[last]
        if not buffer.datas:
            del self.buffers[key]

    def _due(self, key: str, buffer: Buffer, now: float) -> bool:
        hints = self.backup_hints if key == BACKUP else self.hints
        return buffer.size >= hints.size_bytes or now >= buffer.opened_at + hints.interval_s

    async def _flush_due(self, writer: Writer, forced: bool) -> None:
        now = self.env.clock.now()
        due = [key for key, buffer in self.buffers.items() if forced or self._due(key, buffer, now)]
        total = sum(b.size for b in self.buffers.values())
        if not due and not self.full and total > MEMORY_CAP:
            due = [max(self.buffers, key=lambda k: self.buffers[k].size)]
        if not due and not self.full:
            return
        ready, self.full = self.full, []
        ready += [(key, self.buffers.pop(key)) for key in due]
        for key, buffer in ready:
            if key == BACKUP and self.backup is not None:
                target = self._target(self.backup, "BackupToS3")
            else:
                target = self._target(self.config, "DeliveryToS3")
            if self.remote is not None and key != BACKUP:
                base = batches.id_base(self.partition, buffer.first_offset)
                ids = [batches.record_id(base, i) for i in range(len(buffer.datas))]
                datas = [bytes(data) for data in buffer.datas]  # one record each on this path
                await remote_delivery.deliver_buffer(
                    self.remote, writer, target, datas, buffer.oldest_ms, ids, buffer.partition_keys
                )
                continue
            while len(self.writing) >= WRITES_IN_FLIGHT:
                await asyncio.wait(set(self.writing), return_when=asyncio.FIRST_COMPLETED)
                self._reap()
            task = asyncio.get_running_loop().create_task(self._write(writer, target, key, buffer))
            task.add_done_callback(lambda _: self._wake.set())  # the worker saves the checkpoint
            self.writing[task] = buffer.first_offset
        self._reap()
        await self._save_checkpoint()

    async def _write(self, writer: Writer, target: Target, key: str, buffer: Buffer) -> None:
        await writer.write_records(
            target, buffer.datas, buffer.oldest_ms, buffer.partition_keys, buffer.records
        )
        if key not in self.buffers:
            self.active.release(key)  # delivered: no longer an active partition

    def _reap(self) -> bool:
        """Forgets the writes that completed (True if any); a write that failed raises here, so the
        worker starts over from its checkpoint."""
        done = [task for task in self.writing if task.done()]
        for task in done:
            del self.writing[task]
        for task in done:
            task.result()
        return bool(done)

    async def _cancel_writes(self) -> None:
        tasks, self.writing = list(self.writing), {}
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _save_checkpoint(self) -> None:
        held = [self.pending[0].offset] if self.pending else []
        held += self.writing.values()
        checkpoint = min([*(b.first_offset for b in self.buffers.values()), *held], default=self.offset)
        if checkpoint <= self.checkpoint:
            return
        self.checkpoint = checkpoint
        await self.env.meta.put(CHECKPOINTS, self.partition, str(checkpoint).encode())
        # trim by time: entries before the checkpoint's own entry (same-millisecond ones stay)
        kept = self.env.log.read(self.partition, checkpoint, 1, 1)
        if kept:
            await self.env.log.trim(self.partition, kept[0].timestamp_ms)

    async def _idle(self) -> None:
        deadlines = [
            b.opened_at + (self.backup_hints if k == BACKUP else self.hints).interval_s
            for k, b in self.buffers.items()
        ]
        if self.pending and self.transform_hints is not None:
            deadlines.append(self.pending_since + self.transform_hints[1])
        waiter = asyncio.ensure_future(self._wake.wait())
        tasks: set[asyncio.Future[Any]] = {waiter}
        if deadlines:
            tasks.add(asyncio.ensure_future(self.env.clock.sleep_until(min(deadlines))))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
