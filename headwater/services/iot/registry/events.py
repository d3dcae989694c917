"""Registry events: which kinds an account turned on (Update/DescribeEventConfigurations), and
the messages AWS IoT publishes on `$aws/events/...` for them, through the broker's publisher.

Events are off by default (as in AWS) and dropped while no broker is wired in.
"""

from __future__ import annotations

import json
from typing import Any

from headwater.runtime.ids import new_uuid
from headwater.services.context import RequestContext
from headwater.services.iot.registry.keys import EVENT_CONFIG, Doc, namespace
from headwater.services.iot.registry.store import RegistryStore

EVENT_TYPES = (
    "THING",
    "THING_GROUP",
    "THING_TYPE",
    "THING_GROUP_MEMBERSHIP",
    "THING_GROUP_HIERARCHY",
    "THING_TYPE_ASSOCIATION",
    "JOB",
    "JOB_EXECUTION",
    "POLICY",
    "CERTIFICATE",
    "CA_CERTIFICATE",
)


def enabled(store: RegistryStore, account: str, region: str, kind: str) -> bool:
    doc = store.event_config.get(namespace(account, region))
    return bool(doc and doc["enabled"].get(kind))


def publish(store: RegistryStore, ctx: RequestContext, kind: str, topic: str, body: dict[str, Any]) -> None:
    """Publishes `body` (with the common fields added) when `kind` is on and a broker is wired."""
    if store.publisher is None or not enabled(store, ctx.account, ctx.region, kind):
        return
    payload = {"eventType": f"{kind}_EVENT", "eventId": new_uuid(), "timestamp": store.clock.now_ms(), **body}
    if kind != "THING_TYPE_ASSOCIATION":  # that event alone carries no account id
        payload.setdefault("accountId", ctx.account)
    store.publisher.publish_event(ctx.account, ctx.region, topic, json.dumps(payload).encode())


def thing_event(store: RegistryStore, ctx: RequestContext, operation: str, thing: Doc) -> None:
    publish(
        store,
        ctx,
        "THING",
        f"$aws/events/thing/{thing['thingName']}/{operation.lower()}",
        {
            "operation": operation,
            "accountId": ctx.account,
            "thingId": thing["thingId"],
            "thingName": thing["thingName"],
            "versionNumber": thing["version"],
            "thingTypeName": thing.get("thingTypeName"),
            "attributes": thing.get("attributes", {}),
        },
    )


def type_association(
    store: RegistryStore, ctx: RequestContext, operation: str, thing: Doc, type_name: str
) -> None:
    publish(
        store,
        ctx,
        "THING_TYPE_ASSOCIATION",
        f"$aws/events/thingTypeAssociation/thing/{thing['thingName']}/{type_name}",
        {
            "operation": operation,
            "thingId": thing["thingId"],
            "thingName": thing["thingName"],
            "thingTypeName": type_name,
        },
    )


def membership(store: RegistryStore, ctx: RequestContext, operation: str, group: Doc, thing: Doc) -> None:
    publish(
        store,
        ctx,
        "THING_GROUP_MEMBERSHIP",
        f"$aws/events/thingGroupMembership/thingGroup/{group['thingGroupName']}/thing/"
        f"{thing['thingName']}/{operation.lower()}",
        {
            "operation": operation,
            "groupArn": group["thingGroupArn"],
            "groupId": group["thingGroupId"],
            "thingArn": thing["thingArn"],
            "thingId": thing["thingId"],
            "membershipId": new_uuid(),
        },
    )


def hierarchy(store: RegistryStore, ctx: RequestContext, operation: str, parent: Doc, child: Doc) -> None:
    publish(
        store,
        ctx,
        "THING_GROUP_HIERARCHY",
        f"$aws/events/thingGroupHierarchy/thingGroup/{parent['thingGroupName']}/childThingGroup/"
        f"{child['thingGroupName']}/{operation.lower()}",
        {
            "operation": operation,
            "thingGroupId": parent["thingGroupId"],
            "thingGroupName": parent["thingGroupName"],
            "childGroupId": child["thingGroupId"],
            "childGroupName": child["thingGroupName"],
        },
    )


# -- the operations ---------------------------------------------------------------------------


async def update_event_configurations(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    key = namespace(ctx.account, ctx.region)
    now = store.now()
    doc = store.event_config.get(key) or {"enabled": {}, "created": now}
    settings = dict(doc["enabled"])
    for kind, config in (params.get("eventConfigurations") or {}).items():
        settings[kind] = bool((config or {}).get("Enabled"))
    await store.put_resident(EVENT_CONFIG, key, {**doc, "enabled": settings, "modified": now})
    return {}


async def describe_event_configurations(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    doc = store.event_config.get(namespace(ctx.account, ctx.region))
    settings = doc["enabled"] if doc else {}
    out: Doc = {"eventConfigurations": {kind: {"Enabled": bool(settings.get(kind))} for kind in EVENT_TYPES}}
    if doc:
        out["creationDate"] = doc["created"]
        out["lastModifiedDate"] = doc["modified"]
    return out
