"""Static thing groups and their hierarchy: Create (under a parent, 7 levels at most), Describe
(with the root-to-parent path), Update, Delete (leaves only, as AWS) and ListThingGroups."""

from __future__ import annotations

from headwater.engine.api import Change
from headwater.runtime.ids import new_uuid
from headwater.services.context import RequestContext
from headwater.services.iot.registry import attributes, errors, events
from headwater.services.iot.registry.keys import (
    GROUP_THINGS,
    GROUPS,
    Doc,
    arn,
    decode_token,
    encode,
    encode_token,
    namespace,
    page_size,
)
from headwater.services.iot.registry.keys import THINGS as THING_ROWS
from headwater.services.iot.registry.store import RegistryStore
from headwater.services.iot.registry.tags import tag_map

MAX_DEPTH = 7


def ancestors(store: RegistryStore, ctx: RequestContext, doc: Doc) -> list[Doc]:
    """The group's ancestors, root first."""
    chain: list[Doc] = []
    parent = doc.get("parentGroupName")
    while parent:
        found = store.groups.get(namespace(ctx.account, ctx.region) + parent)
        if found is None or len(chain) > MAX_DEPTH:
            break
        chain.insert(0, found)
        parent = found.get("parentGroupName")
    return chain


def children(store: RegistryStore, ctx: RequestContext, name: str | None) -> list[Doc]:
    return [
        doc
        for _, doc in store.in_namespace(store.groups, ctx.account, ctx.region)
        if doc.get("parentGroupName") == name
    ]


def descendants(store: RegistryStore, ctx: RequestContext, name: str) -> list[Doc]:
    found: list[Doc] = []
    for child in children(store, ctx, name):
        found.append(child)
        found.extend(descendants(store, ctx, child["thingGroupName"]))
    return found


def _properties(params: Doc) -> Doc:
    props = dict(params.get("thingGroupProperties") or {})
    if props.get("attributePayload") is not None:
        payload = props["attributePayload"]
        props["attributePayload"] = {"attributes": attributes.created(payload)}
    return props


def _event(store: RegistryStore, ctx: RequestContext, operation: str, doc: Doc) -> None:
    chain = ancestors(store, ctx, doc)
    props = doc["thingGroupProperties"]
    events.publish(
        store,
        ctx,
        "THING_GROUP",
        f"$aws/events/thingGroup/{doc['thingGroupName']}/{operation.lower()}",
        {
            "operation": operation,
            "thingGroupId": doc["thingGroupId"],
            "thingGroupName": doc["thingGroupName"],
            "versionNumber": doc["version"],
            "parentGroupName": doc.get("parentGroupName"),
            "parentGroupId": chain[-1]["thingGroupId"] if chain else None,
            "description": props.get("thingGroupDescription"),
            "rootToParentThingGroups": [
                {"groupArn": g["thingGroupArn"], "groupId": g["thingGroupId"]} for g in chain
            ],
            "attributes": (props.get("attributePayload") or {}).get("attributes", {}),
            "dynamicGroupMappingId": None,
        },
    )


def _created(doc: Doc) -> Doc:
    return {key: doc[key] for key in ("thingGroupName", "thingGroupArn", "thingGroupId")}


async def create_thing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingGroupName"]
    ns = namespace(ctx.account, ctx.region)
    parent_name = params.get("parentGroupName")
    props = _properties(params)
    existing = store.groups.get(ns + name)
    if existing is not None:
        if existing["thingGroupProperties"] != props or existing.get("parentGroupName") != parent_name:
            raise errors.exists(
                f"Thing Group {name} already exists in account with different properties",
                existing["thingGroupId"],
                existing["thingGroupArn"],
            )
        return _created(existing)
    parent = None
    if parent_name:
        parent = store.group(ctx.account, ctx.region, parent_name)
        if len(ancestors(store, ctx, parent)) + 1 >= MAX_DEPTH:
            raise errors.invalid(f"Thing group hierarchy can not be deeper than {MAX_DEPTH} levels.")
    doc: Doc = {
        "thingGroupName": name,
        "thingGroupId": new_uuid(),
        "thingGroupArn": arn(ctx.region, ctx.account, "thinggroup", name),
        "version": 1,
        "thingGroupProperties": props,
        "created": store.now(),
    }
    if parent_name:
        doc["parentGroupName"] = parent_name
    # resident first: the dict changes before the first await, so a second create sees this one
    await store.put_resident(GROUPS, ns + name, doc)
    tags = tag_map(params.get("tags"))
    if tags:
        await store.tags.put(doc["thingGroupArn"], tags)
    _event(store, ctx, "CREATED", doc)
    if parent is not None:
        events.hierarchy(store, ctx, "ADDED", parent, doc)
    return _created(doc)


