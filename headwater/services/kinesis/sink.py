"""Kinesis as a `StreamSink`: PutRecords on behalf of another service (IoT rule actions), with its
checks, limits and errors, without the wire."""

from __future__ import annotations

from collections.abc import Sequence

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.kinesis.records import put_records
from headwater.services.kinesis.service import KinesisCore
from headwater.services.ports import DeliveryError


class KinesisStreamSink:
    def __init__(self, core: KinesisCore) -> None:
        self._core = core

    async def put_records(
        self, account: str, region: str, stream: str, records: Sequence[tuple[bytes, str]]
    ) -> list[DeliveryError | None]:
        params = {"StreamName": stream, "Records": [{"Data": d, "PartitionKey": k} for d, k in records]}
        try:
            answer = await put_records(
                self._core, params, RequestContext(account, region, "stream-sink"), sequence_numbers=False
            )
        except AwsError as error:
            raise DeliveryError(error.code, error.message) from None
        return [
            DeliveryError(result["ErrorCode"], result.get("ErrorMessage", ""))
            if "ErrorCode" in result
            else None
            for result in answer["Records"]
        ]
