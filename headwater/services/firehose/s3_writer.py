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
dropped, as AWS drops it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.firehose import channel_keys
from headwater.services.firehose import metrics as fh_metrics
from headwater.services.firehose.interim import Compressor, content_encoding, evaluate, extension, object_name
from headwater.services.firehose.records import Failure
from headwater.services.firehose.s3_settings import bucket_of
from headwater.services.ports import LogSink, ObjectSink, ObjectSourceError

RETRY_INTERVAL_S = 5.0
RETRY_WINDOW_MS = 24 * 3600 * 1000  # DirectPut: data is kept 24 hours while the bucket refuses it
PIECE = 1024 * 1024
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
    ) -> str:
        config = target.config
        channel = config.get(channel_keys.CONFIG_KEY)  # a Kinesis channel's delivery: its own keys
        if channel is not None and not error_output_type:
            return channel_keys.key(channel, oldest_ms)
        prefix = config.get("ErrorOutputPrefix") if error_output_type else config.get("Prefix")
        evaluated = evaluate(
            prefix,
            at_ms=oldest_ms,
            time_zone=config.get("CustomTimeZone"),
            partition_keys=partition_keys,
            error_output_type=error_output_type,
        )
        if error_output_type:
            ext = ""  # error documents are JSON lines, never compressed
        else:
            converted = config.get("DataFormatConversionConfiguration") or {}
            ext = extension(
                config.get("CompressionFormat", "UNCOMPRESSED"), config.get("FileExtension"), None
            )
            del converted
        return evaluated + object_name(target.stream_name, target.version, oldest_ms, ext)

    async def write_records(
        self, target: Target, datas: Sequence[bytes], oldest: int, partition_keys: dict[str, str]
    ) -> bool:
        """One object of the records' bytes (non-empty), named after the arrival time of the
        oldest; False when the retry window passed (dropped)."""
        key = self.key_for(target, oldest, partition_keys)
        compression = target.config.get("CompressionFormat", "UNCOMPRESSED")
        size = sum(map(len, datas))

        def body() -> AsyncIterator[bytes] | bytes:
            if compression == "UNCOMPRESSED" and size <= PIECE:
                return b"".join(datas)
            return _compressed(datas, Compressor(compression))

        done = await self._put(target, key, body, content_encoding(compression), oldest)
        if done:
            freshness = max(0.0, (self.clock.now_ms() - oldest) / 1000)
            fh_metrics.delivered(self.metrics, target.stream_name, target.metric, len(datas), size, freshness)
        return done

    async def write_failures(self, target: Target, failures: Sequence[Failure]) -> bool:
        """The error output: one JSON document per line, per error output type."""
        by_type: dict[str, list[Failure]] = {}
        for failure in failures:
            by_type.setdefault(failure.error_output_type, []).append(failure)
        ok = True
        for kind, group in by_type.items():
            oldest = min(f.record.arrival_ms for f in group)
            key = self.key_for(target, oldest, {}, error_output_type=kind)
            now = self.clock.now_ms()
            data = b"".join(error_document(f, now) for f in group)
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
                    return False
                await self.clock.sleep(RETRY_INTERVAL_S)

    async def log_error(self, target: Target, code: str, message: str) -> None:
        """One event in the destination's error log stream, when error logging is enabled."""
        options = target.config.get("CloudWatchLoggingOptions") or {}
        if self.log_sink is None or not options.get("Enabled"):
            return
        group, stream = options.get("LogGroupName"), options.get("LogStreamName")
        if not group or not stream:
            return
        event = {
            "deliveryStreamARN": target.stream_arn,
            "destination": f"arn:aws:s3:::{bucket_of(target.config['BucketARN'])}",
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


async def _compressed(datas: Sequence[bytes], compressor: Compressor) -> AsyncIterator[bytes]:
    piece: list[bytes] = []
    size = 0
    for data in datas:
        piece.append(data)
        size += len(data)
        if size >= PIECE:
            out = compressor.feed(b"".join(piece))
            piece, size = [], 0
            if out:
                yield out
    out = compressor.feed(b"".join(piece)) + compressor.finish()
    if out:
        yield out


def error_document(failure: Failure, now_ms: int) -> bytes:
    record = failure.record
    document: dict[str, Any] = {
        "attemptsMade": failure.attempts,
        "arrivalTimestamp": record.arrival_ms,
        "errorCode": failure.error_code,
        "errorMessage": failure.error_message,
        "attemptEndingTimestamp": now_ms,
        "rawData": base64.b64encode(record.data).decode(),
    }
    if failure.lambda_arn is not None:
        document["lambdaArn"] = failure.lambda_arn
    document.update(getattr(failure, "document", None) or {})  # a destination's own fields
    return json.dumps(document, separators=(",", ":")).encode() + b"\n"
