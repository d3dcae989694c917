"""The data plane: PutRecord(s), GetShardIterator and GetRecords.

A record is stored as one engine log entry in its shard's partition; the entry's offset is the
per-shard counter inside the sequence number, so sequence numbers increase in append order and map
back to an offset without any index. An entry's payload is `flags | key length | key | data`, where
data is AES-GCM ciphertext (with the key id in front) while the stream was encrypted.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Sequence
from typing import Any

from headwater.engine.api import Entry, StoredEntry
from headwater.services.context import RequestContext
from headwater.services.kinesis import errors, iterators, sequence
from headwater.services.kinesis.hashing import parse_explicit_hash_key, partition_hash
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Shard, Stream

MAX_GET_BYTES = 10 * 1024 * 1024
MAX_PUT_RECORDS_BYTES = 10 * 1024 * 1024
NS = "Kinesis"
_KEY_LEN = struct.Struct(">H")
PLAIN, ENCRYPTED = 0, 1


# -- payload codec ---------------------------------------------------------------------------------
def encode_payload(core: KinesisCore, stream: Stream, key: bytes, data: bytes) -> bytes:
    if stream.encryption == "KMS" and stream.key_id:
        sealed = core.keystore.encrypt_for(stream.account, stream.region, stream.key_id, data, key)
        return bytes((ENCRYPTED,)) + _KEY_LEN.pack(len(key)) + key + sealed
    return bytes((PLAIN,)) + _KEY_LEN.pack(len(key)) + key + data


def decode_payload(core: KinesisCore, stream: Stream, payload: bytes) -> tuple[str, bytes, bool]:
    (key_len,) = _KEY_LEN.unpack_from(payload, 1)
    key = payload[3 : 3 + key_len]
    data = payload[3 + key_len :]
    if payload[0] == ENCRYPTED:
        return key.decode(), core.keystore.decrypt_for(stream.account, stream.region, data, key), True
    return key.decode(), data, False


# -- writes ----------------------------------------------------------------------------------------
def _writable(stream: Stream) -> None:
    if stream.status not in ("ACTIVE", "UPDATING"):
        raise (
            errors.stream_not_found(stream.name, stream.account)
            if stream.status == "DELETING"
            else (errors.stream_in_use(stream.name, stream.account, stream.status))
        )


def _route(core: KinesisCore, stream: Stream, key: str, explicit: str | None) -> Shard:
    hashed = parse_explicit_hash_key(explicit) if explicit is not None else partition_hash(key)
    return core.router(stream).route(hashed)


def _check_size(stream: Stream, data: bytes, key: bytes) -> None:
    limit = stream.max_record_kib * 1024
    if len(data) > limit:
        raise errors.validation(
            "1 validation error detected: Value at 'data' failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}"
        )


def _require_keys(params: dict[str, Any]) -> None:
    """PartitionKey is optional in the newest model (record distribution strategies); the 39-operation
    API this implements still requires it, with AWS's null-member message."""
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
    _require_keys(params)
    stream = core.find(params, ctx)
    _writable(stream)
    data: bytes = params["Data"]
    key = params["PartitionKey"].encode()
    _check_size(stream, data, key)
    shard = _route(core, stream, params["PartitionKey"], params.get("ExplicitHashKey"))
    if core.config.limits and not core.limits_for(shard.partition, stream.max_record_kib * 1024).admit_write(
        len(data) + len(key), core.clock.now()
    ):
        core.metrics.add(NS, "WriteProvisionedThroughputExceeded", (("StreamName", stream.name),))
        raise errors.throughput_exceeded(shard.shard_id, stream.name, stream.account)
    now_ms = core.clock.now_ms()
    offset, durable = core.log.append(
        shard.partition, [Entry(now_ms, encode_payload(core, stream, key, data))]
    )
    await durable
    core.notify(shard.partition)
    _count_incoming(core, stream, shard, 1, len(data))
    result: dict[str, Any] = {
        "ShardId": shard.shard_id,
        "SequenceNumber": shard.sequence_number(offset, now_ms),
    }
    if stream.encryption == "KMS":
        result["EncryptionType"] = "KMS"
    return result


