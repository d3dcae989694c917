"""The bridge between the delivery worker's buffers and the non-S3 destinations.

When a buffer of an HTTP endpoint, Splunk or OpenSearch stream flushes, its records go to the
destination (`deliver`); the failures it gives back are written as error documents under the
S3Configuration's ErrorOutputPrefix, and with S3BackupMode AllData/AllEvents/AllDocuments every
record is also written to the S3Configuration bucket. A Redshift buffer is first staged as an
object in the S3Configuration bucket (compressed as that configuration says, as AWS stages it),
then COPied from there; a skipped object's manifest goes to `errors/manifests/` in that bucket.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from headwater.runtime.clock import Clock
from headwater.services.firehose import metrics as fh_metrics
from headwater.services.firehose.compression import Compressor, content_encoding
from headwater.services.firehose.destinations.copy_options import parse_copy_options
from headwater.services.firehose.destinations.http_endpoint import HttpEndpointDestination
from headwater.services.firehose.destinations.iceberg import IcebergDestination, IcebergFailure
from headwater.services.firehose.destinations.iceberg import problem as iceberg_problem
from headwater.services.firehose.destinations.opensearch import OpenSearchDestination
from headwater.services.firehose.destinations.redshift import RedshiftDestination, parse_jdbc_url
from headwater.services.firehose.destinations.retry import AttemptReport
from headwater.services.firehose.destinations.splunk import SplunkDestination
from headwater.services.firehose.processing.transform import OTF_PREFIX
from headwater.services.firehose.records import Failure, Record
from headwater.services.firehose.s3_settings import bucket_of
from headwater.services.firehose.s3_writer import Target, Writer
from headwater.services.ports import ObjectSink, ObjectSource, TableCatalog

Remote = (
    HttpEndpointDestination
    | SplunkDestination
    | OpenSearchDestination
    | RedshiftDestination
    | IcebergDestination
)
OPENSEARCH_KINDS = ("Amazonopensearchservice", "Elasticsearch", "AmazonOpenSearchServerless")
KINDS = ("HttpEndpoint", "Splunk", "Redshift", "Iceberg", *OPENSEARCH_KINDS)
BACKUP_ALL = ("AllData", "AllEvents", "AllDocuments")
log = logging.getLogger("headwater.firehose")


def buffering(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """The configuration whose BufferingHints apply: Redshift has none of its own and buffers
    by its S3Configuration's, the staged objects' size; Splunk's default interval is 60 s."""
    if kind == "Redshift":
        return dict(config.get("S3Configuration") or {})
    if kind == "Splunk":
        hints = {"SizeInMBs": 5, "IntervalInSeconds": 60, **(config.get("BufferingHints") or {})}
        return {**config, "BufferingHints": hints}
    return config


def problem(kind: str, config: dict[str, Any]) -> str | None:
    """Why CreateDeliveryStream must refuse this configuration (CopyOptions that cannot be
    honoured, a JDBC URL that names no database, an OpenSearch destination with no endpoint), or
    None."""
    try:
        if kind == "Iceberg":
            return iceberg_problem(config)
        if kind == "Redshift":
            command = config.get("CopyCommand") or {}
            parse_copy_options(command.get("CopyOptions"))
            parse_jdbc_url(str(config.get("ClusterJDBCURL", "")))
        elif kind in OPENSEARCH_KINDS and not (
            config.get("ClusterEndpoint") or config.get("CollectionEndpoint")
        ):
            return (
                "Headwater delivers to OpenSearch through ClusterEndpoint (or CollectionEndpoint): "
                "a DomainARN cannot be resolved to a cluster."
            )
    except ValueError as error:
        return str(error)
    return None


async def close(remote: Remote) -> None:
    """Releases the destination's HTTP connections (a stopped or replaced worker's)."""
    if not isinstance(remote, RedshiftDestination):
        await remote.aclose()


