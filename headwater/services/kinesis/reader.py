"""Kinesis as a `StreamReader`: how event-source mappings (Lambda) read shards by stream ARN.

It is GetShardIterator and GetRecords without the wire and the per-call limits (a mapping's poller
reads as AWS's own pollers do, beside the shard's five reads a second): a position is the log
offset as text, so a page is one log read and nothing expires under a slow function.
"""

from __future__ import annotations

import asyncio
import contextlib

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.kinesis.consumers import find_consumer
from headwater.services.kinesis.payload import decode_payload
from headwater.services.kinesis.records import read_records, start_offset
from headwater.services.kinesis.service import STREAM_ARN, KinesisCore
from headwater.services.kinesis.state import Shard, Stream
from headwater.services.ports import SourceReadError, StreamPage, StreamRecord, StreamShard


class KinesisStreamReader:
    def __init__(self, core: KinesisCore) -> None:
        self._core = core

    def _stream(self, arn: str) -> Stream:
        match = STREAM_ARN.fullmatch(arn)
        if match is None or "/" in match.group(3):
            raise SourceReadError("InvalidArgumentException", f"Invalid StreamARN: {arn}")
        region, account, name = match.groups()
        try:
            return self._core.find({"StreamARN": arn}, RequestContext(account, region, "stream-reader"))
        except AwsError as error:
            raise SourceReadError(error.code, error.message) from None

    def _shard(self, arn: str, shard_id: str) -> tuple[Stream, Shard]:
        stream = self._stream(arn)
        shard = stream.shard(shard_id)
        if shard is None:
            raise SourceReadError(
                "ResourceNotFoundException", f"Shard {shard_id} in stream {arn} does not exist."
            )
        return stream, shard

    def exists(self, arn: str) -> bool:
        try:
            self._stream(arn)
        except SourceReadError:
            return False
        return True

    def consumer_active(self, consumer_arn: str) -> bool:
        stream_arn = consumer_arn.partition("/consumer/")[0]
        try:
            stream = self._stream(stream_arn)
            ctx = RequestContext(stream.account, stream.region, "stream-reader")
            _, consumer = find_consumer(self._core, {"ConsumerARN": consumer_arn}, ctx)
        except (SourceReadError, AwsError):
            return False
        return consumer.status == "ACTIVE"

    def shards(self, arn: str) -> list[StreamShard]:
        stream = self._stream(arn)
        return [
            StreamShard(
                shard.shard_id,
                tuple(p for p in (shard.parent, shard.adjacent_parent) if p),
                not shard.is_open,
            )
            for shard in stream.shards
        ]

    def position(
        self, arn: str, shard_id: str, kind: str, sequence_number: str | None = None, at: float | None = None
    ) -> str:
        stream, shard = self._shard(arn, shard_id)
        if kind == "AT_TIMESTAMP" and at is not None:
            at = min(at, self._core.clock.now())  # a mapping may start "in the future": LATEST then
        try:
            return str(start_offset(self._core, stream, shard, kind, sequence_number, at))
        except AwsError as error:
            raise SourceReadError(error.code, error.message) from None

    async def read(self, arn: str, shard_id: str, position: str, limit: int) -> StreamPage:
        stream, shard = self._shard(arn, shard_id)
        try:
            entries, next_offset = await read_records(self._core, stream, shard, int(position), limit)
            records = []
            for entry in entries:
                key, data, _ = decode_payload(self._core, stream, entry.payload)
                number = shard.sequence_number(entry.offset, entry.timestamp_ms)
                records.append(StreamRecord(number, key, data, entry.timestamp_ms / 1000))
        except AwsError as error:
            raise SourceReadError(error.code, error.message) from None
        finished = shard.end_offset is not None and next_offset >= shard.end_offset
        return StreamPage(records, None if finished else str(next_offset))

    async def wait(self, arn: str, shard_id: str, timeout: float) -> None:
        _, shard = self._shard(arn, shard_id)
        event = self._core.wakeup(shard.partition)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
