"""PutRecord and PutRecordBatch: one durable append to the stream's raw log per call.

The acknowledgement waits for the append to be durable (with `--durability durable`, on disk), so
an acknowledged record survives kill -9; then the delivery worker is woken. Batches are limited as
AWS limits them: 500 records (the model), 1,000 KiB per record (the model), 4 MiB per call."""

from __future__ import annotations

from typing import Any

from headwater.engine.api import Entry
from headwater.services.context import RequestContext
from headwater.services.firehose import batches, errors
from headwater.services.firehose import metrics as fh_metrics
from headwater.services.firehose.core import FirehoseCore
from headwater.services.firehose.state import DeliveryStream

MAX_BATCH_BYTES = 4 * 1024 * 1024


def _writable(core: FirehoseCore, name: str, ctx: RequestContext) -> DeliveryStream:
    stream = core.find(name, ctx)
    if stream.stream_type != "DirectPut":
        raise errors.invalid(f"This operation is not permitted on {stream.stream_type} delivery stream type.")
    if stream.status != "ACTIVE":
        raise errors.in_use(stream.name, stream.status)
    return stream


async def _append(core: FirehoseCore, stream: DeliveryStream, datas: list[bytes]) -> str:
    """Appends one entry; returns the id base of its records once it is durable."""
    offset, durable = core.log.append(stream.partition, [Entry(core.clock.now_ms(), batches.encode(datas))])
    await durable
    core.wake(stream)
    return batches.id_base(stream.partition, offset)


async def put_record_batch(core: FirehoseCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream = _writable(core, params["DeliveryStreamName"], ctx)
    datas = [record["Data"] for record in params["Records"]]
    size = sum(map(len, datas))
    if size > MAX_BATCH_BYTES:
        raise errors.invalid(
            f"Records size exceeds {MAX_BATCH_BYTES} bytes limit. Size of the records: {size} bytes."
        )
    base = await _append(core, stream, datas)
    fh_metrics.incoming(core.metrics, stream.name, "PutRecordBatch", len(datas), size)
    return {
        "FailedPutCount": 0,
        "Encrypted": _encrypted(stream),
        "RequestResponses": [{"RecordId": i} for i in batches.record_ids(base, len(datas))],
    }


async def put_record(core: FirehoseCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream = _writable(core, params["DeliveryStreamName"], ctx)
    data = params["Record"]["Data"]
    base = await _append(core, stream, [data])
    fh_metrics.incoming(core.metrics, stream.name, "PutRecord", 1, len(data))
    return {"RecordId": batches.record_id(base, 0), "Encrypted": _encrypted(stream)}


def _encrypted(stream: DeliveryStream) -> bool:
    return bool(stream.encryption and stream.encryption.get("Status") == "ENABLED")