def build(
    kind: str,
    config: dict[str, Any],
    clock: Clock,
    account: str,
    sources: ObjectSource | None,
    *,
    region: str = "us-east-1",
    catalog: TableCatalog | None = None,
    sink: ObjectSink | None = None,
) -> Remote | None:
    """The destination of a stream's configuration, or None when it is not one of these (or
    cannot be built: the reason is logged and the records wait in the stream's log)."""
    try:
        if kind == "HttpEndpoint":
            return HttpEndpointDestination(config, clock=clock)
        if kind == "Splunk":
            return SplunkDestination(config, clock=clock)
        if kind in OPENSEARCH_KINDS:
            return OpenSearchDestination(config, clock=clock)
        if kind == "Redshift":
            return RedshiftDestination(config, clock=clock, objects=sources, account=account)
        if kind == "Iceberg" and catalog is not None and sink is not None:
            return IcebergDestination(
                config,
                clock=clock,
                account=account,
                region=region,
                catalog=catalog,
                sink=sink,
                source=sources,
            )
    except (KeyError, ValueError) as error:
        log.warning("firehose cannot deliver to this %s destination: %s", kind, error)
    return None


async def deliver_buffer(
    remote: Remote,
    writer: Writer,
    target: Target,
    datas: Sequence[bytes],
    oldest_ms: int,
    record_ids: Sequence[str],
    partition_keys: Mapping[str, str] | None = None,
) -> None:
    staging = replace(target, config=target.config["S3Configuration"], metric="BackupToS3")
    metric = _metric(remote, target.config)
    reported: set[tuple[str, str]] = set()
    if not isinstance(remote, IcebergDestination):
        remote.report = _reporter(writer, target, reported)
    size = sum(map(len, datas))
    if isinstance(remote, RedshiftDestination):
        if await _copy(remote, writer, staging, datas, oldest_ms, target.config):
            _delivered(writer, target, metric, len(datas), size, oldest_ms)
        else:
            fh_metrics.failed(writer.metrics, target.stream_name, metric)
        return
    records = [Record(rid, data, oldest_ms) for rid, data in zip(record_ids, datas, strict=True)]
    if isinstance(remote, IcebergDestination):
        failed = await _iceberg(remote, writer, staging, records, partition_keys or {})
        if failed:
            fh_metrics.failed(writer.metrics, target.stream_name, metric)
            await _log_failures(writer, target, failed)
        if len(failed) < len(records):
            failed_bytes = sum(len(f.record.data) for f in failed)
            _delivered(writer, target, metric, len(records) - len(failed), size - failed_bytes, oldest_ms)
        return
    failures = await remote.deliver(records, target.stream_arn)
    if failures:
        fh_metrics.failed(writer.metrics, target.stream_name, metric)
        await _log_failures(writer, target, failures, reported)
    if len(failures) < len(records):
        failed_bytes = sum(len(f.record.data) for f in failures)
        _delivered(writer, target, metric, len(records) - len(failures), size - failed_bytes, oldest_ms)
    if target.config.get("S3BackupMode") in BACKUP_ALL:
        await writer.write_records(staging, datas, oldest_ms, {})
    if failures:
        await writer.write_failures(staging, failures)


async def _copy(
    remote: RedshiftDestination,
    writer: Writer,
    staging: Target,
    datas: Sequence[bytes],
    oldest_ms: int,
    remote_config: dict[str, Any],
) -> bool:
    """Stages the buffer and COPYs it; False when it could not be loaded."""
    compression = staging.config.get("CompressionFormat", "UNCOMPRESSED")
    compressor = Compressor(compression)
    body = compressor.feed(b"".join(datas)) + compressor.finish()
    key = writer.key_for(staging, oldest_ms, {})
    bucket = bucket_of(staging.config["BucketARN"])
    # The writer's put retries a refusing bucket for AWS's 24 hours, as every S3 write does.
    if not await writer._put(staging, key, lambda: body, content_encoding(compression), oldest_ms):
        return False
    # No ObjectSource offered (S3 offers one): the staged bytes are the ones just written.
    manifest = await remote.deliver_object(bucket, key, source=remote.objects or _Staged(body))
    if manifest is not None:
        target = replace(staging, config=remote_config)
        await writer.log_error(
            target,
            "Redshift.CopyFailed",
            f"The COPY of {key} failed; see {manifest.key}",
            _endpoint(remote_config),
        )
        await writer._put(staging, manifest.key, lambda: manifest.body, None, oldest_ms)
        return False
    return True


