"""Billing groups: Create, Describe, Update, Delete, List, and their things (a thing is in at
most one billing group: adding it to another moves it)."""

from __future__ import annotations

from headwater.engine.api import Change
from headwater.runtime.ids import new_uuid
from headwater.services.context import RequestContext
from headwater.services.iot.registry import attributes, errors
from headwater.services.iot.registry.keys import (
    BILLING,
    BILLING_THINGS,
    THINGS,
    Doc,
    arn,
    decode_token,
    encode,
    encode_token,
    namespace,
    page_size,
)
from headwater.services.iot.registry.membership import named
from headwater.services.iot.registry.store import RegistryStore
from headwater.services.iot.registry.tags import tag_map
from headwater.services.iot.registry.things import thing_changes


def _created(doc: Doc) -> Doc:
    return {key: doc[key] for key in ("billingGroupName", "billingGroupArn", "billingGroupId")}


async def create_billing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["billingGroupName"]
    key = namespace(ctx.account, ctx.region) + name
    props = dict(params.get("billingGroupProperties") or {})
    existing = store.billing.get(key)
    if existing is not None:
        if existing["billingGroupProperties"] != props:
            raise errors.exists(
                f"Billing Group {name} already exists in account with different properties",
                existing["billingGroupId"],
                existing["billingGroupArn"],
            )
        return _created(existing)
    doc: Doc = {
        "billingGroupName": name,
        "billingGroupId": new_uuid(),
        "billingGroupArn": arn(ctx.region, ctx.account, "billinggroup", name),
        "version": 1,
        "billingGroupProperties": props,
        "created": store.now(),
    }
    # resident first: the dict changes before the first await, so a second create sees this one
    await store.put_resident(BILLING, key, doc)
    tags = tag_map(params.get("tags"))
    if tags:
        await store.tags.put(doc["billingGroupArn"], tags)
    return _created(doc)


async def describe_billing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    doc = store.billing_group(ctx.account, ctx.region, params["billingGroupName"])
    return {
        **_created(doc),
        "version": doc["version"],
        "billingGroupProperties": doc["billingGroupProperties"],
        "billingGroupMetadata": {"creationDate": doc["created"]},
    }


async def update_billing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["billingGroupName"]
    old = store.billing_group(ctx.account, ctx.region, name)
    attributes.check_version(params, old["version"], "billing group", name)
    props = {**old["billingGroupProperties"], **(params.get("billingGroupProperties") or {})}
    doc = {**old, "billingGroupProperties": props, "version": old["version"] + 1}
    await store.put_resident(BILLING, namespace(ctx.account, ctx.region) + name, doc)
    return {"version": doc["version"]}


async def delete_billing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["billingGroupName"]
    ns = namespace(ctx.account, ctx.region)
    doc = store.billing.get(ns + name)
    if doc is None:
        return {}  # AWS: deleting a billing group that does not exist succeeds
    attributes.check_version(params, doc["version"], "billing group", name)
    prefix = f"{ns}{name}/"
    while rows := store.ordered.scan_range(BILLING_THINGS, None, prefix, 500):
        changes: list[Change] = []
        for key, _ in rows:
            thing = store.thing(ctx.account, ctx.region, key[len(prefix) :])
            if thing is not None and thing.get("billingGroupName") == name:
                del thing["billingGroupName"]
                changes.append((THINGS, ns + thing["thingName"], encode(thing)))
            changes.append((BILLING_THINGS, key, None))
        await store.write(changes)
    await store.drop_resident(BILLING, ns + name)
    await store.tags.drop(doc["billingGroupArn"])
    return {}


async def list_billing_groups(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    prefix = params.get("namePrefixFilter") or ""
    after = decode_token(params.get("nextToken"))
    docs = [
        doc
        for _, doc in store.in_namespace(store.billing, ctx.account, ctx.region)
        if doc["billingGroupName"].startswith(prefix) and (after is None or doc["billingGroupName"] > after)
    ]
    limit = page_size(params)
    out: Doc = {
        "billingGroups": [
            {"groupName": d["billingGroupName"], "groupArn": d["billingGroupArn"]} for d in docs[:limit]
        ]
    }
    if len(docs) > limit:
        out["nextToken"] = encode_token(docs[limit - 1]["billingGroupName"])
    return out


async def add_thing_to_billing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    group = store.billing_group(
        ctx.account, ctx.region, named(params, "billingGroupName", "billingGroupArn", "billing group")
    )
    old = store.existing_thing(ctx.account, ctx.region, named(params, "thingName", "thingArn", "thing"))
    if old.get("billingGroupName") != group["billingGroupName"]:
        new = {**old, "billingGroupName": group["billingGroupName"]}
        await store.write(thing_changes(store, ctx, old, new))
    return {}


async def remove_thing_from_billing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    group = store.billing_group(
        ctx.account, ctx.region, named(params, "billingGroupName", "billingGroupArn", "billing group")
    )
    old = store.existing_thing(ctx.account, ctx.region, named(params, "thingName", "thingArn", "thing"))
    if old.get("billingGroupName") == group["billingGroupName"]:
        new = {key: value for key, value in old.items() if key != "billingGroupName"}
        await store.write(thing_changes(store, ctx, old, new))
    return {}


async def list_things_in_billing_group(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["billingGroupName"]
    store.billing_group(ctx.account, ctx.region, name)
    after = decode_token(params.get("nextToken"))
    limit = page_size(params)
    things: list[str] = []
    more = False
    for thing in store.suffixes(BILLING_THINGS, f"{namespace(ctx.account, ctx.region)}{name}/", after):
        if len(things) == limit:
            more = True
            break
        things.append(thing)
    out: Doc = {"things": things}
    if more:
        out["nextToken"] = encode_token(things[-1])
    return out
