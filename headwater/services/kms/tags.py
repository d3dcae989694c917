"""Tags on KMS keys: TagResource, UntagResource, ListResourceTags (and CreateKey's Tags).

A key keeps its tags in order of first setting; setting a tag again replaces its value in place.
Keys beginning with `aws:` are reserved for AWS (TagException), and a key holds at most 50 tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.kms import lookup
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.kms.paging import page

MAX_TAGS = 50


def tag_error(message: str) -> AwsError:
    return AwsError("TagException", message)


def checked(items: Iterable[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    """Tags from the request's [{TagKey, TagValue}] list, validated; a repeated key keeps its last value."""
    return merged((), items)


def merged(
    current: tuple[tuple[str, str], ...], items: Iterable[Mapping[str, str]]
) -> tuple[tuple[str, str], ...]:
    tags = dict(current)
    for item in items:
        name = item["TagKey"]
        if name.lower().startswith("aws:"):
            raise tag_error("Tags beginning with aws: are reserved for AWS use.")
        tags[name] = item["TagValue"]
    if len(tags) > MAX_TAGS:
        raise AwsError("LimitExceededException", f"A key can have at most {MAX_TAGS} tags.")
    return tuple(tags.items())


async def tag_resource(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = lookup.managed_key(ring, ctx, params["KeyId"], "TagResource")
    ring.store.update(key.key_id, tags=merged(key.tags, params["Tags"]))
    await ring.persist()
    return {}


async def untag_resource(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = lookup.managed_key(ring, ctx, params["KeyId"], "UntagResource")
    removed = set(params["TagKeys"])
    kept = tuple((k, v) for k, v in key.tags if k not in removed)
    if kept != key.tags:
        ring.store.update(key.key_id, tags=kept)
        await ring.persist()
    return {}


async def list_resource_tags(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    key = lookup.find(ring, ctx, params["KeyId"], aliases=False)
    chosen, more = page(key.tags, params, default_limit=50)
    return {"Tags": [{"TagKey": k, "TagValue": v} for k, v in chosen], **more}
