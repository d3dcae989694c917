"""Things in static thing groups: Add/RemoveThingToThingGroup, UpdateThingGroupsForThing,
ListThingsInThingGroup (recursive too) and ListThingGroupsForThing.

AWS's rules: a thing is in at most 10 groups, and in at most one group of a hierarchy (two
groups under one root). A thing's groups live in its document; the group -> things index rows
change in the same write.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from headwater.engine.api import Change
from headwater.services.context import RequestContext
from headwater.services.iot.registry import errors, events
from headwater.services.iot.registry.groups import ancestors, descendants, name_and_arn
from headwater.services.iot.registry.keys import (
    GROUP_THINGS,
    THINGS,
    Doc,
    decode_token,
    encode,
    encode_token,
    namespace,
    page_size,
)
from headwater.services.iot.registry.store import RegistryStore

MAX_GROUPS = 10


def named(params: Doc, name_key: str, arn_key: str, what: str) -> str:
    """The resource a request names, by name or by ARN (`...:thinggroup/<name>`)."""
    if params.get(name_key):
        return str(params[name_key])
    if params.get(arn_key):
        return str(params[arn_key]).rpartition("/")[2]
    raise errors.invalid(f"Either {name_key} or {arn_key} must be specified for the {what}.")


def _root(store: RegistryStore, ctx: RequestContext, group: Doc) -> str:
    chain = ancestors(store, ctx, group)
    return str((chain[0] if chain else group)["thingGroupName"])


def _add(store: RegistryStore, ctx: RequestContext, thing: Doc, group: Doc) -> list[Change]:
    name = group["thingGroupName"]
    if name in thing["groups"]:
        return []
    if len(thing["groups"]) >= MAX_GROUPS:
        raise errors.invalid(
            f"Thing {thing['thingName']} can not be added to more than {MAX_GROUPS} thing groups."
        )
    root = _root(store, ctx, group)
    for other in thing["groups"]:
        doc = store.groups.get(namespace(ctx.account, ctx.region) + other)
        if doc is not None and _root(store, ctx, doc) == root:
            raise errors.invalid(
                f"Thing {thing['thingName']} is already in thing group {other} of the same hierarchy as {name}."
            )
    thing["groups"] = [*thing["groups"], name]
    return [(GROUP_THINGS, f"{namespace(ctx.account, ctx.region)}{name}/{thing['thingName']}", b"")]


def _remove(ctx: RequestContext, thing: Doc, group: str) -> list[Change]:
    if group not in thing["groups"]:
        return []
    thing["groups"] = [g for g in thing["groups"] if g != group]
    return [(GROUP_THINGS, f"{namespace(ctx.account, ctx.region)}{group}/{thing['thingName']}", None)]


async def _save(store: RegistryStore, ctx: RequestContext, thing: Doc, changes: list[Change]) -> None:
    if changes:
        changes.append((THINGS, namespace(ctx.account, ctx.region) + thing["thingName"], encode(thing)))
        await store.write(changes)


async def add_thing_to_thing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    group = store.group(
        ctx.account, ctx.region, named(params, "thingGroupName", "thingGroupArn", "thing group")
    )
    thing = store.existing_thing(ctx.account, ctx.region, named(params, "thingName", "thingArn", "thing"))
    changes = _add(store, ctx, thing, group)
    await _save(store, ctx, thing, changes)
    if changes:
        events.membership(store, ctx, "ADDED", group, thing)
    return {}


async def remove_thing_from_thing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    group = store.group(
        ctx.account, ctx.region, named(params, "thingGroupName", "thingGroupArn", "thing group")
    )
    thing = store.existing_thing(ctx.account, ctx.region, named(params, "thingName", "thingArn", "thing"))
    changes = _remove(ctx, thing, group["thingGroupName"])
    await _save(store, ctx, thing, changes)
    if changes:
        events.membership(store, ctx, "REMOVED", group, thing)
    return {}


async def update_thing_groups_for_thing(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    thing = store.existing_thing(ctx.account, ctx.region, named(params, "thingName", "thingArn", "thing"))
    removed = [store.group(ctx.account, ctx.region, g) for g in params.get("thingGroupsToRemove") or []]
    added = [store.group(ctx.account, ctx.region, g) for g in params.get("thingGroupsToAdd") or []]
    changes: list[Change] = []
    done: list[tuple[str, Doc]] = []
    for group in removed:
        if step := _remove(ctx, thing, group["thingGroupName"]):
            changes += step
            done.append(("REMOVED", group))
    for group in added:
        if step := _add(store, ctx, thing, group):
            changes += step
            done.append(("ADDED", group))
    await _save(store, ctx, thing, changes)
    for operation, group in done:
        events.membership(store, ctx, operation, group, thing)
    return {}


async def list_things_in_thing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingGroupName"]
    group = store.group(ctx.account, ctx.region, name)
    groups = [group, *descendants(store, ctx, name)] if params.get("recursive") else [group]
    ns = namespace(ctx.account, ctx.region)
    after = decode_token(params.get("nextToken"))
    # each group's index is in name order: merging them pages a recursive listing by thing name
    streams: list[Iterator[str]] = [
        store.suffixes(GROUP_THINGS, f"{ns}{g['thingGroupName']}/", after) for g in groups
    ]
    limit = page_size(params)
    things: list[str] = []
    more = False
    for thing in heapq.merge(*streams):
        if things and things[-1] == thing:
            continue
        if len(things) == limit:
            more = True
            break
        things.append(thing)
    out: Doc = {"things": things}
    if more:
        out["nextToken"] = encode_token(things[-1])
    return out


async def list_thing_groups_for_thing(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    thing = store.existing_thing(ctx.account, ctx.region, params["thingName"])
    after = decode_token(params.get("nextToken"))
    ns = namespace(ctx.account, ctx.region)
    # a group deleted half way (a crash) may still be named by its former members: skip it
    docs = [
        store.groups[ns + g]
        for g in sorted(thing["groups"])
        if (after is None or g > after) and ns + g in store.groups
    ]
    names = [d["thingGroupName"] for d in docs]
    limit = page_size(params)
    out: Doc = {"thingGroups": [name_and_arn(d) for d in docs[:limit]]}
    if len(docs) > limit:
        out["nextToken"] = encode_token(names[limit - 1])
    return out
