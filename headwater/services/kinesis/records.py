"""The data plane: PutRecord(s), GetShardIterator and GetRecords.

A record is stored as one engine log entry in its shard's partition; the entry's offset is the
per-shard counter inside the sequence number, so sequence numbers increase in append order and map
back to an offset without any index. An entry's payload is `flags | key length | key | data`, where
data is AES-GCM ciphertext (with the key id in front) while the stream was encrypted.

With `--limits on` every record is admitted against its shard's buckets (throttle.py) before it is
appended, and every GetRecords/GetShardIterator call before it reads. Metrics are CloudWatch's:
stream-level ones added once per call, shard-level ones once per shard batch and only for the
metrics enhanced monitoring enabled, so the per-record path carries no metric cost.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from typing import Any

from headwater.engine.api import Entry, StoredEntry
from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.kinesis import capacity, errors, iterators, sequence
from headwater.services.kinesis.hashing import HashRouter, key_bytes, parse_explicit_hash_key, partition_hash
from headwater.services.kinesis.monitoring import (
    NS,
    count_incoming,
    count_outgoing,
    count_shard,
    shard_labels,
    shard_limits,
    stream_labels,
)
from headwater.services.kinesis.payload import decode_payload, encode_payload
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Shard, Stream

MAX_GET_BYTES = 10 * 1024 * 1024
MAX_PUT_RECORDS_BYTES = 10 * 1024 * 1024


def _billed(stream: Stream, size: int) -> int:
    """What a record takes from the byte bucket: data plus partition key, but never more than the
    bucket holds, so a record of the largest allowed data size still passes on an idle shard."""
    return min(size, stream.max_record_kib * 1024)


def _write_throttled(core: KinesisCore, stream: Stream, shard: Shard) -> AwsError:
    capacity.on_throttled(core, stream)
    core.metrics.add(NS, "WriteProvisionedThroughputExceeded", stream_labels(stream))
    count_shard(core, stream, shard, "WriteProvisionedThroughputExceeded", 1)
    return errors.throughput_exceeded(shard.shard_id, stream.name, stream.account)


# -- writes ----------------------------------------------------------------------------------------
def _writable(stream: Stream) -> None:
    if stream.status not in ("ACTIVE", "UPDATING"):
        raise (
            errors.stream_not_found(stream.name, stream.account)
            if stream.status == "DELETING"
            else (errors.stream_in_use(stream.name, stream.account, stream.status))
        )


def _route(router: HashRouter[Shard], key: str | None, explicit: str | None, auto: bool) -> Shard:
    if auto or key is None:  # AUTO ignores the key and ExplicitHashKey: an even spread
        return router.route(random.getrandbits(128))
    hashed = parse_explicit_hash_key(explicit) if explicit is not None else partition_hash(key)
    return router.route(hashed)


def _check_size(stream: Stream, data: bytes, key: bytes, path: str = "data") -> None:
    """The record limit counts the data plus the partition key (UTF-8), as AWS bills and checks it;
    the error names the data member (`records.N.member.data` for a PutRecords entry)."""
    limit = stream.max_record_kib * 1024
    if len(data) + len(key) > limit:
        raise errors.validation(
            f"1 validation error detected: Value at '{path}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}"
        )


def _require_keys(stream: Stream, params: dict[str, Any]) -> None:
    """PartitionKey is optional in the model since record distribution strategies: a stream that
    routes by key (USER_PARTITION_KEY, every provisioned one) still requires it, with AWS's
    null-member message."""
    if stream.auto_distributed:
        return
    if "Records" in params:
        missing = [i for i, entry in enumerate(params["Records"], 1) if "PartitionKey" not in entry]
        paths = [f"records.{i}.member.partitionKey" for i in missing]
    else:
        paths = ["partitionKey"] if "PartitionKey" not in params else []
    if paths:
        shown = paths[:10]
        count = len(shown)
        detail = "; ".join(
            f"Value null at '{path}' failed to satisfy constraint: Member must not be null" for path in shown
        )
        raise errors.validation(f"{count} validation error{'s' if count > 1 else ''} detected: {detail}")


async def put_record(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream = core.find(params, ctx)
    _require_keys(stream, params)
    _writable(stream)
    data: bytes = params["Data"]
    partition_key = params.get("PartitionKey")
    key = key_bytes(partition_key) if partition_key is not None else b""
    _check_size(stream, data, key)
    shard = _route(core.router(stream), partition_key, params.get("ExplicitHashKey"), stream.auto_distributed)
    if core.config.limits and not shard_limits(core, stream, shard).admit_write(
        _billed(stream, len(data) + len(key)), core.clock.now()
    ):
        raise _write_throttled(core, stream, shard)
    now_ms = core.clock.now_ms()
    offset, durable = core.log.append(
        shard.partition, [Entry(now_ms, encode_payload(core, stream, key, data))]
    )
    await durable
    core.notify(shard.partition)
    labels = stream_labels(stream)
    add = core.metrics.add
    add(NS, "IncomingRecords", labels, 1)
    add(NS, "IncomingBytes", labels, len(data))
    add(NS, "PutRecord.Success", labels, 1)
    add(NS, "PutRecord.Bytes", labels, len(data))
    count_incoming(core, stream, shard, 1, len(data))
    result: dict[str, Any] = {
        "ShardId": shard.shard_id,
        "SequenceNumber": shard.sequence_number(offset, now_ms),
    }
    if stream.encryption == "KMS":
        result["EncryptionType"] = "KMS"
    return result


async def put_records(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext, *, sequence_numbers: bool = True
) -> dict[str, Any]:
    """PutRecords; without `sequence_numbers` (the stream sink: IoT rules) a stored record's result
    is an empty dict, which saves minting a sequence number nobody reads."""
    stream = core.find(params, ctx)
    _require_keys(stream, params)
    _writable(stream)
    entries: list[dict[str, Any]] = params["Records"]
    encoded_keys = [key_bytes(entry.get("PartitionKey") or "") for entry in entries]
    total = 0
    for number, (entry, encoded_key) in enumerate(zip(entries, encoded_keys, strict=True), 1):
        _check_size(stream, entry["Data"], encoded_key, f"records.{number}.member.data")
        total += len(entry["Data"]) + len(encoded_key)
    if total > MAX_PUT_RECORDS_BYTES:
        raise errors.invalid_argument(
            f"Records size exceeds {MAX_PUT_RECORDS_BYTES // (1024 * 1024)} MB limit for stream {stream.name}."
        )
    now = core.clock.now()
    now_ms = int(now * 1000)
    # every entry's is replaced, but for the sink's stored records: one shared empty dict (not written to)
    results: list[dict[str, Any]] = [_STORED] * len(entries)
    batches: dict[str, _Batch] = {}
    failed = 0
    limits_on = core.config.limits
    router = core.router(stream)
    auto = stream.auto_distributed
    for index, entry in enumerate(entries):
        shard = _route(router, entry.get("PartitionKey"), entry.get("ExplicitHashKey"), auto)
        encoded_key = encoded_keys[index]
        data = entry["Data"]
        if limits_on and not shard_limits(core, stream, shard).admit_write(
            _billed(stream, len(data) + len(encoded_key)), now
        ):
            failed += 1
            capacity.on_throttled(core, stream)
            results[index] = {
                "ErrorCode": "ProvisionedThroughputExceededException",
                "ErrorMessage": f"Rate exceeded for shard {shard.shard_id} in stream {stream.name} "
                f"under account {stream.account}.",
            }
            count_shard(core, stream, shard, "WriteProvisionedThroughputExceeded", 1)
            continue
        batch = batches.get(shard.partition)
        if batch is None:
            batch = batches[shard.partition] = _Batch(shard)
        batch.indexes.append(index)
        batch.entries.append(Entry(now_ms, encode_payload(core, stream, encoded_key, data)))
        batch.size += len(data)
    waits = []
    for batch in batches.values():
        shard = batch.shard
        first, durable = core.log.append(shard.partition, batch.entries)
        for position, index in enumerate(batch.indexes if sequence_numbers else ()):
            results[index] = {
                "SequenceNumber": shard.sequence_number(first + position, now_ms),
                "ShardId": shard.shard_id,
            }
        waits.append(durable)
    if len(waits) == 1:
        await waits[0]
    elif waits:
        await asyncio.gather(*waits)
    for batch in batches.values():
        core.notify(batch.shard.partition)
        count_incoming(core, stream, batch.shard, len(batch.indexes), batch.size)
    _count_put_records(core, stream, len(entries), failed, sum(b.size for b in batches.values()))
    response: dict[str, Any] = {"FailedRecordCount": failed, "Records": results}
    if stream.encryption == "KMS":
        response["EncryptionType"] = "KMS"
    return response


_STORED: dict[str, Any] = {}


class _Batch:
    """The records of one PutRecords call bound for one shard."""

    __slots__ = ("entries", "indexes", "shard", "size")

    def __init__(self, shard: Shard) -> None:
        self.shard = shard
        self.indexes: list[int] = []
        self.entries: list[Entry] = []
        self.size = 0  # data bytes


def _count_put_records(core: KinesisCore, stream: Stream, total: int, throttled: int, size: int) -> None:
    """Stream-level metrics of one PutRecords call: a handful of dict adds, whatever its size."""
    labels = stream_labels(stream)
    add = core.metrics.add
    succeeded = total - throttled
    add(NS, "IncomingRecords", labels, succeeded)
    add(NS, "IncomingBytes", labels, size)
    add(NS, "PutRecords.TotalRecords", labels, total)
    add(NS, "PutRecords.SuccessfulRecords", labels, succeeded)
    add(NS, "PutRecords.Bytes", labels, size)
    if succeeded:
        add(NS, "PutRecords.Success", labels, 1)  # calls in which at least one record succeeded
    if throttled:
        add(NS, "PutRecords.ThrottledRecords", labels, throttled)
        add(NS, "WriteProvisionedThroughputExceeded", labels, throttled)


# -- iterators -------------------------------------------------------------------------------------
def _shard_of(core: KinesisCore, stream: Stream, shard_id: str) -> Shard:
    shard = stream.shard(shard_id)
    if shard is None:
        raise errors.shard_not_found(shard_id, stream.name, stream.account)
    return shard


def offset_of_sequence(
    shard: Shard, stream: Stream, number: str, field: str = "StartingSequenceNumber"
) -> int:
    try:
        parts = sequence.parse(number)
    except ValueError:
        raise errors.invalid_argument(
            f"Invalid {field}. Sequence number {number} does not exist in shard {shard.shard_id} "
            f"in stream {stream.name} under account {stream.account}."
        ) from None
    if parts.shard_index != shard.index or parts.shard_created_s != shard.created_s:
        raise errors.invalid_argument(
            f"Invalid {field}. Sequence number {number} did not come from shard {shard.shard_id} "
            f"in stream {stream.name} under account {stream.account}."
        )
    return parts.counter - 1  # see Shard.sequence_number


def start_offset(
    core: KinesisCore, stream: Stream, shard: Shard, kind: str, number: str | None, timestamp: float | None
) -> int:
    """The log offset an iterator of `kind` starts at."""
    log = core.log
    if kind == "TRIM_HORIZON":
        return log.first_offset(shard.partition)
    if kind == "LATEST":
        return shard.end_offset if shard.end_offset is not None else log.next_offset(shard.partition)
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if not number:
            raise errors.invalid_argument(f"The StartingSequenceNumber is required for {kind} iterator type.")
        offset = offset_of_sequence(shard, stream, number)
        return offset + 1 if kind == "AFTER_SEQUENCE_NUMBER" else max(offset, 0)
    if kind == "AT_TIMESTAMP":
        if timestamp is None:
            raise errors.invalid_argument(
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP."
            )
        if timestamp > core.clock.now():
            raise errors.invalid_argument(
                f"The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
                f"timestampInMillis: {int(timestamp * 1000)}, currentTimestampInMillis: {core.clock.now_ms()}"
            )
        return log.offset_at_time(shard.partition, int(timestamp * 1000))
    raise errors.invalid_argument(f"Invalid ShardIteratorType: {kind}")


async def get_shard_iterator(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params, ctx)
    shard = _shard_of(core, stream, params["ShardId"])
    kind = params["ShardIteratorType"]
    number = params.get("StartingSequenceNumber")
    timestamp = params.get("Timestamp")
    if kind in ("LATEST", "TRIM_HORIZON") and number is not None:
        raise errors.invalid_argument(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber "
            "or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
            f"Request specified {kind} and also a StartingSequenceNumber."
        )
    if kind not in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER") and number is not None:
        raise errors.invalid_argument(
            f"Request specified StartingSequenceNumber {number} for iterator type {kind}, "
            "but it is only valid for AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER."
        )
    if kind != "AT_TIMESTAMP" and timestamp is not None:
        raise errors.invalid_argument(
            f"Request specified Timestamp for iterator type {kind}, but it is only valid for AT_TIMESTAMP."
        )
    # 5 calls per second per shard; over it AWS answers with the data plane's throttling error.
    if core.config.limits and not core.control_limits.allow(
        "GetShardIterator", shard.partition, core.clock.now()
    ):
        raise errors.throughput_exceeded(shard.shard_id, stream.name, stream.account)
    offset = start_offset(core, stream, shard, kind, number, timestamp)
    return {"ShardIterator": mint_iterator(core, stream, shard, offset)}


def mint_iterator(core: KinesisCore, stream: Stream, shard: Shard, offset: int) -> str:
    return iterators.mint(
        core.iterator_key,
        account=stream.account,
        region=stream.region,
        stream_name=stream.name,
        shard_id=shard.shard_id,
        position=offset,
        issued_ms=core.clock.now_ms(),
    )


# -- reads -----------------------------------------------------------------------------------------
def child_shards(stream: Stream, shard: Shard) -> list[dict[str, Any]]:
    children = []
    for child in stream.shards:
        if shard.shard_id in (child.parent, child.adjacent_parent):
            parents = [p for p in (child.parent, child.adjacent_parent) if p]
            children.append(
                {
                    "ShardId": child.shard_id,
                    "ParentShards": parents,
                    "HashKeyRange": {
                        "StartingHashKey": str(child.start_hash),
                        "EndingHashKey": str(child.end_hash),
                    },
                }
            )
    return children


async def read_records(
    core: KinesisCore, stream: Stream, shard: Shard, offset: int, limit: int
) -> tuple[list[StoredEntry], int]:
    """Committed entries from `offset` (moved past trimmed data) and the offset after them."""
    offset = max(offset, core.log.first_offset(shard.partition))
    entries = await core.log.read_async(shard.partition, offset, limit, MAX_GET_BYTES)
    if shard.end_offset is not None and entries and entries[-1].offset >= shard.end_offset:
        entries = [e for e in entries if e.offset < shard.end_offset]
    next_offset = entries[-1].offset + 1 if entries else offset
    return entries, next_offset


def render_records(
    core: KinesisCore, stream: Stream, shard: Shard, entries: Sequence[StoredEntry]
) -> list[dict[str, Any]]:
    records = []
    for entry in entries:
        key, data, encrypted = decode_payload(core, stream, entry.payload)
        record: dict[str, Any] = {
            "SequenceNumber": shard.sequence_number(entry.offset, entry.timestamp_ms),
            "ApproximateArrivalTimestamp": entry.timestamp_ms / 1000,
            "Data": data,
        }
        if key:  # a record written without a key (AUTO distribution) has none to return
            record["PartitionKey"] = key
        if encrypted:
            record["EncryptionType"] = "KMS"
        records.append(record)
    return records


def millis_behind(core: KinesisCore, shard: Shard, next_offset: int, entries: Sequence[StoredEntry]) -> int:
    if next_offset >= core.log.committed_offset(shard.partition):
        return 0
    if entries:
        return max(0, core.clock.now_ms() - entries[-1].timestamp_ms)
    ahead = core.log.read(shard.partition, next_offset, 1, 1)
    return max(0, core.clock.now_ms() - ahead[0].timestamp_ms) if ahead else 0


# Renders the entries a GetRecords call returns: (the "Records" value, bytes of data in them).
Renderer = Callable[[KinesisCore, Stream, Shard, Sequence[StoredEntry]], tuple[Any, int]]


def render_dicts(
    core: KinesisCore, stream: Stream, shard: Shard, entries: Sequence[StoredEntry]
) -> tuple[Any, int]:
    records = render_records(core, stream, shard, entries)
    return records, sum(len(r["Data"]) for r in records)


async def get_records(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext, render: Renderer = render_dicts
) -> dict[str, Any]:
    position = iterators.open_iterator(core.iterator_key, params["ShardIterator"], core.clock.now_ms())
    stream = core.streams.get((position.account, position.region, position.stream_name))
    if stream is None:
        raise errors.stream_not_found(position.stream_name, position.account)
    shard = _shard_of(core, stream, position.shard_id)
    now = core.clock.now()
    labels = stream_labels(stream)
    limits = shard_limits(core, stream, shard) if core.config.limits else None
    if limits is not None and not limits.admit_read(now):
        core.metrics.add(NS, "ReadProvisionedThroughputExceeded", labels)
        count_shard(core, stream, shard, "ReadProvisionedThroughputExceeded", 1)
        raise errors.read_throughput_exceeded(shard.shard_id, stream.name, stream.account)
    entries, next_offset = await read_records(
        core, stream, shard, position.position, params.get("Limit", 10000)
    )
    records, size = render(core, stream, shard, entries)
    if limits is not None:
        limits.charge_read(size, now)
    # CloudWatch's iterator age: now minus the arrival of the last record returned (0 for none).
    age = max(0, int(now * 1000) - entries[-1].timestamp_ms) if entries else 0
    add = core.metrics.add
    add(NS, "GetRecords.Records", labels, len(entries))
    add(NS, "GetRecords.Bytes", labels, size)
    add(NS, "GetRecords.Success", labels)
    core.metrics.set(NS, "GetRecords.IteratorAgeMilliseconds", labels, age)
    if stream.monitoring:
        count_outgoing(core, stream, shard, len(entries), size)
        if "IteratorAgeMilliseconds" in stream.monitoring:
            core.metrics.set(NS, "IteratorAgeMilliseconds", shard_labels(stream, shard), age)
    behind = millis_behind(core, shard, next_offset, entries)
    result: dict[str, Any] = {"Records": records, "MillisBehindLatest": behind}
    if shard.end_offset is not None and next_offset >= shard.end_offset:
        result["ChildShards"] = child_shards(stream, shard)
    else:
        result["NextShardIterator"] = mint_iterator(core, stream, shard, next_offset)
    return result
