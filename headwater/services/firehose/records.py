"""The records a delivery stream moves, as every stage of its pipeline sees them.

Theory of operation
-------------------
A record enters (PutRecord/PutRecordBatch or a Kinesis source), is stored durably in the stream's
raw log, then flows through the processing stages in AWS's order (`processing/`: decompression
and CloudWatch Logs extraction, de-aggregation, the Lambda transformation, metadata extraction for
dynamic partitioning, the delimiter), record format conversion (`convert/`), compression and the
destination. A stage takes a list of `Record`s and returns a `Processed`: the records that go on
(possibly changed, split or merged) and the `Failure`s that go to the error output
(`!{firehose:error-output-type}`), each failure carrying the original bytes as AWS's error
documents do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class KinesisMetadata:
    """Where a record came from when the source is a Kinesis stream (the Lambda transformation's
    `kinesisRecordMetadata`)."""

    shard_id: str
    partition_key: str
    sequence_number: str
    subsequence_number: int
    approximate_arrival_ms: int


@dataclass(frozen=True, slots=True)
class Record:
    record_id: str  # Firehose's RecordId (PutRecord's answer) or one derived per sub-record
    data: bytes
    arrival_ms: int  # approximate arrival time, epoch milliseconds
    kinesis: KinesisMetadata | None = None
    partition_keys: Mapping[str, str] = field(default_factory=dict)  # from jq or the Lambda


@dataclass(frozen=True, slots=True)
class Failure:
    """A record that cannot be delivered as is: written to the error output prefix with
    `error_output_type` ("processing-failed", "format-conversion-failed", ...)."""

    record: Record
    error_output_type: str
    error_code: str
    error_message: str
    attempts: int = 1
    lambda_arn: str | None = None


@dataclass(frozen=True, slots=True)
class Processed:
    records: list[Record]
    failures: list[Failure] = field(default_factory=list)