def _metric(remote: Remote, config: dict[str, Any]) -> str:
    """The CloudWatch metric family of a destination (DeliveryToHttpEndpoint.Success...)."""
    if isinstance(remote, HttpEndpointDestination):
        return "DeliveryToHttpEndpoint"
    if isinstance(remote, SplunkDestination):
        return "DeliveryToSplunk"
    if isinstance(remote, RedshiftDestination):
        return "DeliveryToRedshift"
    if isinstance(remote, IcebergDestination):
        return "DeliveryToIceberg"
    if config.get("CollectionEndpoint"):
        return "DeliveryToAmazonOpenSearchServerless"
    return "DeliveryToAmazonOpenSearchService"


def _endpoint(config: dict[str, Any]) -> str:
    """What the error log names as the destination: its endpoint."""
    found = (
        (config.get("EndpointConfiguration") or {}).get("Url")
        or config.get("HECEndpoint")
        or config.get("ClusterEndpoint")
        or config.get("CollectionEndpoint")
        or config.get("ClusterJDBCURL")
    )
    return str(found or "")


def _delivered(writer: Writer, target: Target, metric: str, records: int, size: int, oldest_ms: int) -> None:
    freshness = max(0.0, (writer.clock.now_ms() - oldest_ms) / 1000)
    fh_metrics.delivered(writer.metrics, target.stream_name, metric, records, size, freshness)


def _reporter(writer: Writer, target: Target, reported: set[tuple[str, str]]) -> AttemptReport:
    """Logs each failed attempt as it happens; `reported` gathers what was logged, so the records
    given up on afterwards do not log the same error again."""

    async def report(code: str, message: str) -> None:
        reported.add((code, message))
        await writer.log_error(target, code, message, _endpoint(target.config))

    return report


async def _log_failures(
    writer: Writer, target: Target, failures: Sequence[Failure], reported: set[tuple[str, str]] | None = None
) -> None:
    """One error log event per distinct error of the buffer (not one per record), unless an
    attempt already logged it."""
    seen: set[tuple[str, str]] = set(reported or ())
    for failure in failures:
        what = (failure.error_code, failure.error_message)
        if what not in seen:
            seen.add(what)
            await writer.log_error(
                target, failure.error_code, failure.error_message, _endpoint(target.config)
            )


def routing_groups(records: Sequence[Record]) -> dict[str, list[Record]]:
    """An Iceberg stream's records by the table a Lambda named for them (`otfMetadata`); those it
    named none for share the "" buffer."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        otf = sorted((k, v) for k, v in record.partition_keys.items() if k.startswith(OTF_PREFIX))
        groups.setdefault(json.dumps(otf) if otf else "", []).append(record)
    return groups


async def _iceberg(
    remote: IcebergDestination,
    writer: Writer,
    staging: Target,
    records: list[Record],
    partition_keys: Mapping[str, str],
) -> list[IcebergFailure]:
    otf = {k.removeprefix(OTF_PREFIX): v for k, v in partition_keys.items() if k.startswith(OTF_PREFIX)}
    failures = await remote.deliver(records, otf)
    if remote.config.get("S3BackupMode") == "AllData":
        await writer.write_records(staging, [r.data for r in records], records[0].arrival_ms, {})
    by_prefix: dict[str | None, list[Any]] = {}
    for failure in failures:
        by_prefix.setdefault(failure.error_prefix, []).append(failure)
    for prefix, group in by_prefix.items():
        target = (
            staging
            if prefix is None
            else replace(staging, config={**staging.config, "ErrorOutputPrefix": prefix})
        )
        await writer.write_failures(target, group)
    return failures


class _Staged:
    """The one object just staged, as an ObjectSource."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read_object(
        self, account: str, bucket: str, key: str, version: str | None = None, limit: int = 0
    ) -> bytes:
        return self.body
