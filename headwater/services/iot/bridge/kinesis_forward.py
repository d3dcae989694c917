"""Edge mode's Kinesis forwarding: configured local streams are copied, record by record, into
streams of the upstream's Kinesis API (`kinesis_upstream.py`).

Theory of operation
-------------------
The local stream is the on-disk buffer: nothing is queued besides it. Each local shard has a
durable checkpoint in the metadata store (the sequence number of the last record the upstream
took, or SHARD_END); a shard's task reads from just after it through the `StreamReader` port, in
pages of up to 500 records, and PutRecords them upstream (keeping each partition key) in chunks
of at most 500 records and 5 MiB. The checkpoint moves only after the whole chunk was taken, so a
kill -9 or an upstream that stored a chunk and failed to answer makes the next run send it again:
delivery is at least once.

Order: one shard's records go up one chunk at a time, in sequence order. While the upstream is
unreachable (or throttles the whole call) the chunk is sent again after a jittered exponential
backoff capped by `backoff_max`. A PutRecords answer failing some records (throttled per shard
upstream) resends from the first failed record on, in order, including later records that had
been taken: a partition key's records may then repeat, but a complete in-order run of them
follows any stray copy.

Resharding is followed as the KCL does: a shard's task starts once each of its parents is read to
its end (SHARD_END checkpointed) or gone from the stream; the stream's shard list is looked at
every second.

The bound is the local stream's retention: records trimmed before they were forwarded are lost.
Before each read the shard's oldest position is compared with the next one to read; what lies
between is counted as `lost_to_retention` (the drop of this path) and skipped, with a warning. The
count needs the reader's positions to be numbers (Headwater's reader: log offsets); `behind_s` (the
age of the oldest record not yet forwarded) says how close a stream is to that loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from typing import Any

from headwater.config import EdgeConfig, EdgeStream
from headwater.engine.api import MetaStore
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.base import Ports
from headwater.services.iot.bridge.kinesis_upstream import KinesisUpstream, UpstreamError
from headwater.services.ports import SourceReadError, StreamReader, StreamRecord

log = logging.getLogger("headwater.iot.edge")

CHECKPOINTS = "iot-edge-kinesis"
SHARD_END = "SHARD_END"
PAGE = 500
CHUNK_RECORDS = 500  # PutRecords' limits
CHUNK_BYTES = 5 * 1024 * 1024
DISCOVER_S = 1.0
BACKOFF_FIRST = 0.1
NAMESPACE = "IoT"


@dataclass
class ShardState:
    checkpoint: str | None
    state: str = "waiting for parents"
    forwarded: int = 0


@dataclass
class StreamState:
    route: EdgeStream
    arn: str
    shards: dict[str, ShardState] = field(default_factory=dict)
    forwarded: int = 0
    retries: int = 0
    throttled_records: int = 0
    lost_to_retention: int = 0
    oldest_unforwarded: float | None = None  # arrival of the record being sent, while sending
    last_error: str | None = None


class KinesisForward:
    def __init__(
        self,
        config: EdgeConfig,
        meta: MetaStore,
        ports: Ports,
        clock: SystemClock,
        metrics: Metrics,
        account: str,
        region: str,
    ) -> None:
        self.config = config
        self.meta = meta
        self.ports = ports
        self.clock = clock
        self.account, self.region = account, region
        self.upstream: KinesisUpstream | None = None
        self.streams: list[StreamState] = []
        self._reader: StreamReader | None = None
        self._tasks: list[asyncio.Task[None]] = []
        metrics.collectors.append(self._collect)

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._reader = self.ports.find(StreamReader)
        if self._reader is None:
            log.warning("edge: Kinesis forwarding is off: the kinesis service is not running")
            return
        self.upstream = KinesisUpstream(self.config, self.region)
        loop = asyncio.get_running_loop()
        self.streams = []
        for route in self.config.kinesis:
            arn = f"arn:aws:kinesis:{self.region}:{self.account}:stream/{route.stream}"
            state = StreamState(route, arn)
            self.streams.append(state)
            self._tasks.append(loop.create_task(self._stream(state)))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.upstream is not None:
            await self.upstream.close()
            self.upstream = None

    async def reset(self) -> None:
        await self.close()
        await self.start()

    # --- shards and their lineage ---------------------------------------------------------------

    def _key(self, state: StreamState, shard_id: str) -> str:
        return f"{state.route.stream}/{shard_id}"

    def _checkpoint(self, state: StreamState, shard_id: str) -> str | None:
        value = self.meta.get(CHECKPOINTS, self._key(state, shard_id))
        return value.decode() if value is not None else None

    async def _stream(self, state: StreamState) -> None:
        assert self._reader is not None
        reader, running = self._reader, dict[str, asyncio.Task[None]]()
        try:
            while True:
                try:
                    shards = reader.shards(state.arn) if reader.exists(state.arn) else None
                except SourceReadError as exc:
                    shards, state.last_error = None, f"{exc.code}: {exc.message}"
                if shards is None:
                    state.last_error = state.last_error or f"no local stream {state.route.stream}"
                    await asyncio.sleep(DISCOVER_S)
                    continue
                present = {shard.shard_id for shard in shards}
                for shard in shards:
                    sid = shard.shard_id
                    shard_state = state.shards.get(sid)
                    if shard_state is None:
                        shard_state = state.shards[sid] = ShardState(self._checkpoint(state, sid))
                    if shard_state.checkpoint == SHARD_END:
                        shard_state.state = "done"
                        continue
                    if sid in running:
                        continue
                    parents_done = all(
                        p not in present or self._checkpoint(state, p) == SHARD_END for p in shard.parents
                    )
                    if parents_done:
                        shard_state.state = "forwarding"
                        running[sid] = asyncio.get_running_loop().create_task(self._shard(state, sid))
                for sid in [sid for sid, task in running.items() if task.done()]:
                    task = running.pop(sid)
                    if not task.cancelled() and task.exception() is not None:  # retried on the next look
                        state.last_error = f"shard {sid}: {task.exception()}"
                        log.warning(
                            "edge: forwarding %s/%s failed: %s", state.route.stream, sid, task.exception()
                        )
                for sid in list(state.shards):
                    if sid not in present:
                        del state.shards[sid]  # expired
                await asyncio.sleep(DISCOVER_S)
        finally:
            for task in running.values():
                task.cancel()
            for task in running.values():
                with contextlib.suppress(BaseException):
                    await task

    # --- one shard --------------------------------------------------------------------------------

    async def _shard(self, state: StreamState, shard_id: str) -> None:
        assert self._reader is not None
        reader, shard = self._reader, state.shards[shard_id]
        if shard.checkpoint is None:
            position = reader.position(state.arn, shard_id, "TRIM_HORIZON")
        else:
            position = reader.position(state.arn, shard_id, "AFTER_SEQUENCE_NUMBER", shard.checkpoint)
        while True:
            position = self._skip_trimmed(state, shard_id, position)
            page = await reader.read(state.arn, shard_id, position, PAGE)
            if page.records:
                await self._forward(state, shard, shard_id, page.records)
            if page.next_position is None:  # closed and read to its end: its children may start
                await self.meta.put(CHECKPOINTS, self._key(state, shard_id), SHARD_END.encode())
                shard.checkpoint, shard.state = SHARD_END, "done"
                return
            position = page.next_position
            if not page.records:
                await reader.wait(state.arn, shard_id, 1.0)

    def _skip_trimmed(self, state: StreamState, shard_id: str, position: str) -> str:
        assert self._reader is not None
        oldest = self._reader.position(state.arn, shard_id, "TRIM_HORIZON")
        if not (oldest.isdigit() and position.isdigit()) or int(oldest) <= int(position):
            return position
        lost = int(oldest) - int(position)
        state.lost_to_retention += lost
        log.warning(
            "edge: %d records of %s/%s expired (retention) before they were forwarded",
            lost, state.route.stream, shard_id,
        )  # fmt: skip
        return oldest

    async def _forward(
        self, state: StreamState, shard: ShardState, shard_id: str, records: list[StreamRecord]
    ) -> None:
        for chunk in _chunks(records):
            await self._put(state, chunk)
            last = chunk[-1].sequence_number
            await self.meta.put(CHECKPOINTS, self._key(state, shard_id), last.encode())
            shard.checkpoint = last
            shard.forwarded += len(chunk)
            state.forwarded += len(chunk)
        state.oldest_unforwarded = None

    async def _put(self, state: StreamState, chunk: list[StreamRecord]) -> None:
        """Until the upstream took every record of `chunk`, resending from the first one it did not."""
        assert self.upstream is not None
        pending, backoff = chunk, BACKOFF_FIRST
        while pending:
            state.oldest_unforwarded = pending[0].arrival
            try:
                results = await self.upstream.put_records(state.route.upstream_stream, pending)
            except UpstreamError as exc:
                self._failed(state, str(exc))
            else:
                first = next((i for i, code in enumerate(results) if code), None)
                if first is None:
                    state.last_error = None
                    return
                failed = sum(1 for code in results if code)
                state.throttled_records += failed
                self._failed(
                    state, f"the upstream failed {failed} of {len(results)} records ({results[first]})"
                )
                pending = pending[first:]
            state.retries += 1
            await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, self.config.backoff_max)

    def _failed(self, state: StreamState, error: str) -> None:
        if error != state.last_error:
            log.warning("edge: forwarding %s upstream: %s", state.route.stream, error)
        state.last_error = error

    # --- what it reports ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "endpoint": self.upstream.endpoint if self.upstream is not None else self.config.kinesis_endpoint,
            "region": self.config.kinesis_region or self.region,
            "streams": [
                {
                    "stream": s.route.stream,
                    "upstream_stream": s.route.upstream_stream,
                    "forwarded": s.forwarded,
                    "retries": s.retries,
                    "throttled_records": s.throttled_records,
                    # the drop: records the local stream's retention trimmed before they went up
                    "lost_to_retention": s.lost_to_retention,
                    "behind_s": _behind(s, now),
                    "last_error": s.last_error,
                    "shards": {
                        sid: {"state": sh.state, "checkpoint": sh.checkpoint, "forwarded": sh.forwarded}
                        for sid, sh in sorted(s.shards.items())
                    },
                }
                for s in self.streams
            ],
        }

    def _collect(self, metrics: Metrics) -> None:
        now = self.clock.now()
        for s in self.streams:
            labels = (("Stream", s.route.stream),)
            metrics.set(NAMESPACE, "Edge.Kinesis.Forwarded", labels, s.forwarded)
            metrics.set(NAMESPACE, "Edge.Kinesis.Retries", labels, s.retries)
            metrics.set(NAMESPACE, "Edge.Kinesis.ThrottledRecords", labels, s.throttled_records)
            metrics.set(NAMESPACE, "Edge.Kinesis.LostToRetention", labels, s.lost_to_retention)
            metrics.set(NAMESPACE, "Edge.Kinesis.BehindSeconds", labels, _behind(s, now))


def _behind(state: StreamState, now: float) -> float:
    arrival = state.oldest_unforwarded
    return round(max(0.0, now - arrival), 3) if arrival is not None else 0.0


def _chunks(records: list[StreamRecord]) -> list[list[StreamRecord]]:
    chunks: list[list[StreamRecord]] = [[]]
    size = 0
    for record in records:
        weight = len(record.data) + len(record.partition_key.encode())
        if chunks[-1] and (len(chunks[-1]) >= CHUNK_RECORDS or size + weight > CHUNK_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(record)
        size += weight
    return [chunk for chunk in chunks if chunk]
