"""SendMessage and SendMessageBatch.

A send is acknowledged once its message is durable (the store's awaitable). The message is placed
in the queue before that, so a waiting receiver sees it at once; if the server dies before the
write lands the sender never got an answer, which the at-least-once contract allows.

FIFO sends are de-duplicated for five minutes by MessageDeduplicationId (or the SHA-256 of the
body with ContentBasedDeduplication): a duplicate is accepted and answered with the original's
MessageId and SequenceNumber but not stored again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.runtime.ids import new_uuid
from headwater.services.context import RequestContext
from headwater.services.sqs import errors, rules
from headwater.services.sqs.batch import entry_error
from headwater.services.sqs.digests import md5_of_attributes, md5_of_body
from headwater.services.sqs.message import DELAYED, VISIBLE, Message
from headwater.services.sqs.queue import DEDUP_WINDOW_MS, Queue
from headwater.services.sqs.service import SqsCore

NS = "SQS"
NOT_FOR_QUEUE_TYPE = "The request include parameter that is not valid for this queue type."


def _prepare(
    core: SqsCore,
    queue: Queue,
    entry: dict[str, Any],
    now_ms: int,
    sender: str,
    *,
    batch: bool = False,
    size: int | None = None,
) -> tuple[Message | None, dict[str, Any]]:
    """Validates one message and builds it; returns (None, result) for a FIFO duplicate. `size`: its
    `rules.message_size`, when the caller has it already."""
    body = entry.get("MessageBody")
    if body is None:
        raise errors.missing_parameter("MessageBody")
    rules.check_body(body)
    attributes = entry.get("MessageAttributes") or None
    system = entry.get("MessageSystemAttributes") or None
    operation = "SendMessageBatch" if batch else "SendMessage"
    if attributes:
        rules.check_message_attributes(attributes, operation=operation)
    if system:
        rules.check_message_attributes(system, system=True, operation=operation)
    if size is None:
        size = rules.message_size(body, attributes)
    rules.check_size(size, queue.definition.seconds("MaximumMessageSize"))
    group = entry.get("MessageGroupId")
    dedup = entry.get("MessageDeduplicationId")
    delay = entry.get("DelaySeconds")
    definition = queue.definition
    if queue.fifo:
        if delay is not None and delay != 0:  # AWS accepts an explicit 0 on a FIFO queue
            raise errors.invalid_value("DelaySeconds", delay, NOT_FOR_QUEUE_TYPE)
        if group is None:
            raise rules.missing_group_id(batch=batch)
        rules.check_fifo_id("MessageGroupId", group)
        if dedup is None:
            if definition.attributes.get("ContentBasedDeduplication") != "true":
                raise rules.missing_deduplication_id()
            dedup = hashlib.sha256(body.encode()).hexdigest()
        else:
            rules.check_fifo_id("MessageDeduplicationId", dedup)
        delay_s = definition.seconds("DelaySeconds")
    else:
        if dedup is not None:
            raise errors.invalid_value("MessageDeduplicationId", dedup, NOT_FOR_QUEUE_TYPE)
        if group is not None:
            rules.check_fifo_id("MessageGroupId", group)
        if delay is None:
            delay_s = definition.seconds("DelaySeconds")
        elif not isinstance(delay, int) or not 0 <= delay <= 900:
            raise errors.invalid_value("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900.")
        else:
            delay_s = delay
    md5_body = md5_of_body(body)
    md5_attributes = md5_of_attributes(attributes)
    md5_system = md5_of_attributes(system)
    sequence_number = None
    if queue.fifo:
        assert dedup is not None and group is not None
        key = queue.dedup_key(group, dedup)
        seen = queue.dedup.get(key)
        if seen is not None and seen[0] > now_ms:
            return None, _result(seen[1], md5_body, md5_attributes, md5_system, seen[2])
        sequence_number = queue.sequence_number(now_ms)
    message = Message(
        queue.new_seq(),
        new_uuid(),
        body,
        attributes,
        system,
        md5_body,
        md5_attributes,
        md5_system,
        now_ms,
        size,
        group,
        dedup,
        sequence_number,
        sender=sender,
    )
    if queue.fifo:
        queue.remember_dedup(key, now_ms + DEDUP_WINDOW_MS, message.message_id, sequence_number)
    if delay_s:
        message.status = DELAYED
        message.visible_at = now_ms + delay_s * 1000
    else:
        message.status = VISIBLE
    return message, _result(message.message_id, md5_body, md5_attributes, md5_system, sequence_number)


def _result(
    message_id: str, md5_body: str, md5_attributes: str | None, md5_system: str | None, sequence: str | None
) -> dict[str, Any]:
    result: dict[str, Any] = {"MD5OfMessageBody": md5_body, "MessageId": message_id}
    if md5_attributes:
        result["MD5OfMessageAttributes"] = md5_attributes
    if md5_system:
        result["MD5OfMessageSystemAttributes"] = md5_system
    if sequence:
        result["SequenceNumber"] = sequence
    return result


def _store(core: SqsCore, queue: Queue, messages: list[Message], now_ms: int) -> Awaitable[None]:
    sealed = core.seal_many(queue, [message.body for message in messages])
    rows = [
        (message.seq, message.record(body), message.state())
        for message, body in zip(messages, sealed, strict=True)
    ]
    written = core.store.add(queue.definition.store_id, rows)
    for message in messages:
        queue.place(message, now_ms)
    return written


def _count(core: SqsCore, queue: Queue, messages: list[Message]) -> None:
    labels = (("QueueName", queue.name),)
    core.metrics.add(NS, "NumberOfMessagesSent", labels, len(messages))
    core.metrics.add(NS, "SentMessageSize", labels, sum(m.size for m in messages))


async def send_message(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    core.throttle(queue, "SendMessage", 1)
    return await send_to(core, queue, params, ctx.account)


async def send_to(core: SqsCore, queue: Queue, entry: dict[str, Any], sender: str) -> dict[str, Any]:
    """Sends one message (SendMessage's fields) to a queue already found; `sender` is the SenderId."""
    core.check_key(queue)  # before _prepare, which remembers FIFO de-duplication ids
    now_ms = core.clock.now_ms()
    queue.settle(now_ms)
    message, result = _prepare(core, queue, entry, now_ms, sender)
    if message is not None:
        written = _store(core, queue, [message], now_ms)
        _count(core, queue, [message])
        await written
    return result


async def send_many_to(
    core: SqsCore, queue: Queue, entries: list[dict[str, Any]], sender: str
) -> list[AwsError | None]:
    """Sends messages (SendMessage's fields) to a queue already found, stored with ONE write (IoT
    rules deliver their outbox's batches here); for each entry None when sent, else why not."""
    core.check_key(queue)
    now_ms = core.clock.now_ms()
    queue.settle(now_ms)
    outcomes: list[AwsError | None] = []
    messages: list[Message] = []
    for entry in entries:
        try:
            message, _ = _prepare(core, queue, entry, now_ms, sender)
        except AwsError as error:
            outcomes.append(error)
            continue
        outcomes.append(None)
        if message is not None:
            messages.append(message)
    if messages:
        written = _store(core, queue, messages, now_ms)
        _count(core, queue, messages)
        await written
    return outcomes


async def send_message_batch(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    entries = params.get("Entries")
    if entries is None:
        raise errors.missing_parameter("Entries")
    rules.check_batch(entries, what="SendMessageBatchRequestEntry")
    sizes = [_entry_size(entry) for entry in entries]
    rules.check_batch_size(sum(sizes))
    if queue.fifo:
        _check_fifo_ids(queue, entries)
    core.throttle(queue, "SendMessageBatch", len(entries))
    core.check_key(queue)
    now_ms = core.clock.now_ms()
    queue.settle(now_ms)
    successful: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    messages: list[Message] = []
    for entry, size in zip(entries, sizes, strict=True):
        try:
            message, result = _prepare(core, queue, entry, now_ms, ctx.account, batch=True, size=size)
        except AwsError as error:
            failed.append(entry_error(entry["Id"], error))
            continue
        if message is not None:
            messages.append(message)
        successful.append({"Id": entry["Id"], **result})
    if messages:
        written = _store(core, queue, messages, now_ms)
        _count(core, queue, messages)
        await written
    return {"Successful": successful, "Failed": failed}


def _check_fifo_ids(queue: Queue, entries: list[dict[str, Any]]) -> None:
    """On a FIFO queue an entry without MessageGroupId, or without a deduplication id when the queue
    has no content-based deduplication, fails the whole batch (HTTP 400, nothing sent), as AWS does."""
    content_based = queue.definition.attributes.get("ContentBasedDeduplication") == "true"
    for entry in entries:
        if entry.get("MessageGroupId") is None:
            raise rules.missing_group_id(batch=True)
        if entry.get("MessageDeduplicationId") is None and not content_based:
            raise rules.missing_deduplication_id()


def _entry_size(entry: dict[str, Any]) -> int:
    body = entry.get("MessageBody")
    if not isinstance(body, str):
        return 0
    return rules.message_size(body, entry.get("MessageAttributes") or None)
