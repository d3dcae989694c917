"""Where policies, their versions and their attachments live: resident (policies are few; AWS
allows a few hundred per account) and in the metadata store, written before an operation answers.

A policy's record holds every version's document. Attachments are kept per policy (the targets in
the order they were attached) with an index by target in memory, so the authorizer's question
"which policies apply to these targets" is a few dict lookups.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from headwater.engine.api import MetaStore

POLICIES = "iot.policies"
TARGETS = "iot.policy.targets"

Doc = dict[str, Any]


def _key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


class PolicyStore:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta
        self.policies: dict[str, Doc] = {}
        self.targets: dict[str, list[str]] = {}  # policy key -> target ARNs/ids in attach order
        self.by_target: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # -> policy names

    def load(self) -> None:
        self.policies = {key: json.loads(raw) for key, raw in self.meta.scan(POLICIES)}
        self.targets = {key: json.loads(raw) for key, raw in self.meta.scan(TARGETS)}
        self.by_target.clear()
        for key, targets in self.targets.items():
            account, region, name = key.split("/", 2)
            for target in targets:
                self.by_target[(account, region, target)].append(name)

    def clear(self) -> None:
        self.policies.clear()
        self.targets.clear()
        self.by_target.clear()

    # -- policies -----------------------------------------------------------------------------------

    def get(self, account: str, region: str, name: str) -> Doc | None:
        return self.policies.get(_key(account, region, name))

    def of(self, account: str, region: str) -> list[Doc]:
        prefix = f"{account}/{region}/"
        return [doc for key, doc in self.policies.items() if key.startswith(prefix)]

    async def put(self, doc: Doc) -> None:
        key = _key(doc["account"], doc["region"], doc["policyName"])
        self.policies[key] = doc
        await self.meta.put(POLICIES, key, json.dumps(doc).encode())

    async def delete(self, doc: Doc) -> None:
        key = _key(doc["account"], doc["region"], doc["policyName"])
        self.policies.pop(key, None)
        await self.meta.delete(POLICIES, key)
        if self.targets.pop(key, None) is not None:
            await self.meta.delete(TARGETS, key)

    # -- attachments --------------------------------------------------------------------------------

    def targets_of(self, account: str, region: str, name: str) -> list[str]:
        return list(self.targets.get(_key(account, region, name), ()))

    def policies_of(self, account: str, region: str, target: str) -> list[str]:
        return list(self.by_target.get((account, region, target), ()))

    async def attach(self, account: str, region: str, name: str, target: str) -> None:
        key = _key(account, region, name)
        targets = self.targets.setdefault(key, [])
        if target in targets:
            return
        targets.append(target)
        self.by_target[(account, region, target)].append(name)
        await self.meta.put(TARGETS, key, json.dumps(targets).encode())

    async def detach(self, account: str, region: str, name: str, target: str) -> bool:
        key = _key(account, region, name)
        targets = self.targets.get(key, [])
        if target not in targets:
            return False
        targets.remove(target)
        names = self.by_target.get((account, region, target), [])
        if name in names:
            names.remove(name)
        if not names:
            self.by_target.pop((account, region, target), None)
        if targets:
            await self.meta.put(TARGETS, key, json.dumps(targets).encode())
        else:
            self.targets.pop(key, None)
            await self.meta.delete(TARGETS, key)
        return True
