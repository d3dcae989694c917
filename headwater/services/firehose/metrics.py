"""Firehose metrics under CloudWatch's names (the AWS/Firehose namespace, dimension DeliveryStreamName),
recorded once per call or per object, never per record."""

from __future__ import annotations

from headwater.runtime.metrics import Labels, Metrics

NS = "Firehose"  # rendered aws_firehose_*, as CloudWatch's AWS/Firehose


def labels(stream_name: str) -> Labels:
    return (("DeliveryStreamName", stream_name),)


def incoming(metrics: Metrics, stream_name: str, operation: str, records: int, size: int) -> None:
    """IncomingRecords/IncomingBytes/IncomingPutRequests and PutRecord(Batch).Records/Bytes/Requests."""
    tags = labels(stream_name)
    add = metrics.add
    add(NS, "IncomingRecords", tags, records)
    add(NS, "IncomingBytes", tags, size)
    add(NS, "IncomingPutRequests", tags)
    add(NS, f"{operation}.Records", tags, records)
    add(NS, f"{operation}.Bytes", tags, size)
    add(NS, f"{operation}.Requests", tags)


def delivered(
    metrics: Metrics, stream_name: str, target: str, records: int, size: int, freshness_s: float
) -> None:
    """`target` is "DeliveryToS3" or "BackupToS3": .Records, .Bytes, .Success and the age of the
    oldest record delivered (.DataFreshness, seconds)."""
    tags = labels(stream_name)
    metrics.add(NS, f"{target}.Records", tags, records)
    metrics.add(NS, f"{target}.Bytes", tags, size)
    metrics.add(NS, f"{target}.Success", tags)
    metrics.set(NS, f"{target}.DataFreshness", tags, freshness_s)


def failed(metrics: Metrics, stream_name: str, target: str) -> None:
    metrics.add(NS, f"{target}.Failures", labels(stream_name))


def converted(metrics: Metrics, stream_name: str, succeeded: int, failed_records: int) -> None:
    """SucceedConversion.Records and FailedConversion.Records, per object."""
    tags = labels(stream_name)
    metrics.add(NS, "SucceedConversion.Records", tags, succeeded)
    metrics.add(NS, "FailedConversion.Records", tags, failed_records)
