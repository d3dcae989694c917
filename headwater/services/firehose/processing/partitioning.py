"""Dynamic partitioning: MetadataExtraction's jq query, the buffer a record goes to, and AWS's
active partition limit.

Theory of operation
-------------------
MetadataExtractionQuery is a jq program run over each record's JSON (JsonParsingEngine JQ-1.6; the
`jq` package is compiled once per query and reused). Its single output must be an object; each
member is a partition key for `!{partitionKeyFromQuery:<name>}`. Strings are used as they are,
numbers and booleans as their JSON text; null (a missing field) and objects or arrays cannot name a
prefix. A record that is not JSON, whose query fails, or whose keys cannot name a prefix goes to
the error output, as AWS's "Troubleshoot dynamic partitioning errors" page describes without
naming the output type: Headwater calls it "partitioning-failed".

Records are buffered per *evaluated prefix* (`buffer_key`), never batched and then split, so a
record can only land in its own partition. A partition is active from its first record until its
buffer is delivered; `ActivePartitions` counts them, and once a stream has 500 (AWS's default
quota), records for any other partition go to the error output as "activePartitionExceeded", the
name AWS's buffering page gives that error prefix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

import jq

from headwater.services.firehose import naming
from headwater.services.firehose.records import Failure, Processed, Record

ERROR_TYPE = "partitioning-failed"
LIMIT_ERROR_TYPE = "activePartitionExceeded"
ACTIVE_LIMIT = 500
ENGINES = frozenset({"JQ-1.6"})


class ExtractionError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@lru_cache(maxsize=256)
def compiled(query: str) -> Any:
    """The compiled program; raises ValueError for a query jq cannot compile."""
    return jq.compile(query)


def check_query(query: str, engine: str | None = "JQ-1.6") -> str | None:
    """Why a MetadataExtractionQuery cannot be used (for the control plane), or None."""
    if engine not in (None, *ENGINES):
        return f"JsonParsingEngine {engine} is not supported; use JQ-1.6."
    try:
        compiled(query)
    except ValueError as error:
        return f"MetadataExtractionQuery is not a valid jq expression: {error}"
    return None


def extract(program: Any, data: bytes) -> dict[str, str]:
    """The partition keys the query finds in one record, or ExtractionError."""
    try:
        value = json.loads(data)
    except ValueError:
        raise ExtractionError(
            "DynamicPartitioning.MetadataExtractionFailed", "Non JSON record provided"
        ) from None
    try:
        outputs = program.input_value(value).all()
    except ValueError as error:
        raise ExtractionError("DynamicPartitioning.MetadataExtractionFailed", str(error)) from None
    if len(outputs) != 1 or not isinstance(outputs[0], dict):
        raise ExtractionError(
            "DynamicPartitioning.MetadataExtractionFailed",
            "The metadata extraction query must produce one JSON object.",
        )
    keys: dict[str, str] = {}
    for name, found in outputs[0].items():
        if isinstance(found, str):
            keys[name] = found
        elif isinstance(found, bool):
            keys[name] = "true" if found else "false"
        elif isinstance(found, (int, float)):
            keys[name] = json.dumps(found)
        else:
            what = "missing (null)" if found is None else f"a JSON {type(found).__name__}"
            raise ExtractionError(
                "DynamicPartitioning.MetadataExtractionFailed",
                f"Partition key {name!r} is {what}; it must be a string or a number.",
            )
    return keys


def apply(records: list[Record], params: Mapping[str, str]) -> Processed:
    """MetadataExtraction: each record gains its query's keys or becomes a failure."""
    query = params.get("MetadataExtractionQuery")
    if not query:
        return Processed(list(records))
    try:
        program = compiled(query)
    except ValueError as error:  # validated at create time: only a stored config from before
        return Processed(
            [], [_fail(r, "DynamicPartitioning.MetadataExtractionFailed", str(error)) for r in records]
        )
    kept: list[Record] = []
    failures: list[Failure] = []
    for record in records:
        try:
            keys = extract(program, record.data)
        except ExtractionError as error:
            failures.append(_fail(record, error.code, error.message))
            continue
        kept.append(replace(record, partition_keys={**record.partition_keys, **keys}))
    return Processed(kept, failures)


def _fail(record: Record, code: str, message: str) -> Failure:
    return Failure(record, ERROR_TYPE, code, message)


def buffer_key(prefix: str | None, record: Record, time_zone: str | None) -> str:
    """The partition (buffer) a record belongs to: its prefix evaluated at its own arrival time.
    A random-string in the prefix does not split partitions: it is drawn when the object is
    named. Raises ExtractionError when the record lacks a key the prefix names."""
    try:
        return naming.evaluate(
            prefix,
            at_ms=record.arrival_ms,
            time_zone=time_zone,
            partition_keys=record.partition_keys,
            keep_random=True,
        )
    except naming.PrefixError as error:
        raise ExtractionError("DynamicPartitioning.PartitionKeyNotFound", str(error)) from None


class ActivePartitions:
    """The stream's active partitions: a partition counts from its first buffered record until
    its buffer is delivered (`release`)."""

    def __init__(self, limit: int = ACTIVE_LIMIT) -> None:
        self.limit = limit
        self.active: set[str] = set()

    def admit(self, key: str) -> bool:
        if key in self.active:
            return True
        if len(self.active) >= self.limit:
            return False
        self.active.add(key)
        return True

    def release(self, key: str) -> None:
        self.active.discard(key)

    def __len__(self) -> int:
        return len(self.active)


def route(
    records: list[Record], prefix: str | None, time_zone: str | None, active: ActivePartitions
) -> tuple[dict[str, list[Record]], list[Failure]]:
    """Records grouped by buffer key, in order; records whose prefix cannot be evaluated or whose
    partition would exceed the active limit become failures."""
    groups: dict[str, list[Record]] = {}
    failures: list[Failure] = []
    for record in records:
        try:
            key = buffer_key(prefix, record, time_zone)
        except ExtractionError as error:
            failures.append(_fail(record, error.code, error.message))
            continue
        if not active.admit(key):
            failures.append(
                Failure(
                    record,
                    LIMIT_ERROR_TYPE,
                    "DynamicPartitioning.ActivePartitionsLimitExceeded",
                    f"The number of active partitions reached the limit of {active.limit}.",
                )
            )
            continue
        groups.setdefault(key, []).append(record)
    return groups, failures
