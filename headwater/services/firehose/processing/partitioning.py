"""Dynamic partitioning: MetadataExtraction's jq query, the buffer a record goes to, and AWS's
active partition limit.

Theory of operation
-------------------
MetadataExtractionQuery is a jq program run over each record's JSON (JsonParsingEngine JQ-1.6; the
`jq` package is compiled once per query and reused). Its single output must be an object; each
member is a partition key for `!{partitionKeyFromQuery:<name>}`. A query of plain field paths
(`{customer: .customer_id}`) is looked up in Python instead, with jq's results (`jq_paths`), and jq
runs only for the records that lookup is unsure of. Strings are used as they are,
numbers and booleans as their JSON text; null (a missing field) and objects or arrays cannot name a
prefix. A record that is not JSON, whose query fails, or whose keys cannot name a prefix goes to
the error output, as AWS's "Troubleshoot dynamic partitioning errors" page describes without
naming the output type: Headwater calls it "partitioning-failed".

Records are buffered per *evaluated prefix* (`buffer_key`), never batched and then split, so a
record can only land in its own partition. A partition is active from its first record until its
buffer is delivered; `ActivePartitions` counts them, and once a stream has 500 (AWS's default
quota), records for any other partition go to the error output as "activePartitionExceeded", the
name AWS's buffering page gives that error prefix. Records of one entry share an arrival time, so
`route` evaluates the prefix once per (time, keys), not once per record.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import import_module
from typing import Any

import jq

from headwater.services.firehose import naming
from headwater.services.firehose.processing import jq_paths
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


def _fast_loads() -> Callable[[bytes], Any] | None:
    try:
        return import_module("orjson").loads  # type: ignore[no-any-return,unused-ignore]
    except ImportError:
        return None


_orjson_loads = _fast_loads()


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


def extract(program: Any, data: bytes, paths: jq_paths.Paths | None = None) -> dict[str, str]:
    """The partition keys the query finds in one record, or ExtractionError; `paths` is the query
    compiled by `jq_paths` when it is plain paths."""
    value: Any = jq_paths.UNSURE
    if paths is not None and _orjson_loads is not None:
        with contextlib.suppress(ValueError):  # orjson: valid Unicode only, as jq sees strings
            value = _orjson_loads(data)
    outputs: Any = jq_paths.UNSURE
    if value is not jq_paths.UNSURE:
        found = jq_paths.evaluate(paths, value)  # type: ignore[arg-type]
        if found is not jq_paths.UNSURE:
            outputs = [found]
    else:
        try:
            value = json.loads(data)
        except ValueError:
            raise ExtractionError(
                "DynamicPartitioning.MetadataExtractionFailed", "Non JSON record provided"
            ) from None
    if outputs is jq_paths.UNSURE:
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
    paths = jq_paths.compile_paths(query)
    kept: list[Record] = []
    failures: list[Failure] = []
    for record in records:
        try:
            keys = extract(program, record.data, paths)
        except ExtractionError as error:
            failures.append(_fail(record, error.code, error.message))
            continue
        merged = {**record.partition_keys, **keys} if record.partition_keys else keys
        # the constructor, not dataclasses.replace: a third of this stage's cost per record
        kept.append(Record(record.record_id, record.data, record.arrival_ms, record.kinesis, merged))
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
    known: dict[tuple[int, tuple[tuple[str, str], ...]], str] = {}  # (arrival, keys) -> buffer key
    for record in records:
        memo = (record.arrival_ms, tuple(record.partition_keys.items()))
        key = known.get(memo)
        if key is None:
            try:
                key = known[memo] = buffer_key(prefix, record, time_zone)
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
