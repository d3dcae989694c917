"""Tags of any `iot` resource, by ARN: the registry's and the other parts' (certificates,
policies...), one store for TagResource / UntagResource / ListTagsForResource.

Another part makes its resources taggable with one call at build time:

    core.registry.tags.register("cert", lambda account, region, cert_id: ... exists ...)

`kind` is the ARN's resource type (`arn:aws:iot:<region>:<account>:<kind>/<name>`). It stores
tags given at creation with `await tags.put(arn, {...})` (or `put_change` in the same ordered-store
write as the resource) and forgets them on deletion with `await tags.drop(arn)` / `drop_change`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from headwater.engine.api import Change, OrderedStore
from headwater.services.iot.registry import errors

TAGS = "iot.tags"
MAX_TAGS = 50  # per resource, as AWS IoT allows
ARN = re.compile(r"arn:aws[a-z-]*:iot:([^:]+):(\d{12}):([A-Za-z]+)/(.+)")

# (account, region, name) -> does that resource exist?
Exists = Callable[[str, str, str], bool]


class TagStore:
    def __init__(self, ordered: OrderedStore) -> None:
        self.ordered = ordered
        self.kinds: dict[str, Exists] = {}

    def register(self, kind: str, exists: Exists) -> None:
        self.kinds[kind] = exists

    def resolve(self, arn: str) -> None:
        """Raises AWS's error when `arn` names no taggable resource that exists."""
        found = ARN.fullmatch(arn)
        if found is None or found.group(3) not in self.kinds:
            raise errors.invalid(f"Invalid resource ARN: {arn}")
        region, account, kind, name = found.groups()
        if not self.kinds[kind](account, region, name):
            raise errors.not_found(f"Resource {arn} cannot be found.")

    def get(self, arn: str) -> dict[str, str]:
        raw = self.ordered.get(TAGS, arn)
        found: dict[str, str] = json.loads(raw) if raw is not None else {}
        return found

    def put_change(self, arn: str, tags: Mapping[str, str]) -> Change:
        """The row change that sets `arn`'s tags to `tags` (none: the row goes)."""
        if len(tags) > MAX_TAGS:
            raise errors.limit(f"Tags per resource limit exceeded: at most {MAX_TAGS} tags.")
        return (TAGS, arn, json.dumps(dict(tags), separators=(",", ":")).encode() if tags else None)

    def drop_change(self, arn: str) -> Change:
        return (TAGS, arn, None)

    async def put(self, arn: str, tags: Mapping[str, str]) -> None:
        await self.ordered.write([self.put_change(arn, tags)])

    async def drop(self, arn: str) -> None:
        await self.ordered.write([self.drop_change(arn)])

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        await self.put(arn, {**self.get(arn), **tags})

    async def untag(self, arn: str, keys: Iterable[str]) -> None:
        current = self.get(arn)
        for key in keys:
            current.pop(key, None)
        await self.put(arn, current)


def tag_map(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    """The API's `[{"Key": k, "Value": v}]` as a dict (a later duplicate key wins)."""
    return {tag["Key"]: tag.get("Value") or "" for tag in tags or []}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
