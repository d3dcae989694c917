"""TagResource, UntagResource and ListTags on function ARNs (CreateFunction's Tags and GetFunction's
Tags are the same map, kept in the function's record)."""

from __future__ import annotations

import re
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions.record import FunctionRecord
from headwater.services.functions.service import FunctionsCore

TAG_LIMIT = 50
_FUNCTION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9_-]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?"
)


def _tagged(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> FunctionRecord:
    arn = params["Resource"]
    found = _FUNCTION_ARN.fullmatch(arn)
    if found is None:
        raise errors.invalid(f"The resource ARN {arn} is not a function ARN; only functions take tags here.")
    if found["qualifier"] is not None:
        raise errors.invalid("Tags are not supported on function versions or aliases.")
    if (found["account"], found["region"]) != (ctx.account, ctx.region):
        raise errors.not_found(arn)
    return core.get(ctx.account, ctx.region, found["name"])


async def tag_resource(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    record = _tagged(core, params, ctx)
    tags = {**record.tags, **(params.get("Tags") or {})}
    if any(key.lower().startswith("aws:") for key in params.get("Tags") or {}):
        raise errors.invalid("Tag keys starting with 'aws:' are reserved for AWS use.")
    if len(tags) > TAG_LIMIT:
        raise errors.invalid(f"Number of tags exceeds resource tag limit of {TAG_LIMIT}.")
    await core.save(record.evolve(tags=tags))
    return {}


async def untag_resource(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    record = _tagged(core, params, ctx)
    removed = set(params.get("TagKeys") or ())
    await core.save(record.evolve(tags={k: v for k, v in record.tags.items() if k not in removed}))
    return {}


async def list_tags(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return {"Tags": dict(_tagged(core, params, ctx).tags)}


OPERATIONS = {"TagResource": tag_resource, "UntagResource": untag_resource, "ListTags": list_tags}
