"""Firehose as a `DeliveryStreamSink`: PutRecordBatch on behalf of another service (IoT rule
actions), with its checks and errors, without the wire."""

from __future__ import annotations

from collections.abc import Sequence

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.firehose.core import FirehoseCore
from headwater.services.firehose.ingest import put_record_batch
from headwater.services.ports import DeliveryError


class FirehoseRecordSink:
    def __init__(self, core: FirehoseCore) -> None:
        self._core = core

    async def put_record_batch(
        self, account: str, region: str, stream: str, records: Sequence[bytes]
    ) -> None:
        params = {"DeliveryStreamName": stream, "Records": [{"Data": data} for data in records]}
        try:
            await put_record_batch(self._core, params, RequestContext(account, region, "record-sink"))
        except AwsError as error:
            raise DeliveryError(error.code, error.message) from None
