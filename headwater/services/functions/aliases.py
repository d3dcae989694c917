"""Aliases: names for a function version, optionally splitting invocations with a second version.

An alias points at one version (or $LATEST) and may carry a RoutingConfig whose
AdditionalVersionWeights gives one more version a share (0-1) of the alias's invocations; `route`
draws from the service's random source per invocation, so the split is by weight over many.
Aliases are JSON under ``functions.aliases`` by ``account/region/function:alias``.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from headwater.engine.api import MetaStore
from headwater.services.functions.record import function_arn

NAMESPACE = "functions.aliases"


@dataclass(frozen=True, slots=True)
class Alias:
    account: str
    region: str
    function: str
    name: str
    function_version: str
    revision_id: str
    description: str = ""
    weights: dict[str, float] = field(default_factory=dict)  # AdditionalVersionWeights

    @property
    def function_key(self) -> str:
        return f"{self.account}/{self.region}/{self.function}"

    @property
    def key(self) -> str:
        return f"{self.function_key}:{self.name}"

    @property
    def arn(self) -> str:
        return f"{function_arn(self.account, self.region, self.function)}:{self.name}"

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Alias:
        return cls(**json.loads(data))

    def evolve(self, **changes: Any) -> Alias:
        return replace(self, **changes)

    def shape(self) -> dict[str, Any]:
        """The AliasConfiguration the API answers."""
        shape: dict[str, Any] = {
            "AliasArn": self.arn,
            "Name": self.name,
            "FunctionVersion": self.function_version,
            "Description": self.description,
            "RevisionId": self.revision_id,
        }
        if self.weights:
            shape["RoutingConfig"] = {"AdditionalVersionWeights": dict(self.weights)}
        return shape


def route(alias: Alias, rng: random.Random) -> str:
    """The version one invocation of the alias runs."""
    draw = rng.random()
    for version, weight in alias.weights.items():
        if draw < weight:
            return version
        draw -= weight
    return alias.function_version


class Aliases:
    """Every alias, by ``account/region/function:alias``."""

    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta
        self.records: dict[str, Alias] = {}

    def load(self) -> None:
        self.records = {key: Alias.from_bytes(value) for key, value in self.meta.scan(NAMESPACE)}

    def get(self, function_key: str, name: str) -> Alias | None:
        return self.records.get(f"{function_key}:{name}")

    def of(self, function_key: str) -> list[Alias]:
        found = [alias for alias in self.records.values() if alias.function_key == function_key]
        return sorted(found, key=lambda alias: alias.name)

    def referencing(self, function_key: str, version: str) -> list[str]:
        """The names of the function's aliases that route any invocation to `version`."""
        return [
            alias.name
            for alias in self.of(function_key)
            if alias.function_version == version or version in alias.weights
        ]

    async def put(self, alias: Alias) -> None:
        self.records[alias.key] = alias
        await self.meta.put(NAMESPACE, alias.key, alias.to_bytes())

    async def delete(self, alias: Alias) -> None:
        self.records.pop(alias.key, None)
        await self.meta.delete(NAMESPACE, alias.key)

    async def drop_function(self, function_key: str) -> None:
        for alias in self.of(function_key):
            await self.delete(alias)
