"""Writing one buffer's object into S3 through the `ObjectSink` port, as AWS does it.

Theory of operation
-------------------
An object's key is the evaluated prefix (from the arrival time of its oldest record and its
partition keys) followed by the fixed suffix `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<id>` and the
extension. Its body is the records concatenated (no delimiter unless a stage added one), compressed
as the destination says, streamed to the sink in pieces of about a MiB so a 128 MiB buffer is never
copied whole.

A bucket that refuses the object (missing, another account's) does not lose anything: AWS retries
S3 deliveries every 5 seconds for up to 24 hours after the records arrived, and so does this, on
the injected clock (the test clock wakes it). Each failed attempt is logged to the destination's
CloudWatch Logs stream when error logging is enabled (`log_error`). After the window the object is
dropped, as AWS documents it ("keeps retrying until the retention period ends", then discards): S3
destinations have no error output type for their own delivery failures, and the error output is
the same refusing bucket. The drop is logged (server log and the destination's error log).

Error documents go under ErrorOutputPrefix, or `<Prefix><error-output-type>/<yyyy/MM/dd/HH>/` when
it is null. With record format conversion (`conversion.py`) the buffer becomes one Parquet or ORC
object named `.parquet`/`.orc`, and the records that cannot be converted become
"format-conversion-failed" documents.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.firehose import channel_keys
from headwater.services.firehose import metrics as fh_metrics
from headwater.services.firehose.compression import Compressor, content_encoding
from headwater.services.firehose.conversion import Conversion
from headwater.services.firehose.naming import evaluate, extension, object_name
from headwater.services.firehose.records import Failure
from headwater.services.firehose.s3_settings import bucket_of
from headwater.services.ports import LogSink, ObjectSink, ObjectSourceError

RETRY_INTERVAL_S = 5.0
RETRY_WINDOW_MS = 24 * 3600 * 1000  # DirectPut: data is kept 24 hours while the bucket refuses it
PIECE = 1024 * 1024
INLINE_MAX = 64 * 1024  # compressing this much on the loop is cheaper than a thread hop; an item
# this large is passed to the sink uncompressed as it is, not joined
log = logging.getLogger("headwater.firehose")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a buffer goes: the stream, the destination's (or backup's) S3 settings, and what the
    attempts report as (`DeliveryToS3`, `BackupToS3`)."""

    account: str
    region: str
    stream_name: str
    stream_arn: str
    version: int
    config: dict[str, Any]
    metric: str = "DeliveryToS3"
    conversion: Conversion | None = None  # record format conversion, when enabled


