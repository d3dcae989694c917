"""The alias operations: CreateAlias, GetAlias, ListAliases, UpdateAlias and DeleteAlias, with
Lambda's validation of names, versions and RoutingConfig."""

from __future__ import annotations

import re
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions import errors, qualifiers
from headwater.services.functions.aliases import Alias
from headwater.services.functions.event_invoke_config import CONFIGS
from headwater.services.functions.names import function_name
from headwater.services.functions.policy import POLICIES
from headwater.services.functions.record import LATEST, FunctionRecord
from headwater.services.functions.service import FunctionsCore

_NAME = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
_VERSION = re.compile(r"\$LATEST|[0-9]+")


def _validation(value: object, where: str, constraint: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: {constraint}",
        400,
        details=errors.USER,
    )


def _function(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> FunctionRecord:
    name, qualifier = function_name(params["FunctionName"])
    latest = core.get(ctx.account, ctx.region, name)
    if qualifier is not None:
        raise errors.invalid("Alias operations take an unqualified function name.")
    return latest


def _name(value: str) -> str:
    if not 1 <= len(value) <= 128 or _NAME.fullmatch(value) is None:
        raise _validation(
            value, "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )
    return value


def _version(core: FunctionsCore, latest: FunctionRecord, value: str) -> str:
    if _VERSION.fullmatch(value) is None:
        raise _validation(
            value, "functionVersion", "Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)"
        )
    if value != LATEST and core.versions.get(latest.key, value) is None:
        raise errors.not_found(f"{latest.arn}:{value}")
    return value


def _weights(core: FunctionsCore, latest: FunctionRecord, primary: str, routing: Any) -> dict[str, float]:
    weights = dict((routing or {}).get("AdditionalVersionWeights") or {})
    if not weights:
        return {}
    if len(weights) > 1:
        raise errors.invalid("Number of items in AdditionalVersionWeights cannot be greater than 1.")
    if primary == LATEST:
        raise errors.invalid("$LATEST is not supported for an alias pointing to more than 1 version")
    for version, weight in weights.items():
        if not isinstance(weight, int | float) or not 0.0 <= weight <= 1.0:
            raise _validation(
                weights,
                "routingConfig.additionalVersionWeights",
                "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, "
                "Member must have value greater than or equal to 0.0]",
            )
        if not version.isdigit():
            raise _validation(
                weights,
                "routingConfig.additionalVersionWeights",
                "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]+]",
            )
        if version == primary:
            raise errors.invalid(
                f"Invalid function version {version}. Function version {version} is already included in "
                "routing configuration."
            )
        _version(core, latest, version)
    return {version: float(weight) for version, weight in weights.items()}


def _alias(core: FunctionsCore, latest: FunctionRecord, name: str) -> Alias:
    alias = core.aliases.get(latest.key, name)
    if alias is None:
        raise errors.AwsError(
            "ResourceNotFoundException", f"Alias not found: {latest.arn}:{name}", 404, details=errors.USER
        )
    return alias


async def create_alias(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    latest = _function(core, params, ctx)
    name = _name(params["Name"])
    version = _version(core, latest, params["FunctionVersion"])
    weights = _weights(core, latest, version, params.get("RoutingConfig"))
    if core.aliases.get(latest.key, name) is not None:
        raise errors.conflict(f"Alias already exists: {latest.arn}:{name}")
    alias = Alias(
        account=latest.account,
        region=latest.region,
        function=latest.name,
        name=name,
        function_version=version,
        revision_id=core.new_revision(),
        description=params.get("Description", ""),
        weights=weights,
    )
    await core.aliases.put(alias)
    return alias.shape()


async def get_alias(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    latest = _function(core, params, ctx)
    return _alias(core, latest, params["Name"]).shape()


async def list_aliases(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    latest = _function(core, params, ctx)
    aliases = core.aliases.of(latest.key)
    wanted = params.get("FunctionVersion")
    if wanted:
        aliases = [a for a in aliases if a.function_version == wanted or wanted in a.weights]
    marker = params.get("Marker")
    if marker:
        aliases = [a for a in aliases if a.name > marker]
    limit = params.get("MaxItems") or 50
    page = aliases[:limit]
    result: dict[str, Any] = {"Aliases": [a.shape() for a in page]}
    if len(aliases) > limit:
        result["NextMarker"] = page[-1].name
    return result


async def update_alias(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    latest = _function(core, params, ctx)
    alias = _alias(core, latest, params["Name"])
    revision = params.get("RevisionId")
    if revision is not None and revision != alias.revision_id:
        raise errors.precondition_failed()
    version = alias.function_version
    if "FunctionVersion" in params:
        version = _version(core, latest, params["FunctionVersion"])
    weights = alias.weights
    if "RoutingConfig" in params:
        weights = _weights(core, latest, version, params["RoutingConfig"])
    elif weights:
        weights = _weights(core, latest, version, {"AdditionalVersionWeights": weights})
    updated = alias.evolve(
        function_version=version,
        weights=weights,
        description=params.get("Description", alias.description),
        revision_id=core.new_revision(),
    )
    await core.aliases.put(updated)
    return updated.shape()


async def delete_alias(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    latest = _function(core, params, ctx)
    alias = core.aliases.get(latest.key, params["Name"])
    if alias is not None:
        await core.aliases.delete(alias)
        # the alias's resource policy, function URL and async config go with it
        await qualifiers.forget(core.meta, (POLICIES, CONFIGS), latest.key, alias.name)
        await core.urls.delete(qualifiers.scoped_key(latest.key, alias.name))
    return {}


OPERATIONS = {
    "CreateAlias": create_alias,
    "GetAlias": get_alias,
    "ListAliases": list_aliases,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
}
