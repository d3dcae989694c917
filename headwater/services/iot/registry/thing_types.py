"""Thing types: Create, Describe, List, Update (searchable attributes), Deprecate (and undo),
Delete.

AWS's rules: a deprecated type takes no new things (existing ones keep it); a type is deleted
only once deprecated, no thing uses it, and five minutes have passed since the deprecation.
Headwater keeps the five minutes on its clock (the test clock's `advance` skips them), so code
that waits as AWS requires works unchanged and code that does not fails here as it would there.
"""

from __future__ import annotations

from headwater.runtime.ids import new_uuid
from headwater.services.context import RequestContext
from headwater.services.iot.registry import errors, events
from headwater.services.iot.registry.keys import (
    TYPE_THINGS,
    TYPES,
    Doc,
    arn,
    decode_token,
    encode_token,
    namespace,
    page_size,
)
from headwater.services.iot.registry.store import RegistryStore
from headwater.services.iot.registry.tags import tag_map

DELETE_AFTER_DEPRECATION = 300.0  # seconds
MAX_SEARCHABLE = 3


def _properties(params: Doc) -> Doc:
    props = dict(params.get("thingTypeProperties") or {})
    if len(props.get("searchableAttributes") or []) > MAX_SEARCHABLE:
        raise errors.invalid(f"A thing type can have at most {MAX_SEARCHABLE} searchable attributes.")
    return props


def _event(store: RegistryStore, ctx: RequestContext, operation: str, doc: Doc) -> None:
    props = doc["thingTypeProperties"]
    events.publish(
        store,
        ctx,
        "THING_TYPE",
        f"$aws/events/thingType/{doc['thingTypeName']}/{operation.lower()}",
        {
            "operation": operation,
            "thingTypeId": doc["thingTypeId"],
            "thingTypeName": doc["thingTypeName"],
            "isDeprecated": doc["deprecated"],
            "deprecationDate": int(doc["deprecationDate"] * 1000) if doc.get("deprecationDate") else None,
            "searchableAttributes": props.get("searchableAttributes", []),
            "description": props.get("thingTypeDescription"),
        },
    )


async def create_thing_type(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingTypeName"]
    key = namespace(ctx.account, ctx.region) + name
    props = _properties(params)
    existing = store.types.get(key)
    if existing is not None:
        if existing["thingTypeProperties"] != props:
            raise errors.exists(
                f"Thing Type {name} already exists in account with different properties",
                existing["thingTypeId"],
                existing["thingTypeArn"],
            )
        return {key_: existing[key_] for key_ in ("thingTypeName", "thingTypeArn", "thingTypeId")}
    doc: Doc = {
        "thingTypeName": name,
        "thingTypeId": new_uuid(),
        "thingTypeArn": arn(ctx.region, ctx.account, "thingtype", name),
        "thingTypeProperties": props,
        "deprecated": False,
        "created": store.now(),
    }
    # resident first: the dict changes before the first await, so a second create sees this one
    await store.put_resident(TYPES, key, doc)
    tags = tag_map(params.get("tags"))
    if tags:
        await store.tags.put(doc["thingTypeArn"], tags)
    _event(store, ctx, "CREATED", doc)
    return {key_: doc[key_] for key_ in ("thingTypeName", "thingTypeArn", "thingTypeId")}


def _definition(doc: Doc) -> Doc:
    metadata: Doc = {"deprecated": doc["deprecated"], "creationDate": doc["created"]}
    if doc.get("deprecationDate"):
        metadata["deprecationDate"] = doc["deprecationDate"]
    return {
        "thingTypeName": doc["thingTypeName"],
        "thingTypeArn": doc["thingTypeArn"],
        "thingTypeProperties": doc["thingTypeProperties"],
        "thingTypeMetadata": metadata,
    }


async def describe_thing_type(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    doc = store.thing_type(ctx.account, ctx.region, params["thingTypeName"])
    return {"thingTypeId": doc["thingTypeId"], **_definition(doc)}


async def list_thing_types(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    after = decode_token(params.get("nextToken"))
    wanted = params.get("thingTypeName")
    docs = [
        doc
        for _, doc in store.in_namespace(store.types, ctx.account, ctx.region)
        if (wanted is None or doc["thingTypeName"] == wanted)
        and (after is None or doc["thingTypeName"] > after)
    ]
    limit = page_size(params)
    out: Doc = {"thingTypes": [_definition(doc) for doc in docs[:limit]]}
    if len(docs) > limit:
        out["nextToken"] = encode_token(docs[limit - 1]["thingTypeName"])
    return out


async def update_thing_type(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingTypeName"]
    doc = dict(store.thing_type(ctx.account, ctx.region, name))
    doc["thingTypeProperties"] = {**doc["thingTypeProperties"], **_properties(params)}
    await store.put_resident(TYPES, namespace(ctx.account, ctx.region) + name, doc)
    _event(store, ctx, "UPDATED", doc)
    return {}


async def deprecate_thing_type(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingTypeName"]
    doc = dict(store.thing_type(ctx.account, ctx.region, name))
    if params.get("undoDeprecate"):
        doc["deprecated"] = False
        doc.pop("deprecationDate", None)
    else:
        doc["deprecated"] = True
        doc["deprecationDate"] = store.now()
    await store.put_resident(TYPES, namespace(ctx.account, ctx.region) + name, doc)
    _event(store, ctx, "UPDATED", doc)
    return {}


async def delete_thing_type(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name = params["thingTypeName"]
    ns = namespace(ctx.account, ctx.region)
    doc = store.thing_type(ctx.account, ctx.region, name)
    if not doc["deprecated"]:
        raise errors.invalid(f"Thing type {name} must be deprecated before it can be deleted.")
    if store.now() - doc["deprecationDate"] < DELETE_AFTER_DEPRECATION:
        raise errors.invalid("Please wait for 5 minutes after deprecation and then retry")
    if store.any_row(TYPE_THINGS, f"{ns}{name}/"):
        raise errors.invalid(f"Can not delete thing type {name} with things associated to it")
    await store.drop_resident(TYPES, ns + name)
    await store.tags.drop(doc["thingTypeArn"])
    _event(store, ctx, "DELETED", doc)
    return {}
