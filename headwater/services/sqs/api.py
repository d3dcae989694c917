"""Amazon SQS: one entry per operation of the botocore model, nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.operations import ServiceApi
from headwater.services.sqs import handles, queues, receive, redrive, send
from headwater.services.sqs.service import SqsCore

Handler = Callable[[SqsCore, dict[str, Any], RequestContext], Awaitable[Any]]


async def _start_move(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> Any:
    return await core.move_tasks.begin(params, ctx)


async def _list_moves(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> Any:
    return await core.move_tasks.list(params, ctx)


async def _cancel_move(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> Any:
    return await core.move_tasks.cancel(params, ctx)


OPERATIONS: dict[str, Handler] = {
    "AddPermission": queues.add_permission,
    "CancelMessageMoveTask": _cancel_move,
    "ChangeMessageVisibility": handles.change_message_visibility,
    "ChangeMessageVisibilityBatch": handles.change_message_visibility_batch,
    "CreateQueue": queues.create_queue,
    "DeleteMessage": handles.delete_message,
    "DeleteMessageBatch": handles.delete_message_batch,
    "DeleteQueue": queues.delete_queue,
    "GetQueueAttributes": queues.get_queue_attributes,
    "GetQueueUrl": queues.get_queue_url,
    "ListDeadLetterSourceQueues": redrive.list_dead_letter_source_queues,
    "ListMessageMoveTasks": _list_moves,
    "ListQueueTags": queues.list_queue_tags,
    "ListQueues": queues.list_queues,
    "PurgeQueue": queues.purge_queue,
    "ReceiveMessage": receive.receive_message,
    "RemovePermission": queues.remove_permission,
    "SendMessage": send.send_message,
    "SendMessageBatch": send.send_message_batch,
    "SetQueueAttributes": queues.set_queue_attributes,
    "StartMessageMoveTask": _start_move,
    "TagQueue": queues.tag_queue,
    "UntagQueue": queues.untag_queue,
}


class SqsApi(ServiceApi):
    def __init__(self, core: SqsCore) -> None:
        super().__init__(core, OPERATIONS)
