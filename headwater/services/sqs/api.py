"""Amazon SQS: one entry per operation of the botocore model, nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.operations import ServiceApi
from headwater.services.sqs import handles, queues, receive, redrive, send
from headwater.services.sqs.move_tasks import MoveTasks
from headwater.services.sqs.service import SqsCore

Handler = Callable[[SqsCore, dict[str, Any], RequestContext], Awaitable[Any]]


OPERATIONS: dict[str, Handler] = {
    "AddPermission": queues.add_permission,
    "ChangeMessageVisibility": handles.change_message_visibility,
    "ChangeMessageVisibilityBatch": handles.change_message_visibility_batch,
    "CreateQueue": queues.create_queue,
    "DeleteMessage": handles.delete_message,
    "DeleteMessageBatch": handles.delete_message_batch,
    "DeleteQueue": queues.delete_queue,
    "GetQueueAttributes": queues.get_queue_attributes,
    "GetQueueUrl": queues.get_queue_url,
    "ListDeadLetterSourceQueues": redrive.list_dead_letter_source_queues,
    "ListQueueTags": queues.list_queue_tags,
    "ListQueues": queues.list_queues,
    "PurgeQueue": queues.purge_queue,
    "ReceiveMessage": receive.receive_message,
    "RemovePermission": queues.remove_permission,
    "SendMessage": send.send_message,
    "SendMessageBatch": send.send_message_batch,
    "SetQueueAttributes": queues.set_queue_attributes,
    "TagQueue": queues.tag_queue,
    "UntagQueue": queues.untag_queue,
}


class SqsApi(ServiceApi):
    """The operations on the core, and the message move tasks' on their runner (which the service
    entry starts after the core; a fresh runner has no tasks)."""

    def __init__(self, core: SqsCore, tasks: MoveTasks | None = None) -> None:
        super().__init__(core, OPERATIONS)
        self.tasks = tasks = tasks if tasks is not None else MoveTasks(core)
        self._bound["StartMessageMoveTask"] = tasks.begin
        self._bound["ListMessageMoveTasks"] = tasks.list
        self._bound["CancelMessageMoveTask"] = tasks.cancel
