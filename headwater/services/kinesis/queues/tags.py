"""TagResource, UntagResource and ListTagsForResource for a queue ARN (the stream and consumer
ARNs stay with settings.py; the API sends each ARN to its owner)."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kinesis import errors
from headwater.services.kinesis.queues.core import QueueCore

MAX_TAGS = 50


def is_queue_arn(arn: object) -> bool:
    return isinstance(arn, str) and ":queue/" in arn


async def tag_queue(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params["ResourceARN"], ctx)
    merged = {**queue.tags, **params["Tags"]}
    if len(merged) > MAX_TAGS:
        raise errors.invalid_argument(
            f"Failed to add tags to {queue.arn}: the resource would have more than {MAX_TAGS} tags."
        )
    queue.tags = merged
    await core.save(queue)
    return {}


async def untag_queue(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params["ResourceARN"], ctx)
    for key in params["TagKeys"]:
        queue.tags.pop(key, None)
    await core.save(queue)
    return {}


async def list_queue_tags(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params["ResourceARN"], ctx)
    return {"Tags": [{"Key": key, "Value": queue.tags[key]} for key in sorted(queue.tags)]}
