"""ReceiveMessage: choosing, delivering, long polling, attribute filters, dead-letter moves.

A receive settles the queue to the clock, asks the ready index for candidates, and delivers them
(in flight, receive count up, a new receipt token). A candidate that has already been received
maxReceiveCount times goes to the dead-letter queue instead, and another is taken in its place.

Long polling waits on the queue's waiter set, which every send or visibility return wakes, bounded
by the request's deadline and the queue's next pending deadline (a delayed message due, a
visibility timeout running out), so a poll returns the moment a message can be delivered.
"""

from __future__ import annotations

import asyncio
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.sqs import errors, rules, window
from headwater.services.sqs.digests import md5_of_attributes
from headwater.services.sqs.message import INFLIGHT, Message
from headwater.services.sqs.queue import Queue, redrive_policy
from headwater.services.sqs.redrive import dead_letter
from headwater.services.sqs.service import SqsCore

NS = "SQS"
INFLIGHT_LIMIT_STANDARD = 120_000
INFLIGHT_LIMIT_FIFO = 120_000
ATTEMPT_WINDOW_MS = 5 * 60 * 1000
MAX_VISIBILITY_S = 43_200

SYSTEM_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def _int_param(params: dict[str, Any], name: str, low: int, high: int, reason: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise errors.invalid_value(name, value, reason)
    return value


async def receive_message(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    count = _int_param(params, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided.") or 1
    visibility = _int_param(
        params, "VisibilityTimeout", 0, MAX_VISIBILITY_S, "Must be >= 0 and <= 43200, if provided."
    )
    wait = _int_param(params, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.")
    attempt = params.get("ReceiveRequestAttemptId")
    if attempt is not None:
        rules.check_fifo_id("ReceiveRequestAttemptId", attempt)
    system_names = _system_names(params)
    attribute_filter = params.get("MessageAttributeNames") or ()
    if visibility is None:
        visibility = queue.definition.seconds("VisibilityTimeout")
    if wait is None:
        wait = queue.definition.seconds("ReceiveMessageWaitTimeSeconds")
    core.throttle(queue, "ReceiveMessage", 1)
    core.check_key(queue)  # a queue whose key cannot decrypt delivers nothing, and keeps it all
    clock = core.clock
    deadline = clock.now() + wait
    while True:
        now_ms = clock.now_ms()
        queue.settle(now_ms)
        delivered = await _receive_now(
            core, queue, count, visibility, attempt if queue.fifo else None, now_ms
        )
        if delivered or queue.deleted or core.closing:
            break
        remaining = deadline - clock.now()
        if remaining <= 0:
            break
        await _wait(core, queue, deadline)
    if not queue.deleted:  # a long poll the deletion woke must not bring the queue's series back
        labels = (("QueueName", queue.name),)
        core.metrics.add(NS, "NumberOfMessagesReceived", labels, len(delivered))
        if not delivered:
            core.metrics.add(NS, "NumberOfEmptyReceives", labels)
    if not delivered:
        return {}  # AWS omits `Messages` when there are none (the .NET SDK tells null from [])
    store_id = queue.definition.store_id
    encode = core.receipts.encode
    return {
        "Messages": [
            _render(
                message, encode(store_id, message.seq, message.token), system_names, attribute_filter, ctx
            )
            for message in delivered
        ]
    }


async def _wait(core: SqsCore, queue: Queue, deadline: float) -> None:
    waiter = queue.waiter()
    due = queue.next_deadline()
    until = deadline if due is None else min(deadline, due / 1000)
    sleeper = asyncio.ensure_future(core.clock.sleep_until(until))
    try:
        await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        queue.waiters.discard(waiter)


async def _receive_now(
    core: SqsCore, queue: Queue, count: int, visibility: int, attempt: str | None, now_ms: int
) -> list[Message]:
    if attempt is not None:
        repeated = _repeat_attempt(queue, attempt, visibility, now_ms)
        if repeated is not None:
            return repeated
    limit = INFLIGHT_LIMIT_FIFO if queue.fifo else INFLIGHT_LIMIT_STANDARD
    room = min(count, max(0, limit - queue.inflight))
    if room == 0 and not queue.fifo:  # a FIFO queue at its limit just returns nothing
        raise errors.over_limit(
            f"You have reached the limit of {INFLIGHT_LIMIT_STANDARD} in-flight messages for queue {queue.name}."
        )
    if queue.cold_from is not None:
        await window.ensure(core, queue, room)
    policy = redrive_policy(queue)
    delivered: list[Message] = []
    while room > len(delivered):
        candidates = queue.take(room - len(delivered), now_ms)
        if not candidates:
            # the window's FIFO groups may all be locked while cold messages wait: page more in
            # (nothing taken is pending across the await: every candidate was handled)
            if queue.cold_from is not None and await window.widen(core, queue):
                continue
            break
        for message in candidates:
            if (
                policy is not None
                and message.receive_count >= policy.max_receive_count
                and dead_letter(core, queue, message, policy, now_ms)
            ):
                continue
            queue.deliver(message, visibility, now_ms)
            delivered.append(message)
    if delivered:
        core.store.set_state(queue.definition.store_id, [(m.seq, m.state()) for m in delivered])
        if attempt is not None:
            expires = now_ms + ATTEMPT_WINDOW_MS
            queue.attempts[attempt] = (expires, [(m.seq, m.token) for m in delivered])
            queue.attempt_order.append((expires, attempt))
    return delivered


def _repeat_attempt(queue: Queue, attempt: str, visibility: int, now_ms: int) -> list[Message] | None:
    """A FIFO receive retried with the same ReceiveRequestAttemptId gets the same messages and
    receipt handles, as long as none of them was deleted or had its visibility changed."""
    cached = queue.attempts.get(attempt)
    if cached is None or cached[0] <= now_ms:
        return None
    messages = []
    for seq, token in cached[1]:
        message = queue.messages.get(seq)
        if message is None or message.token != token or message.status != INFLIGHT:
            return None
        messages.append(message)
    for message in messages:
        queue.set_visibility(message, visibility, now_ms)
    return messages


def _system_names(params: dict[str, Any]) -> frozenset[str]:
    names = set(params.get("AttributeNames") or ()) | set(params.get("MessageSystemAttributeNames") or ())
    if "All" in names:
        return frozenset(SYSTEM_NAMES)
    return frozenset(names)


def _render(
    message: Message,
    receipt: str,
    system_names: frozenset[str],
    attribute_filter: Any,
    ctx: RequestContext,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": receipt,
        "MD5OfBody": message.md5_body,
        "Body": message.body,
    }
    if system_names:
        attributes = _system_attributes(message, system_names, ctx)
        if attributes:
            out["Attributes"] = attributes
    if attribute_filter and message.attributes:
        selected = _select(message.attributes, attribute_filter)
        if selected:
            out["MessageAttributes"] = selected
            out["MD5OfMessageAttributes"] = (
                message.md5_attributes
                if len(selected) == len(message.attributes)
                else md5_of_attributes(selected)
            )
    return out


def _system_attributes(message: Message, names: frozenset[str], ctx: RequestContext) -> dict[str, str]:
    values: dict[str, str] = {}
    if "SenderId" in names:
        values["SenderId"] = message.sender or ctx.account
    if "SentTimestamp" in names:
        values["SentTimestamp"] = str(message.sent_ms)
    if "ApproximateReceiveCount" in names:
        values["ApproximateReceiveCount"] = str(message.receive_count)
    if "ApproximateFirstReceiveTimestamp" in names:
        values["ApproximateFirstReceiveTimestamp"] = str(message.first_receive_ms)
    if message.sequence_number and "SequenceNumber" in names:
        values["SequenceNumber"] = message.sequence_number
    if message.dedup and "MessageDeduplicationId" in names:
        values["MessageDeduplicationId"] = message.dedup
    if message.group and "MessageGroupId" in names:
        values["MessageGroupId"] = message.group
    if message.system and "AWSTraceHeader" in names:
        trace = message.system.get("AWSTraceHeader")
        if trace:
            values["AWSTraceHeader"] = trace.get("StringValue", "")
    if message.source_arn and "DeadLetterQueueSourceArn" in names:
        values["DeadLetterQueueSourceArn"] = message.source_arn
    return values


def _select(attributes: dict[str, Any], wanted: Any) -> dict[str, Any]:
    """Message attributes by the receive filter: names, `All`, `*`, `.*`, or `prefix.*` (a plain
    prefix match: `Hel.*` selects `Hello` and `Help.Me`, as AWS does)."""
    if "All" in wanted or ".*" in wanted or "*" in wanted:
        return attributes
    prefixes = tuple(name[:-2] for name in wanted if name.endswith(".*"))
    names = set(wanted)
    return {
        name: value
        for name, value in attributes.items()
        if name in names or (prefixes and name.startswith(prefixes))
    }