def name_and_arn(doc: Doc) -> Doc:
    return {"groupName": doc["thingGroupName"], "groupArn": doc["thingGroupArn"]}


async def describe_thing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    doc = store.group(ctx.account, ctx.region, params["thingGroupName"])
    metadata: Doc = {
        "rootToParentThingGroups": [name_and_arn(g) for g in ancestors(store, ctx, doc)],
        "creationDate": doc["created"],
    }
    if doc.get("parentGroupName"):
        metadata["parentGroupName"] = doc["parentGroupName"]
    return {
        "thingGroupName": doc["thingGroupName"],
        "thingGroupId": doc["thingGroupId"],
        "thingGroupArn": doc["thingGroupArn"],
        "version": doc["version"],
        "thingGroupProperties": doc["thingGroupProperties"],
        "thingGroupMetadata": metadata,
    }


async def update_thing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingGroupName"]
    old = store.group(ctx.account, ctx.region, name)
    attributes.check_version(params, old["version"], "thing group", name)
    given = params.get("thingGroupProperties") or {}
    props = dict(old["thingGroupProperties"])
    if "thingGroupDescription" in given:
        props["thingGroupDescription"] = given["thingGroupDescription"]
    if given.get("attributePayload") is not None:
        current = (props.get("attributePayload") or {}).get("attributes", {})
        props["attributePayload"] = {"attributes": attributes.apply(current, given["attributePayload"])}
    doc = {**old, "thingGroupProperties": props, "version": old["version"] + 1}
    await store.put_resident(GROUPS, namespace(ctx.account, ctx.region) + name, doc)
    _event(store, ctx, "UPDATED", doc)
    return {"version": doc["version"]}


async def delete_thing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingGroupName"]
    ns = namespace(ctx.account, ctx.region)
    doc = store.groups.get(ns + name)
    if doc is None:
        return {}  # AWS: deleting a group that does not exist succeeds
    attributes.check_version(params, doc["version"], "thing group", name)
    if children(store, ctx, name):
        raise errors.invalid(
            f"Cannot delete thing group : {name} when there are still child groups attached to it"
        )
    # the members leave the group, a batch at a time (each thing's own list of groups too)
    prefix = f"{ns}{name}/"
    while rows := store.ordered.scan_range(GROUP_THINGS, None, prefix, 500):
        changes: list[Change] = []
        for key, _ in rows:
            thing = store.thing(ctx.account, ctx.region, key[len(prefix) :])
            if thing is not None and name in thing.get("groups", []):
                thing["groups"] = [g for g in thing["groups"] if g != name]
                changes.append((THING_ROWS, ns + thing["thingName"], encode(thing)))
            changes.append((GROUP_THINGS, key, None))
        await store.write(changes)
    await store.drop_resident(GROUPS, ns + name)
    await store.tags.drop(doc["thingGroupArn"])
    _event(store, ctx, "DELETED", doc)
    parent = store.groups.get(ns + doc["parentGroupName"]) if doc.get("parentGroupName") else None
    if parent is not None:
        events.hierarchy(store, ctx, "REMOVED", parent, doc)
    return {}


async def list_thing_groups(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    parent = params.get("parentGroup")
    recursive = params.get("recursive")
    if parent:
        store.group(ctx.account, ctx.region, parent)
        docs = descendants(store, ctx, parent) if recursive else children(store, ctx, parent)
    elif recursive is False:
        docs = children(store, ctx, None)  # the roots only
    else:
        docs = [doc for _, doc in store.in_namespace(store.groups, ctx.account, ctx.region)]
    prefix = params.get("namePrefixFilter") or ""
    after = decode_token(params.get("nextToken"))
    docs = sorted(
        (
            d
            for d in docs
            if d["thingGroupName"].startswith(prefix) and (after is None or d["thingGroupName"] > after)
        ),
        key=lambda d: str(d["thingGroupName"]),
    )
    limit = page_size(params)
    out: Doc = {"thingGroups": [name_and_arn(d) for d in docs[:limit]]}
    if len(docs) > limit:
        out["nextToken"] = encode_token(docs[limit - 1]["thingGroupName"])
    return out
