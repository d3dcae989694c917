"""Tags of log groups: TagResource/UntagResource/ListTagsForResource by ARN, and the legacy
TagLogGroup/UntagLogGroup/ListTagsLogGroup by name. At most 50 tags per group."""

from __future__ import annotations

from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.logs import errors
from headwater.services.logs.core import LogsCore
from headwater.services.logs.records import Group

MAX_TAGS = 50


def _by_arn(core: LogsCore, arn: str) -> Group:
    parts = arn.split(":", 6)
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "logs":
        raise errors.invalid(f"The specified resource ARN is not valid: {arn}")
    if parts[5] != "log-group":
        raise errors.resource_not_found(arn)
    found = core.groups.get(f"{parts[4]}\0{parts[3]}\0{parts[6].removesuffix(':*')}")
    if found is None:
        raise errors.resource_not_found(arn)
    return found


async def _tag(core: LogsCore, group: Group, tags: dict[str, str]) -> None:
    merged = {**group.tags, **tags}
    if len(merged) > MAX_TAGS:
        raise AwsError("TooManyTagsException", f"A resource can have no more than {MAX_TAGS} tags.")
    group.tags = merged
    await core.save_group(group)


async def _untag(core: LogsCore, group: Group, keys: list[str]) -> None:
    group.tags = {key: value for key, value in group.tags.items() if key not in keys}
    await core.save_group(group)


async def tag_resource(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    await _tag(core, _by_arn(core, params["resourceArn"]), params["tags"])


async def untag_resource(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    await _untag(core, _by_arn(core, params["resourceArn"]), params["tagKeys"])


async def list_tags_for_resource(
    core: LogsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return {"tags": dict(_by_arn(core, params["resourceArn"]).tags)}


async def tag_log_group(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    await _tag(core, core.group(ctx.account, ctx.region, params["logGroupName"]), params["tags"])


async def untag_log_group(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    await _untag(core, core.group(ctx.account, ctx.region, params["logGroupName"]), params["tags"])


async def list_tags_log_group(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return {"tags": dict(core.group(ctx.account, ctx.region, params["logGroupName"]).tags)}


OPERATIONS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "TagLogGroup": tag_log_group,
    "UntagLogGroup": untag_log_group,
    "ListTagsLogGroup": list_tags_log_group,
}
