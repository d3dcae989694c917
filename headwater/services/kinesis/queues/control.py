"""The queue control plane: CreateQueue, DescribeQueue, ListQueues, UpdateQueue, DeleteQueue."""

from __future__ import annotations

import asyncio
import secrets
import string
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kinesis import errors
from headwater.services.kinesis.consumers import MAX_CONSUMERS, MAX_CONSUMERS_ADVANTAGE
from headwater.services.kinesis.queues.core import QueueCore, QueueState, describe, start_cursor
from headwater.services.kinesis.queues.model import DEFAULT_MAX_RECEIVES, Queue
from headwater.services.kinesis.state import Stream

_ID_ALPHABET = string.ascii_lowercase + string.digits
MAX_TAGS = 50
DEFAULT_PAGE = 100


def _dead_letter(config: dict[str, Any]) -> tuple[str, int | None]:
    target = config["TargetType"]
    count = config.get("MaxReceiveCount")
    if target == "BUILT_IN" and count is None:
        raise errors.validation("MaxReceiveCount is required when TargetType is BUILT_IN.")
    if target == "NONE" and count is not None:
        raise errors.validation("MaxReceiveCount cannot be specified when TargetType is NONE.")
    return target, count


def _stream_for(core: QueueCore, arn: str, ctx: RequestContext) -> Stream:
    stream = core.kinesis.find_arn(arn, ctx)
    if stream.status not in ("ACTIVE", "UPDATING"):
        raise errors.stream_in_use(stream.name, stream.account, stream.status)
    if stream.mode != "ON_DEMAND":
        raise errors.invalid_argument(
            f"Queues are supported only on streams in ON_DEMAND mode. Stream {stream.name} under account "
            f"{stream.account} is in {stream.mode} mode."
        )
    limit = MAX_CONSUMERS_ADVANTAGE if stream.warm_target_mibps else MAX_CONSUMERS
    if len(stream.consumers) + core.count_on(stream) >= limit:  # queues count as consumers
        raise errors.limit_exceeded(
            f"Stream {stream.name} under account {stream.account} has reached the limit of {limit} consumers."
        )
    return stream


def _start(core: QueueCore, stream: Stream, position: dict[str, Any]) -> tuple[str, float | None, float]:
    """(type, the timestamp asked for, the effective start time)."""
    kind = position.get("Type", "LATEST")
    asked = position.get("Timestamp")
    if kind == "AT_TIMESTAMP" and asked is None:
        raise errors.validation("Timestamp is required when StartingPosition Type is AT_TIMESTAMP.")
    if kind != "AT_TIMESTAMP" and asked is not None:
        raise errors.validation(f"Timestamp cannot be specified when StartingPosition Type is {kind}.")
    now = core.clock.now_ms() / 1000
    earliest = max(stream.created, now - stream.retention_hours * 3600)
    if kind == "LATEST":
        return kind, None, now
    if kind == "TRIM_HORIZON":
        return kind, None, earliest
    stamp = float(asked or 0)  # the codecs give timestamps as epoch seconds (checked above)
    if stamp > now:
        raise errors.invalid_argument("The StartingPosition Timestamp cannot be in the future.")
    return kind, stamp, max(stamp, earliest)