@dataclass(slots=True)
class Writer:
    clock: SystemClock
    metrics: Metrics
    objects: ObjectSink
    log_sink: LogSink | None

    def key_for(
        self,
        target: Target,
        oldest_ms: int,
        partition_keys: dict[str, str],
        error_output_type: str | None = None,
        converted_to: str | None = None,
    ) -> str:
        config = target.config
        channel = config.get(channel_keys.CONFIG_KEY)  # a Kinesis channel's delivery: its own keys
        if channel is not None and not error_output_type:
            return channel_keys.key(channel, oldest_ms)
        prefix = config.get("Prefix")
        if error_output_type and config.get("ErrorOutputPrefix"):
            prefix = config["ErrorOutputPrefix"]
        zone = config.get("CustomTimeZone")
        evaluated = evaluate(
            prefix,
            at_ms=oldest_ms,
            time_zone=zone,
            partition_keys=partition_keys,
            error_output_type=error_output_type,
        )
        if error_output_type:
            ext = ""  # error documents are JSON lines, never compressed
        else:
            compression = config.get("CompressionFormat", "UNCOMPRESSED")
            ext = extension(compression, config.get("FileExtension"), converted_to)
        return evaluated + object_name(target.stream_name, target.version, oldest_ms, ext, time_zone=zone)

    async def write_records(
        self,
        target: Target,
        datas: Sequence[bytes | memoryview],
        oldest: int,
        partition_keys: dict[str, str],
        records: int | None = None,
    ) -> bool:
        """One object of the records' bytes (non-empty), named after the arrival time of the
        oldest; False when the retry window passed (dropped). `datas` may hold runs of several
        records back to back; `records` is then how many there are (default: one per item)."""
        if target.conversion is not None:
            # conversion runs the per-record path: each item is one record
            one_each = [bytes(data) for data in datas]
            return await self._write_converted(target, target.conversion, one_each, oldest, partition_keys)
        key = self.key_for(target, oldest, partition_keys)
        compression = target.config.get("CompressionFormat", "UNCOMPRESSED")
        size = sum(map(len, datas))

        def body() -> AsyncIterator[bytes] | bytes:
            if compression == "UNCOMPRESSED":
                return b"".join(datas) if size <= PIECE else _uncompressed(datas)
            return _compressed(datas, Compressor(compression), size)

        done = await self._put(target, key, body, content_encoding(compression), oldest)
        if done:
            freshness = max(0.0, (self.clock.now_ms() - oldest) / 1000)
            count = len(datas) if records is None else records
            fh_metrics.delivered(self.metrics, target.stream_name, target.metric, count, size, freshness)
        return done

    async def _write_converted(
        self,
        target: Target,
        conversion: Conversion,
        datas: Sequence[bytes],
        oldest: int,
        partition_keys: dict[str, str],
    ) -> bool:
        converted = await conversion.convert(datas, oldest)
        fh_metrics.converted(self.metrics, target.stream_name, converted.records, len(converted.failures))
        done = True
        if converted.failures:
            done = await self.write_failures(target, converted.failures, converted.fields)
        if not converted.body:
            return done
        key = self.key_for(target, oldest, partition_keys, converted_to=converted.output_format)
        body = converted.body
        if not await self._put(target, key, lambda: body, None, oldest):
            return False
        freshness = max(0.0, (self.clock.now_ms() - oldest) / 1000)
        fh_metrics.delivered(
            self.metrics, target.stream_name, target.metric, converted.records, len(body), freshness
        )
        return done

    async def write_failures(
        self,
        target: Target,
        failures: Sequence[Failure],
        fields: Callable[[Failure], dict[str, Any]] | None = None,
    ) -> bool:
        """The error output: one JSON document per line, per error output type; `fields` adds a
        kind's own members (format conversion's dataCatalogTable...)."""
        by_type: dict[str, list[Failure]] = {}
        for failure in failures:
            by_type.setdefault(failure.error_output_type, []).append(failure)
        ok = True
        for kind, group in by_type.items():
            oldest = min(f.record.arrival_ms for f in group)
            key = self.key_for(target, oldest, {}, error_output_type=kind)
            now = self.clock.now_ms()
            data = b"".join(error_document(f, now, fields(f) if fields else None) for f in group)
            ok = await self._put(target, key, lambda data=data: data, None, oldest) and ok
        return ok

    async def _put(
        self,
        target: Target,
        key: str,
        body: Any,
        encoding: str | None,
        oldest_ms: int,
    ) -> bool:
        bucket = bucket_of(target.config["BucketARN"])
        while True:
            try:
                await self.objects.put(target.account, bucket, key, body(), content_encoding=encoding)
                return True
            except ObjectSourceError as error:
                fh_metrics.failed(self.metrics, target.stream_name, target.metric)
                await self.log_error(target, f"S3.{error.code}", _s3_message(error, bucket))
                if self.clock.now_ms() - oldest_ms >= RETRY_WINDOW_MS:
                    log.warning("firehose %s dropped %s after 24 hours: %s", target.stream_arn, key, error)
                    await self.log_error(
                        target,
                        f"S3.{error.code}",
                        f"The data could not be delivered within the 24-hour retention period and was discarded: {key}",
                    )
                    return False
                await self.clock.sleep(RETRY_INTERVAL_S)

    async def log_error(
        self, target: Target, code: str, message: str, destination: str | None = None
    ) -> None:
        """One event in the destination's error log stream, when error logging is enabled;
        `destination` names a non-S3 destination (its endpoint)."""
        options = target.config.get("CloudWatchLoggingOptions") or {}
        if self.log_sink is None or not options.get("Enabled"):
            return
        group, stream = options.get("LogGroupName"), options.get("LogStreamName")
        if not group or not stream:
            return
        event = {
            "deliveryStreamARN": target.stream_arn,
            "destination": destination or f"arn:aws:s3:::{bucket_of(target.config['BucketARN'])}",
            "deliveryStreamVersionId": target.version,
            "message": message,
            "errorCode": code,
        }
        try:
            await self.log_sink.put(
                target.account, target.region, group, stream, [(self.clock.now_ms(), json.dumps(event))]
            )
        except Exception:  # logging must never stop a delivery
            log.exception("firehose could not write its error log")


