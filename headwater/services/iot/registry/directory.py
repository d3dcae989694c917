"""The registry as the policy engine sees it (`contracts.ThingDirectory`)."""

from __future__ import annotations

from headwater.services.iot.contracts import ThingInfo
from headwater.services.iot.registry.keys import namespace
from headwater.services.iot.registry.principals import EXCLUSIVE, attachments
from headwater.services.iot.registry.store import RegistryStore


class RegistryDirectory:
    def __init__(self, store: RegistryStore) -> None:
        self.store = store

    def thing(self, account: str, region: str, name: str) -> ThingInfo | None:
        doc = self.store.thing(account, region, name)
        if doc is None:
            return None
        return ThingInfo(
            doc["thingName"], doc["thingArn"], doc.get("thingTypeName"), dict(doc.get("attributes", {}))
        )

    def things_of_principal(self, account: str, region: str, principal_arn: str) -> list[str]:
        return [thing for thing, _ in attachments(self.store, account, region, principal_arn)]

    def is_exclusively_attached(self, account: str, region: str, principal_arn: str, thing: str) -> bool:
        return any(
            name == thing and kind == EXCLUSIVE
            for name, kind in attachments(self.store, account, region, principal_arn)
        )

    def groups_of_thing(self, account: str, region: str, thing: str) -> list[str]:
        doc = self.store.thing(account, region, thing)
        if doc is None:
            return []
        ns = namespace(account, region)
        arns: list[str] = []
        for name in doc.get("groups", []):
            group = self.store.groups.get(ns + name)
            while group is not None and group["thingGroupArn"] not in arns:
                arns.append(group["thingGroupArn"])
                parent = group.get("parentGroupName")
                group = self.store.groups.get(ns + parent) if parent else None
        return arns

    def parent_groups(self, account: str, region: str, group_arn: str) -> list[str]:
        """A thing group's ancestors' ARNs, nearest first (ListAttachedPolicies recursive)."""
        ns = namespace(account, region)
        name = group_arn.rpartition("/")[2]
        group = self.store.groups.get(ns + name)
        arns: list[str] = []
        while group is not None:
            parent = group.get("parentGroupName")
            group = self.store.groups.get(ns + parent) if parent else None
            if group is None or group["thingGroupArn"] in arns:
                break
            arns.append(group["thingGroupArn"])
        return arns