async def create_queue(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    configs = params["StreamConfigurationList"]
    if len(configs) != 1:
        raise errors.validation("StreamConfigurationList must contain exactly one entry.")
    config = configs[0]
    name = params["QueueName"]
    for queue in core.queues.values():
        if (queue.account, queue.region, queue.name) == (ctx.account, ctx.region, name):
            raise errors.AwsError(
                "ResourceInUseException", f"Queue {name} under account {ctx.account} already exists."
            )
    stream = _stream_for(core, config["StreamARN"], ctx)
    tags = params.get("Tags", {})
    if len(tags) > MAX_TAGS:
        raise errors.invalid_argument(f"A queue can have at most {MAX_TAGS} tags.")
    attributes = params.get("QueueAttributes", {})
    dead, max_receives = _dead_letter(
        attributes.get(
            "DeadLetterConfiguration", {"TargetType": "BUILT_IN", "MaxReceiveCount": DEFAULT_MAX_RECEIVES}
        )
    )
    kind, asked, effective = _start(core, stream, config.get("StartingPosition", {}))
    queue = Queue(
        queue_id="".join(secrets.choice(_ID_ALPHABET) for _ in range(20)),
        account=ctx.account,
        region=ctx.region,
        name=name,
        created=core.clock.now_ms() / 1000,
        stream_name=stream.name,
        stream_created=stream.created,
        start_type=kind,
        start_timestamp=asked,
        effective_timestamp=effective,
        visibility_s=attributes.get("VisibilityTimeoutSeconds", 30),
        dead_letter=dead,
        max_receives=max_receives,
        tags=dict(tags),
    )
    core.queues[queue.queue_id] = queue
    core.states[queue.queue_id] = QueueState()
    # The position is fixed now (LATEST means after this call), whenever the first receive comes.
    await asyncio.gather(
        *(core.put_cursor(queue, s.shard_id, start_cursor(core, queue, s)) for s in stream.shards)
    )
    answer = describe(queue)
    if core.kinesis.config.transition_delay <= 0:
        queue.status = "ACTIVE"
        await core.save(queue)
    else:
        await core.save(queue)
        core.background.spawn(core.transition(queue, "ACTIVE"))
    return {"QueueDescription": answer}


async def describe_queue(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return {"QueueDescription": describe(core.find(params["QueueARN"], ctx))}


async def list_queues(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    filters = params.get("StreamFilter")
    # a filter's StreamCreationTimestamp tells a stream from an earlier one of the same name
    wanted: list[tuple[str, float | None]] | None = None
    if filters is not None:
        wanted = [(f["StreamARN"], f.get("StreamCreationTimestamp")) for f in filters]
    token = params.get("NextToken")
    after = ""
    if token is not None:
        if not token.startswith("q:"):
            raise errors.invalid_argument(f"Invalid NextToken: {token}")
        after = token[2:]
    limit = params.get("MaxResults", DEFAULT_PAGE)
    mine = sorted(
        (q for q in core.queues.values() if (q.account, q.region) == (ctx.account, ctx.region)),
        key=lambda q: (q.name, q.queue_id),
    )
    matched = [
        q
        for q in mine
        if (wanted is None or any(_matches(q, arn, born) for arn, born in wanted))
        and f"{q.name}/{q.queue_id}" > after
    ]
    page = matched[:limit]
    result: dict[str, Any] = {
        "QueueSummaries": [
            {
                "QueueName": q.name,
                "QueueARN": q.arn,
                "QueueStatus": q.status,
                "QueueCreationTimestamp": q.created,
                "Streams": [{"StreamARN": q.stream_arn, "StreamCreationTimestamp": q.stream_created}],
            }
            for q in page
        ]
    }
    if len(matched) > limit:
        result["NextToken"] = f"q:{page[-1].name}/{page[-1].queue_id}"
    return result


def _matches(queue: Queue, stream_arn: str, born: float | None) -> bool:
    return queue.stream_arn == stream_arn and (born is None or abs(queue.stream_created - born) < 0.001)


async def update_queue(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params["QueueARN"], ctx)
    if queue.status != "ACTIVE":
        raise errors.AwsError(
            "ResourceInUseException", f"Queue {queue.arn} is not ACTIVE, instead in state {queue.status}."
        )
    attributes = params["QueueAttributes"]
    if "DeadLetterConfiguration" in attributes:
        queue.dead_letter, queue.max_receives = _dead_letter(attributes["DeadLetterConfiguration"])
    if "VisibilityTimeoutSeconds" in attributes:  # in-flight records keep the timeout they got
        queue.visibility_s = attributes["VisibilityTimeoutSeconds"]
    if core.kinesis.config.transition_delay <= 0:
        await core.save(queue)
    else:
        queue.status = "UPDATING"
        await core.save(queue)
        core.background.spawn(core.transition(queue, "ACTIVE"))
    return {"QueueDescription": describe(queue)}


async def delete_queue(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params["QueueARN"], ctx)
    queue.status = "DELETING"
    await core.save(queue)
    if core.kinesis.config.transition_delay <= 0:
        await core.finish_delete(queue)
    else:
        core.background.spawn(core.finish_delete(queue))
    return {}