def _s3_message(error: ObjectSourceError, bucket: str) -> str:
    if error.code == "NoSuchBucket":
        return f"The specified bucket does not exist. Bucket: {bucket}"
    if error.code == "AccessDenied":
        return "Access was denied. Ensure that the trust policy for the provided IAM role allows Firehose to assume the role, and the access policy allows access to the S3 bucket."
    return error.message


def _pieces(datas: Sequence[bytes | memoryview]) -> Iterator[list[bytes | memoryview]]:
    """The items in groups of about PIECE bytes (an item as large alone is a group of its own)."""
    group: list[bytes | memoryview] = []
    size = 0
    for data in datas:
        group.append(data)
        size += len(data)
        if size >= PIECE:
            yield group
            group, size = [], 0
    if group:
        yield group


async def _uncompressed(datas: Sequence[bytes | memoryview]) -> AsyncIterator[bytes]:
    """The body as it is: runs of records pass through uncopied (the sink hashes and writes them as
    the pieces they are); small records are joined into pieces of about a MiB."""
    group: list[bytes | memoryview] = []
    size = 0
    for data in datas:
        if len(data) >= INLINE_MAX:  # a run (or a large record): as it is
            if group:
                yield b"".join(group)
                group, size = [], 0
            # a view of a log entry's bytes: the sink keeps such views as they are (as_bytes, _pump)
            yield cast(bytes, data)
            continue
        group.append(data)
        size += len(data)
        if size >= PIECE:
            yield b"".join(group)
            group, size = [], 0
    if group:
        yield b"".join(group)


async def _compressed(
    datas: Sequence[bytes | memoryview], compressor: Compressor, size: int
) -> AsyncIterator[bytes]:
    """Compresses piece by piece; above INLINE_MAX each piece is compressed in a worker thread
    (zlib and cramjam release the GIL: a MiB of GZIP costs ~10 ms that the loop, which also
    acknowledges PutRecordBatch, need not spend), one piece at a time, in order."""
    inline = size <= INLINE_MAX
    for group in _pieces(datas):
        piece = b"".join(group)
        out = compressor.feed(piece) if inline else await asyncio.to_thread(compressor.feed, piece)
        if out:
            yield out
    out = compressor.finish()
    if out:
        yield out


def error_document(failure: Failure, now_ms: int, fields: dict[str, Any] | None = None) -> bytes:
    record = failure.record
    # format conversion's documents spell these two capitalized (AWS's documented schema)
    capital = failure.error_output_type == "format-conversion-failed"
    document: dict[str, Any] = {
        "attemptsMade": failure.attempts,
        "arrivalTimestamp": record.arrival_ms,
        "ErrorCode" if capital else "errorCode": failure.error_code,
        "ErrorMessage" if capital else "errorMessage": failure.error_message,
        "attemptEndingTimestamp": now_ms,
        "rawData": base64.b64encode(record.data).decode(),
    }
    if failure.lambda_arn is not None:
        document["lambdaArn"] = failure.lambda_arn
    document.update(getattr(failure, "document", None) or {})  # a destination's own fields
    document.update(fields or {})
    return json.dumps(document, separators=(",", ":")).encode() + b"\n"
