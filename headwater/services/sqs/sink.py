"""SQS as a `QueueSink`: how other services (S3 notifications, later Lambda destinations and IoT
rules) put messages into queues, by ARN, with the checks a SendMessage gets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.ports import DeliveryError
from headwater.services.sqs.send import send_many_to, send_to
from headwater.services.sqs.service import SqsCore

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


class SqsQueueSink:
    def __init__(self, core: SqsCore) -> None:
        self._core = core

    def exists(self, arn: str) -> bool:
        return self._core.find_arn(arn) is not None

    async def deliver(
        self,
        arn: str,
        body: str,
        *,
        attributes: Mapping[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> str:
        queue = self._core.find_arn(arn)
        if queue is None:
            raise DeliveryError(NON_EXISTENT, f"The specified queue {arn} does not exist.")
        entry: dict[str, Any] = {"MessageBody": body}
        if attributes:
            entry["MessageAttributes"] = dict(attributes)
        if group_id is not None:
            entry["MessageGroupId"] = group_id
        if deduplication_id is not None:
            entry["MessageDeduplicationId"] = deduplication_id
        try:
            result = await send_to(self._core, queue, entry, queue.definition.account)
        except AwsError as error:
            raise DeliveryError(error.code, error.message) from None
        return str(result["MessageId"])

    async def deliver_many(self, arn: str, bodies: Sequence[str]) -> list[DeliveryError | None]:
        queue = self._core.find_arn(arn)
        if queue is None:
            raise DeliveryError(NON_EXISTENT, f"The specified queue {arn} does not exist.")
        try:
            outcomes = await send_many_to(
                self._core, queue, [{"MessageBody": body} for body in bodies], queue.definition.account
            )
        except AwsError as error:
            raise DeliveryError(error.code, error.message) from None
        return [None if error is None else DeliveryError(error.code, error.message) for error in outcomes]
