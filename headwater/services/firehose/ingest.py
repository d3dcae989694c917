"""PutRecord and PutRecordBatch: one durable append to the stream's raw log per call.

The acknowledgement waits for the append to be durable (with `--durability durable`, on disk), so
an acknowledged record survives kill -9; then the delivery worker is woken. Batches are limited as
AWS limits them: 500 records (the model), 1,000 KiB per record (the model), 4 MiB per call."""

from __future__ import annotations

from typing import Any

from headwater.engine.api import Entry
from headwater.services.context import RequestContext
from headwater.services.firehose import batches, errors, sealing
from headwater.services.firehose import metrics as fh_metrics
from headwater.services.firehose.core import FirehoseCore
from headwater.services.firehose.state import DeliveryStream
from headwater.services.ports import KeyRingError

MAX_BATCH_BYTES = 4 * 1024 * 1024


def _writable(core: FirehoseCore, name: str, ctx: RequestContext) -> DeliveryStream:
    stream = core.find(name, ctx)
    if stream.stream_type != "DirectPut":
        raise errors.invalid(f"This operation is not permitted on {stream.stream_type} delivery stream type.")
    if stream.status != "ACTIVE":
        raise errors.in_use(stream.name, stream.status)
    return stream


async def _append(core: FirehoseCore, stream: DeliveryStream, datas: list[bytes]) -> str:
    """Appends one entry (sealed while the stream's encryption is on); returns the id base of its
    records once it is durable."""
    payload = batches.encode(datas)
    if stream.encryption is not None:
        try:
            payload = sealing.seal(core.keys, stream, payload)
        except KeyRingError as error:
            raise errors.kms("KMS.InvalidStateException", str(error)) from None
    offset, durable = core.log.append(stream.partition, [Entry(core.clock.now_ms(), payload)])
    await durable
    core.wake(stream)
    return batches.id_base(stream.partition, offset)


async def append_batch(
    core: FirehoseCore, name: str, datas: list[bytes], ctx: RequestContext
) -> tuple[str, bool]:
    """PutRecordBatch's work on the records' bytes: (the RecordIds' base, Encrypted); the fast
    codec calls it directly and writes the answer from the base."""
    stream = _writable(core, name, ctx)
    size = sum(map(len, datas))
    if size > MAX_BATCH_BYTES:
        raise errors.invalid(
            f"Records size exceeds {MAX_BATCH_BYTES} bytes limit. Size of the records: {size} bytes."
        )
    base = await _append(core, stream, datas)
    fh_metrics.incoming(core.metrics, stream.name, "PutRecordBatch", len(datas), size)
    return base, _encrypted(stream)


async def put_record_batch(core: FirehoseCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    datas = [record["Data"] for record in params["Records"]]
    base, encrypted = await append_batch(core, params["DeliveryStreamName"], datas, ctx)
    return {
        "FailedPutCount": 0,
        "Encrypted": encrypted,
        "RequestResponses": [{"RecordId": i} for i in batches.record_ids(base, len(datas))],
    }


async def put_record(core: FirehoseCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream = _writable(core, params["DeliveryStreamName"], ctx)
    data = params["Record"]["Data"]
    base = await _append(core, stream, [data])
    fh_metrics.incoming(core.metrics, stream.name, "PutRecord", 1, len(data))
    return {"RecordId": batches.record_id(base, 0), "Encrypted": _encrypted(stream)}


def _encrypted(stream: DeliveryStream) -> bool:
    """Whether this call's records were sealed at rest (encryption ENABLING or ENABLED)."""
    return sealing.key_ref(stream.encryption) is not None
