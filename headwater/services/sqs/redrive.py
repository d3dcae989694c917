"""Dead-letter queues: moving messages there on receive (message move tasks: `move_tasks.py`).

A message whose receive count has reached the source queue's maxReceiveCount is moved to the
dead-letter queue by the receive that would have delivered it once more. It keeps its MessageId and
carries DeadLetterQueueSourceArn; a standard DLQ keeps its original send time (retention counts
from the first send), a FIFO DLQ resets it and replaces the de-duplication id with the MessageId.
"""

from __future__ import annotations

from typing import Any

from headwater.protocol.errors import AwsError
from headwater.runtime.ids import new_uuid
from headwater.services.context import RequestContext
from headwater.services.sqs.attributes import RedrivePolicy
from headwater.services.sqs.message import VISIBLE, Message
from headwater.services.sqs.pages import paginate
from headwater.services.sqs.queue import Queue, redrive_policy
from headwater.services.sqs.service import SqsCore


def copy_to(
    core: SqsCore, target: Queue, message: Message, now_ms: int, *, redrive: bool, source_arn: str | None
) -> None:
    """Stores a copy of `message` in `target` (visible now); not awaited: the store keeps order,
    so the copy is durable before the removal from the source that follows it."""
    fifo = target.fifo
    message_id = new_uuid() if redrive else message.message_id
    sent_ms = now_ms if (redrive or fifo) else message.sent_ms
    dedup = message.dedup
    if fifo and not redrive:
        dedup = message.message_id
    copy = Message(
        target.new_seq(),
        message_id,
        message.body,
        message.attributes,
        message.system,
        message.md5_body,
        message.md5_attributes,
        message.md5_system,
        sent_ms,
        message.size,
        message.group if (fifo or not redrive or message.group) else None,
        dedup if fifo else None,
        target.sequence_number(now_ms) if fifo else None,
        source_arn,
        message.sender,
    )
    copy.status = VISIBLE
    sealed = core.seal(target, copy.body)
    core.store.add(target.definition.store_id, [(copy.seq, copy.record(sealed), copy.state())])
    target.place(copy, now_ms)


def dead_letter(core: SqsCore, queue: Queue, message: Message, policy: RedrivePolicy, now_ms: int) -> bool:
    """Moves a message that has been received too often; False if the DLQ does not exist."""
    target = core.find_arn(policy.dead_letter_target_arn)
    if target is None or target is queue or not _sealable(core, target):
        return False
    copy_to(core, target, message, now_ms, redrive=False, source_arn=queue.definition.arn)
    queue.remove(message, now_ms)
    return True


def key_failure(core: SqsCore, target: Queue) -> str | None:
    """Why nothing can be sealed for `target` now (its KMS key is unusable), or None."""
    try:
        core.check_key(target)
    except AwsError as error:
        return error.code
    return None


def _sealable(core: SqsCore, target: Queue) -> bool:
    return key_failure(core, target) is None


def sources_of(core: SqsCore, dlq: Queue) -> list[Queue]:
    arn = dlq.definition.arn
    found = []
    for queue in core.queues.values():
        policy = redrive_policy(queue)
        if policy is not None and policy.dead_letter_target_arn == arn:
            found.append(queue)
    return found


async def list_dead_letter_source_queues(
    core: SqsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    dlq = core.find(params.get("QueueUrl"), ctx)
    urls = sorted(core.url(queue, ctx) for queue in sources_of(core, dlq))
    page, token = paginate(urls, params)
    result: dict[str, Any] = {"queueUrls": page}
    if token:
        result["NextToken"] = token
    return result
