"""CreateThing, DescribeThing, UpdateThing, DeleteThing and ListThings."""

from __future__ import annotations

from collections.abc import Iterator

from headwater.engine.api import Change
from headwater.runtime.ids import new_uuid
from headwater.services.context import RequestContext
from headwater.services.iot.registry import attributes, errors, events
from headwater.services.iot.registry.keys import (
    BILLING_THINGS,
    GROUP_THINGS,
    THING_PRINCIPALS,
    THINGS,
    TYPE_THINGS,
    Doc,
    arn,
    decode,
    decode_token,
    encode,
    encode_token,
    namespace,
    page_size,
)
from headwater.services.iot.registry.store import RegistryStore

SCAN_LIMIT = 10_000  # rows a filtered ListThings page reads before it answers with what it found


def thing_changes(
    store: RegistryStore, ctx: RequestContext, old: Doc | None, new: Doc | None
) -> list[Change]:
    """The rows that turn `old` into `new` (either None: created or deleted): the thing and its
    type and billing-group index rows."""
    ns = namespace(ctx.account, ctx.region)
    name = (new or old or {})["thingName"]
    changes: list[Change] = [(THINGS, ns + name, encode(new) if new is not None else None)]
    for field, table in (("thingTypeName", TYPE_THINGS), ("billingGroupName", BILLING_THINGS)):
        before = old.get(field) if old else None
        after = new.get(field) if new else None
        if before != after:
            if before:
                changes.append((table, f"{ns}{before}/{name}", None))
            if after:
                changes.append((table, f"{ns}{after}/{name}", b""))
    return changes


def _usable_type(store: RegistryStore, ctx: RequestContext, name: str) -> None:
    doc = store.thing_type(ctx.account, ctx.region, name)
    if doc["deprecated"]:
        raise errors.invalid(f"Can not create new thing with deprecated thing type:{name}")


async def create_thing(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingName"]
    type_name = params.get("thingTypeName")
    billing = params.get("billingGroupName")
    attrs = attributes.created(params.get("attributePayload"))
    existing = store.thing(ctx.account, ctx.region, name)
    if existing is not None:
        # AWS: the same name and configuration again succeeds; another configuration conflicts
        same = (
            existing.get("thingTypeName") == type_name
            and existing.get("attributes", {}) == attrs
            and (billing is None or existing.get("billingGroupName") == billing)
        )
        if not same:
            raise errors.exists(
                f"Thing {name} already exists in account with different attributes",
                existing["thingId"],
                existing["thingArn"],
            )
        return {"thingName": name, "thingArn": existing["thingArn"], "thingId": existing["thingId"]}
    if type_name:
        _usable_type(store, ctx, type_name)
    if billing:
        store.billing_group(ctx.account, ctx.region, billing)
    attributes.check_count(attrs, bool(type_name))
    doc: Doc = {
        "thingName": name,
        "thingId": new_uuid(),
        "thingArn": arn(ctx.region, ctx.account, "thing", name),
        "attributes": attrs,
        "version": 1,
        "groups": [],
    }
    if type_name:
        doc["thingTypeName"] = type_name
    if billing:
        doc["billingGroupName"] = billing
    await store.write(thing_changes(store, ctx, None, doc))
    events.thing_event(store, ctx, "CREATED", doc)
    if type_name:
        events.type_association(store, ctx, "CREATED", doc, type_name)
    return {"thingName": name, "thingArn": doc["thingArn"], "thingId": doc["thingId"]}


def describe(doc: Doc) -> Doc:
    out: Doc = {
        "defaultClientId": doc["thingName"],
        "thingName": doc["thingName"],
        "thingId": doc["thingId"],
        "thingArn": doc["thingArn"],
        "attributes": doc.get("attributes", {}),
        "version": doc["version"],
    }
    for field in ("thingTypeName", "billingGroupName"):
        if doc.get(field):
            out[field] = doc[field]
    return out


async def describe_thing(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    return describe(store.existing_thing(ctx.account, ctx.region, params["thingName"]))


async def update_thing(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingName"]
    old = store.existing_thing(ctx.account, ctx.region, name)
    attributes.check_version(params, old["version"], "thing", name)
    type_name = params.get("thingTypeName")
    if type_name and params.get("removeThingType"):
        raise errors.invalid("Cannot specify both thingTypeName and removeThingType")
    new = dict(old)
    if params.get("removeThingType"):
        new.pop("thingTypeName", None)
    elif type_name and type_name != old.get("thingTypeName"):
        _usable_type(store, ctx, type_name)
        new["thingTypeName"] = type_name
    new["attributes"] = attributes.apply(old.get("attributes", {}), params.get("attributePayload"))
    attributes.check_count(new["attributes"], bool(new.get("thingTypeName")))
    new["version"] = old["version"] + 1
    await store.write(thing_changes(store, ctx, old, new))
    events.thing_event(store, ctx, "UPDATED", new)
    before, after = old.get("thingTypeName"), new.get("thingTypeName")
    if before != after:
        if before:
            events.type_association(store, ctx, "DELETED", new, before)
        if after:
            events.type_association(store, ctx, "CREATED", new, after)
    return {}


async def delete_thing(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingName"]
    old = store.thing(ctx.account, ctx.region, name)
    if old is None:
        return {}  # AWS: deleting a thing that does not exist succeeds
    attributes.check_version(params, old["version"], "thing", name)
    ns = namespace(ctx.account, ctx.region)
    if store.any_row(THING_PRINCIPALS, f"{ns}{name}/"):
        raise errors.invalid(f"Cannot delete thing {name} as it has principals attached to it")
    changes = thing_changes(store, ctx, old, None)
    changes += [(GROUP_THINGS, f"{ns}{group}/{name}", None) for group in old.get("groups", [])]
    changes.append(store.tags.drop_change(old["thingArn"]))
    await store.write(changes)
    events.thing_event(store, ctx, "DELETED", old)
    return {}


def _listed(doc: Doc) -> Doc:
    out = {key: doc[key] for key in ("thingName", "thingArn", "version")}
    out["attributes"] = doc.get("attributes", {})
    if doc.get("thingTypeName"):
        out["thingTypeName"] = doc["thingTypeName"]
    return out


def _candidates(
    store: RegistryStore, ctx: RequestContext, type_name: str | None, after: str | None
) -> Iterator[Doc]:
    ns = namespace(ctx.account, ctx.region)
    if type_name:
        for thing in store.suffixes(TYPE_THINGS, f"{ns}{type_name}/", after):
            doc = store.thing(ctx.account, ctx.region, thing)
            if doc is not None:
                yield doc
    else:
        for _, raw in store.rows(THINGS, ns, ns + after if after is not None else None):
            yield decode(raw)


async def list_things(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    after = decode_token(params.get("nextToken"))
    limit = page_size(params)
    attr, value = params.get("attributeName"), params.get("attributeValue")
    prefix = bool(params.get("usePrefixAttributeValue"))
    found: list[Doc] = []
    scanned = 0
    last: str | None = None
    more = False
    for doc in _candidates(store, ctx, params.get("thingTypeName"), after):
        if len(found) == limit or scanned == SCAN_LIMIT:
            more = True
            break
        scanned += 1
        last = doc["thingName"]
        if attr is not None:
            have = doc.get("attributes", {}).get(attr)
            if have is None or (
                value is not None and not (have.startswith(value) if prefix else have == value)
            ):
                continue
        found.append(_listed(doc))
    out: Doc = {"things": found}
    if more and last is not None:
        out["nextToken"] = encode_token(last)
    return out