async def put_records(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    _require_keys(params)
    stream = core.find(params, ctx)
    _writable(stream)
    entries: list[dict[str, Any]] = params["Records"]
    total = 0
    for entry in entries:
        key_bytes = entry["PartitionKey"].encode()
        _check_size(stream, entry["Data"], key_bytes)
        total += len(entry["Data"]) + len(key_bytes)
    if total > MAX_PUT_RECORDS_BYTES:
        raise errors.invalid_argument(
            f"Records size exceeds {MAX_PUT_RECORDS_BYTES // (1024 * 1024)} MB limit for stream {stream.name}."
        )
    now = core.clock.now()
    now_ms = int(now * 1000)
    results: list[dict[str, Any]] = [{} for _ in entries]
    batches: dict[str, tuple[Shard, list[int], list[Entry]]] = {}
    failed = 0
    limits_on = core.config.limits
    router = core.router(stream)
    for index, entry in enumerate(entries):
        key = entry["PartitionKey"]
        explicit = entry.get("ExplicitHashKey")
        shard = router.route(
            parse_explicit_hash_key(explicit) if explicit is not None else partition_hash(key)
        )
        key_bytes = key.encode()
        if limits_on and not core.limits_for(shard.partition, stream.max_record_kib * 1024).admit_write(
            len(entry["Data"]) + len(key_bytes), now
        ):
            failed += 1
            results[index] = {
                "ErrorCode": "ProvisionedThroughputExceededException",
                "ErrorMessage": f"Rate exceeded for shard {shard.shard_id} in stream {stream.name} "
                f"under account {stream.account}.",
            }
            continue
        batch = batches.get(shard.partition)
        if batch is None:
            batch = batches[shard.partition] = (shard, [], [])
        batch[1].append(index)
        batch[2].append(Entry(now_ms, encode_payload(core, stream, key_bytes, entry["Data"])))
    waits = []
    for shard, indexes, batch_entries in batches.values():
        first, durable = core.log.append(shard.partition, batch_entries)
        for position, index in enumerate(indexes):
            results[index] = {
                "SequenceNumber": shard.sequence_number(first + position, now_ms),
                "ShardId": shard.shard_id,
            }
        waits.append(durable)
        _count_incoming(core, stream, shard, len(indexes), sum(len(e.payload) for e in batch_entries))
    if len(waits) == 1:
        await waits[0]
    elif waits:
        await asyncio.gather(*waits)
    for shard, _, _ in batches.values():
        core.notify(shard.partition)
    if failed:
        core.metrics.add(NS, "WriteProvisionedThroughputExceeded", (("StreamName", stream.name),), failed)
    response: dict[str, Any] = {"FailedRecordCount": failed, "Records": results}
    if stream.encryption == "KMS":
        response["EncryptionType"] = "KMS"
    return response


def _count_incoming(core: KinesisCore, stream: Stream, shard: Shard, records: int, size: int) -> None:
    labels = (("StreamName", stream.name),)
    core.metrics.add(NS, "IncomingRecords", labels, records)
    core.metrics.add(NS, "IncomingBytes", labels, size)
    if stream.monitoring:
        shard_labels = (("StreamName", stream.name), ("ShardId", shard.shard_id))
        core.metrics.add(NS, "IncomingRecords", shard_labels, records)
        core.metrics.add(NS, "IncomingBytes", shard_labels, size)


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
    if kind not in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER") and number is not None:
        raise errors.invalid_argument(
            f"Request specified StartingSequenceNumber {number} for iterator type {kind}, "
            "but it is only valid for AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER."
        )
    if kind != "AT_TIMESTAMP" and timestamp is not None:
        raise errors.invalid_argument(
            f"Request specified Timestamp for iterator type {kind}, but it is only valid for AT_TIMESTAMP."
        )
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


def read_records(
    core: KinesisCore, stream: Stream, shard: Shard, offset: int, limit: int
) -> tuple[list[StoredEntry], int]:
    """Committed entries from `offset` (moved past trimmed data) and the offset after them."""
    offset = max(offset, core.log.first_offset(shard.partition))
    entries = core.log.read(shard.partition, offset, limit, MAX_GET_BYTES)
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
            "PartitionKey": key,
        }
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


async def get_records(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    position = iterators.open_iterator(core.iterator_key, params["ShardIterator"], core.clock.now_ms())
    stream = core.streams.get((position.account, position.region, position.stream_name))
    if stream is None:
        raise errors.stream_not_found(position.stream_name, position.account)
    shard = _shard_of(core, stream, position.shard_id)
    now = core.clock.now()
    limits = core.limits_for(shard.partition) if core.config.limits else None
    if limits is not None and not limits.admit_read(now):
        core.metrics.add(NS, "ReadProvisionedThroughputExceeded", (("StreamName", stream.name),))
        raise errors.read_throughput_exceeded(shard.shard_id, stream.name, stream.account)
    entries, next_offset = read_records(core, stream, shard, position.position, params.get("Limit", 10000))
    records = render_records(core, stream, shard, entries)
    size = sum(len(r["Data"]) for r in records)
    if limits is not None:
        limits.charge_read(size, now)
    labels = (("StreamName", stream.name),)
    core.metrics.add(NS, "GetRecords.Records", labels, len(records))
    core.metrics.add(NS, "GetRecords.Bytes", labels, size)
    core.metrics.add(NS, "GetRecords.Success", labels)
    behind = millis_behind(core, shard, next_offset, entries)
    core.metrics.set(NS, "GetRecords.IteratorAgeMilliseconds", labels, behind)
    result: dict[str, Any] = {"Records": records, "MillisBehindLatest": behind}
    if shard.end_offset is not None and next_offset >= shard.end_offset:
        result["ChildShards"] = child_shards(stream, shard)
    else:
        result["NextShardIterator"] = mint_iterator(core, stream, shard, next_offset)
    return result
