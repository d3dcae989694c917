"""The queue operations of the Kinesis model, bound to the queue core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kinesis.queues import control, delivery, tags
from headwater.services.kinesis.queues.core import QueueCore

Handler = Callable[[QueueCore, dict[str, Any], RequestContext], Awaitable[Any]]

QUEUE_OPERATIONS: dict[str, Handler] = {
    "AcknowledgeDeadLetterQueueRecords": delivery.acknowledge_dead_letter,
    "AcknowledgeQueueRecords": delivery.acknowledge,
    "CreateQueue": control.create_queue,
    "DeleteQueue": control.delete_queue,
    "DescribeQueue": control.describe_queue,
    "ListQueues": control.list_queues,
    "ReceiveDeadLetterQueueRecords": delivery.receive_dead_letter_records,
    "ReceiveQueueRecords": delivery.receive_records,
    "RestoreDeadLetterQueueRecords": delivery.restore_dead_letter,
    "UpdateDeadLetterQueueRecordsVisibility": delivery.update_dead_letter_visibility,
    "UpdateQueue": control.update_queue,
    "UpdateQueueRecordsVisibility": delivery.update_visibility,
}

# Operations that take a stream's, a consumer's or a queue's ARN: queue ARNs come here.
BY_RESOURCE_ARN: dict[str, Handler] = {
    "ListTagsForResource": tags.list_queue_tags,
    "TagResource": tags.tag_queue,
    "UntagResource": tags.untag_queue,
}
