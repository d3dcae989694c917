"""The CloudWatch Logs operations: parameter dicts in (validated against the model), results out."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.logs import errors, events, filtering, reading, tags
from headwater.services.logs.core import LogsCore
from headwater.services.logs.matching import compile_pattern
from headwater.services.logs.paging import page
from headwater.services.logs.patterns import PatternError
from headwater.services.logs.records import Group
from headwater.services.operations import ServiceApi

RETENTION_DAYS = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
)


async def create_log_group(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    group = Group(
        ctx.account,
        ctx.region,
        params["logGroupName"],
        core.clock.now_ms(),
        kms_key_id=params.get("kmsKeyId"),
        log_class=params.get("logGroupClass") or "STANDARD",
        tags=dict(params.get("tags") or {}),
    )
    await core.create_group(group)


async def delete_log_group(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    await core.delete_group(core.group(ctx.account, ctx.region, params["logGroupName"]))


async def create_log_stream(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    await core.create_stream(
        core.group(ctx.account, ctx.region, params["logGroupName"]), params["logStreamName"]
    )


async def delete_log_stream(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    group = core.group(ctx.account, ctx.region, params["logGroupName"])
    await core.delete_stream(group, core.stream(group, params["logStreamName"]))


async def describe_log_groups(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
    if prefix is not None and pattern is not None:
        raise errors.invalid(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
        )
    wanted = params.get("logGroupIdentifiers")
    found = [
        group
        for group in core.groups_of(ctx.account, ctx.region)
        if group.name.startswith(prefix or "")
        and (pattern is None or pattern.lower() in group.name.lower())
        and (params.get("logGroupClass") in (None, group.log_class))
        and (not wanted or group.name in wanted or group.arn in wanted)
    ]
    chosen, token = page(found, lambda g: g.name, params.get("nextToken"), params.get("limit") or 50)
    result: dict[str, Any] = {"logGroups": [group.describe() for group in chosen]}
    if token:
        result["nextToken"] = token
    return result


async def describe_log_streams(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    group = core.group_by_identifier(ctx.account, ctx.region, params)
    prefix = params.get("logStreamNamePrefix")
    by_time = params.get("orderBy") == "LastEventTime"
    if by_time and prefix is not None:
        raise errors.invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
    descending = bool(params.get("descending"))
    streams = [s for name, s in core.streams[group.key].items() if name.startswith(prefix or "")]
    sign = -1 if descending else 1

    def key(stream: Any) -> Any:
        if by_time:  # streams without events sort first (AWS treats them as time 0)
            return [sign * (stream.last_event or 0), stream.name if not descending else _desc(stream.name)]
        return stream.name if not descending else _desc(stream.name)

    streams.sort(key=key)
    chosen, token = page(streams, key, params.get("nextToken"), params.get("limit") or 50)
    result: dict[str, Any] = {"logStreams": [stream.describe(group) for stream in chosen]}
    if token:
        result["nextToken"] = token
    return result


def _desc(name: str) -> list[int]:
    """A key that sorts names in reverse (code points negated, then a terminator above them all)."""
    return [-ord(char) for char in name] + [1]


async def put_log_events(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    group = core.group(ctx.account, ctx.region, params["logGroupName"])
    stream = core.stream(group, params["logStreamName"])
    batch = [(event["timestamp"], event["message"]) for event in params["logEvents"]]
    events.check_batch(batch)
    return await events.put(core, group, stream, batch)


async def get_log_events(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    group = core.group_by_identifier(ctx.account, ctx.region, params)
    return await reading.get_events(core, group, core.stream(group, params["logStreamName"]), params)


async def filter_log_events(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    group = core.group_by_identifier(ctx.account, ctx.region, params)
    try:
        match = compile_pattern(params.get("filterPattern") or "")
    except PatternError as error:
        raise errors.invalid(f"Invalid filter pattern: {error}") from None
    return await filtering.filter_events(core, group, params, match)


async def put_retention_policy(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    group = core.group(ctx.account, ctx.region, params["logGroupName"])
    days = params["retentionInDays"]
    if days not in RETENTION_DAYS:
        raise errors.invalid(
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
            "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, "
            "731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]"
        )
    group.retention_days = days
    await core.save_group(group)


async def delete_retention_policy(core: LogsCore, params: dict[str, Any], ctx: RequestContext) -> None:
    group = core.group(ctx.account, ctx.region, params["logGroupName"])
    group.retention_days = None
    await core.save_group(group)


OPERATIONS = {
    "CreateLogGroup": create_log_group,
    "DeleteLogGroup": delete_log_group,
    "CreateLogStream": create_log_stream,
    "DeleteLogStream": delete_log_stream,
    "DescribeLogGroups": describe_log_groups,
    "DescribeLogStreams": describe_log_streams,
    "PutLogEvents": put_log_events,
    "GetLogEvents": get_log_events,
    "FilterLogEvents": filter_log_events,
    "PutRetentionPolicy": put_retention_policy,
    "DeleteRetentionPolicy": delete_retention_policy,
    **tags.OPERATIONS,
}


def logs_api(core: LogsCore) -> ServiceApi:
    return ServiceApi(core, OPERATIONS)
