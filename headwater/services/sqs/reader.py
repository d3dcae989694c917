"""SQS as a `QueueReader`: how event-source mappings (Lambda) receive, delete and return messages
by queue ARN, through the same operations (and checks) a client's calls get."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.ports import QueueMessage, SourceReadError
from headwater.services.sqs.handles import change_message_visibility, delete_message_batch
from headwater.services.sqs.queue import Queue
from headwater.services.sqs.receive import receive_message
from headwater.services.sqs.service import SqsCore
from headwater.services.sqs.sink import NON_EXISTENT

BATCH = 10


class SqsQueueReader:
    def __init__(self, core: SqsCore) -> None:
        self._core = core

    def _queue(self, arn: str) -> tuple[Queue, dict[str, Any], RequestContext]:
        queue = self._core.find_arn(arn)
        if queue is None:
            raise SourceReadError(NON_EXISTENT, f"The specified queue {arn} does not exist.")
        d = queue.definition
        return (
            queue,
            {"QueueUrl": f"{d.account}/{d.name}"},
            RequestContext(d.account, d.region, "queue-reader"),
        )

    def exists(self, arn: str) -> bool:
        return self._core.find_arn(arn) is not None

    def is_fifo(self, arn: str) -> bool:
        queue = self._core.find_arn(arn)
        return queue is not None and queue.fifo

    async def receive(
        self, arn: str, count: int, wait_seconds: int, visibility_timeout: int | None = None
    ) -> list[QueueMessage]:
        _, params, ctx = self._queue(arn)
        params.update(
            MaxNumberOfMessages=max(1, min(BATCH, count)),
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        if visibility_timeout is not None:
            params["VisibilityTimeout"] = visibility_timeout
        try:
            answer = await receive_message(self._core, params, ctx)
        except AwsError as error:
            raise SourceReadError(error.code, error.message) from None
        return [
            QueueMessage(
                message_id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m["Body"],
                attributes=m.get("Attributes") or {},
                message_attributes=m.get("MessageAttributes") or {},
                md5_of_body=m["MD5OfBody"],
                md5_of_message_attributes=m.get("MD5OfMessageAttributes"),
            )
            for m in answer.get("Messages", [])
        ]

    async def delete(self, arn: str, receipt_handles: Sequence[str]) -> None:
        _, base, ctx = self._queue(arn)
        for start in range(0, len(receipt_handles), BATCH):
            chunk = receipt_handles[start : start + BATCH]
            entries = [{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(chunk)]
            try:
                await delete_message_batch(self._core, {**base, "Entries": entries}, ctx)
            except AwsError as error:
                raise SourceReadError(error.code, error.message) from None

    async def change_visibility(self, arn: str, receipt_handle: str, seconds: int) -> None:
        _, params, ctx = self._queue(arn)
        params.update(ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)
        try:
            await change_message_visibility(self._core, params, ctx)
        except AwsError as error:
            raise SourceReadError(error.code, error.message) from None
