"""DeleteMessage(Batch) and ChangeMessageVisibility(Batch): acting on a receipt handle.

A receipt handle names (queue, seq, receive token). Only the newest receive's handle deletes a
message: on a standard queue an older handle's delete succeeds without deleting (AWS's documented
behaviour), on a FIFO queue it is refused as expired. On a standard queue an older handle still
changes the visibility of the message's current receive, as AWS does; a FIFO queue refuses it. A handle for a message that is gone deletes
nothing and succeeds, so retried deletes are safe. A delete is acknowledged once it is durable:
nothing is delivered after a successful DeleteMessage, even across a crash.
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.sqs import errors, rules, window
from headwater.services.sqs.batch import entry_error
from headwater.services.sqs.message import DELETED, INFLIGHT, Message
from headwater.services.sqs.queue import DEDUP_WINDOW_MS, Queue
from headwater.services.sqs.service import SqsCore

NS = "SQS"
MAX_VISIBILITY_S = 43_200


def _resolve(core: SqsCore, queue: Queue, handle: Any) -> tuple[Message | None, int, int]:
    """The message a handle names if it is in memory (None if it is gone or cold), its seq and
    the handle's receive token."""
    if not isinstance(handle, str) or not handle:
        raise errors.missing_parameter("ReceiptHandle")
    decoded = core.receipts.decode(handle)
    if decoded is None or decoded[0] != queue.definition.store_id:
        raise errors.receipt_handle_invalid(handle)
    _, seq, token = decoded
    return queue.messages.get(seq), seq, token


def _expired(handle: str) -> AwsError:
    return errors.invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")


async def _delete(core: SqsCore, queue: Queue, handle: Any, now_ms: int) -> Awaitable[None] | None:
    message, seq, token = _resolve(core, queue, handle)
    if message is None and queue.is_cold(seq):  # received before a restart, not paged in yet
        async with queue.paging:
            if queue.is_cold(seq):
                return await _delete_cold(core, queue, seq, token, handle, now_ms)
        message = queue.messages.get(seq)  # paged in meanwhile
    if message is None:
        return None
    if message.token != token:
        if queue.fifo:
            raise _expired(handle)
        return None
    return queue.remove(message, now_ms)


async def _delete_cold(
    core: SqsCore, queue: Queue, seq: int, token: int, handle: str, now_ms: int
) -> Awaitable[None] | None:
    """Deletes a cold message from its stored copy (the caller holds `queue.paging`)."""
    message = await window.cold_message(core, queue, seq)
    if message is None:
        return None
    if message.token != token:
        if queue.fifo:
            raise _expired(handle)
        return None
    queue.cold = max(0, queue.cold - 1)
    store_id = queue.definition.store_id
    dedup_until = message.sent_ms + DEDUP_WINDOW_MS
    if queue.fifo and dedup_until > now_ms:  # a tombstone keeps the de-duplication window
        message.status, message.visible_at = DELETED, dedup_until
        heapq.heappush(queue.tombstones, (dedup_until, seq))
        return core.store.set_state(store_id, [(seq, message.state())])
    return core.store.remove(store_id, [seq])


async def delete_message(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    core.throttle(queue, "DeleteMessage", 1)
    now_ms = core.clock.now_ms()
    queue.settle(now_ms)
    written = await _delete(core, queue, params.get("ReceiptHandle"), now_ms)
    if written is not None:
        core.metrics.add(NS, "NumberOfMessagesDeleted", (("QueueName", queue.name),))
        await written
    return {}


async def delete_message_batch(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    entries = _entries(params, "DeleteMessageBatchRequestEntry")
    core.throttle(queue, "DeleteMessageBatch", len(entries))
    now_ms = core.clock.now_ms()
    queue.settle(now_ms)
    successful, failed, writes = [], [], []
    for entry in entries:
        try:
            written = await _delete(core, queue, entry.get("ReceiptHandle"), now_ms)
        except AwsError as error:
            failed.append(entry_error(entry["Id"], error))
            continue
        if written is not None:
            writes.append(written)
        successful.append({"Id": entry["Id"]})
    if writes:
        core.metrics.add(NS, "NumberOfMessagesDeleted", (("QueueName", queue.name),), len(writes))
        await writes[-1]  # the store completes writes in order
    return {"Successful": successful, "Failed": failed}


async def _change(core: SqsCore, queue: Queue, handle: Any, timeout: Any, now_ms: int) -> None:
    if timeout is None:
        raise errors.missing_parameter("VisibilityTimeout")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not 0 <= timeout <= MAX_VISIBILITY_S:
        raise errors.invalid_value(
            "VisibilityTimeout",
            timeout,
            f"VisibilityTimeout must be an integer between 0 and {MAX_VISIBILITY_S}",
        )
    message, seq, token = _resolve(core, queue, handle)
    if message is None and queue.is_cold(seq):  # received before a restart, not paged in yet
        async with queue.paging:
            if queue.is_cold(seq):
                cold = await window.cold_message(core, queue, seq)
                _check_change(queue, cold, token, handle, timeout, now_ms)
                assert cold is not None
                cold.visible_at = now_ms + timeout * 1000  # takes effect when it is paged in
                core.store.set_state(queue.definition.store_id, [(seq, cold.state())])
                return
        message = queue.messages.get(seq)  # paged in meanwhile
    _check_change(queue, message, token, handle, timeout, now_ms)
    assert message is not None
    queue.set_visibility(message, timeout, now_ms)
    core.store.set_state(queue.definition.store_id, [(message.seq, message.state())])


def _check_change(
    queue: Queue, message: Message | None, token: int, handle: str, timeout: int, now_ms: int
) -> None:
    if message is None:
        raise errors.invalid_value(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        )
    if message.status != INFLIGHT:
        raise errors.message_not_inflight()
    if message.token != token and queue.fifo:
        raise _expired(handle)
    if (now_ms - message.received_ms) // 1000 + timeout > MAX_VISIBILITY_S:
        raise errors.invalid_value(
            "VisibilityTimeout",
            timeout,
            f"Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY_S} seconds]",
        )


async def change_message_visibility(
    core: SqsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    core.throttle(queue, "ChangeMessageVisibility", 1)
    now_ms = core.clock.now_ms()
    queue.settle(now_ms)
    await _change(core, queue, params.get("ReceiptHandle"), params.get("VisibilityTimeout"), now_ms)
    return {}


async def change_message_visibility_batch(
    core: SqsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    entries = _entries(params, "ChangeMessageVisibilityBatchRequestEntry")
    core.throttle(queue, "ChangeMessageVisibilityBatch", len(entries))
    now_ms = core.clock.now_ms()
    queue.settle(now_ms)
    successful, failed = [], []
    for entry in entries:
        try:
            await _change(core, queue, entry.get("ReceiptHandle"), entry.get("VisibilityTimeout", 0), now_ms)
        except AwsError as error:
            failed.append(entry_error(entry["Id"], error))
            continue
        successful.append({"Id": entry["Id"]})
    return {"Successful": successful, "Failed": failed}


def _entries(params: dict[str, Any], what: str) -> list[dict[str, Any]]:
    entries = params.get("Entries")
    if entries is None:
        raise errors.missing_parameter("Entries")
    rules.check_batch(entries, what=what)
    return entries
