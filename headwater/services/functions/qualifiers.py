"""What a Qualifier names, for the settings Lambda keeps per version or alias: resource policies,
function URLs (aliases only) and asynchronous invocation configs.

Each such setting is stored under a scoped key: the function's key for the unqualified function,
``<key>:<qualifier>`` for a version or an alias. A qualifier must name an existing version or
alias; deleting one takes its settings with it, deleting the function takes them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from headwater.engine.api import MetaStore
from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions.aliases import Aliases
from headwater.services.functions.names import function_name
from headwater.services.functions.record import LATEST, FunctionRecord
from headwater.services.functions.version_store import Versions


class _Core(Protocol):
    meta: MetaStore
    versions: Versions
    aliases: Aliases

    def get(self, account: str, region: str, name: str) -> FunctionRecord: ...


@dataclass(frozen=True, slots=True)
class Target:
    """A function, or one of its versions or aliases, as a setting's owner."""

    latest: FunctionRecord
    qualifier: str | None  # None for the unqualified function

    @property
    def key(self) -> str:
        return scoped_key(self.latest.key, self.qualifier)

    @property
    def arn(self) -> str:
        return self.latest.arn if self.qualifier is None else f"{self.latest.arn}:{self.qualifier}"


def scoped_key(function_key: str, qualifier: str | None) -> str:
    return function_key if qualifier is None else f"{function_key}:{qualifier}"


def target(core: _Core, params: dict[str, Any], ctx: RequestContext) -> Target:
    """The function and qualifier the request names; ResourceNotFoundException when the version or
    alias does not exist ($LATEST is left to the caller, whose rules differ)."""
    name, qualifier = function_name(params["FunctionName"], params.get("Qualifier"))
    latest = core.get(ctx.account, ctx.region, name)
    if qualifier is None or qualifier == LATEST:
        return Target(latest, qualifier)
    if qualifier.isdigit():
        if core.versions.get(latest.key, qualifier) is None:
            raise errors.not_found(f"{latest.arn}:{qualifier}")
    elif core.aliases.get(latest.key, qualifier) is None:
        raise errors.not_found(f"{latest.arn}:{qualifier}")
    return Target(latest, qualifier)


def qualifier_of(function_arn: str) -> str | None:
    """The qualifier of an invoked ARN (arn:aws:lambda:r:a:function:name[:qualifier])."""
    parts = function_arn.split(":")
    return parts[7] if len(parts) > 7 and parts[7] else None


async def forget(
    meta: MetaStore, namespaces: Iterable[str], function_key: str, qualifier: str | None
) -> None:
    """Deletes the settings of one qualifier (or, with None, of the function and every qualifier)."""
    for namespace in namespaces:
        if qualifier is not None:
            await meta.delete(namespace, scoped_key(function_key, qualifier))
            continue
        owned = [
            key
            for key, _ in meta.scan(namespace)
            if key == function_key or key.startswith(function_key + ":")
        ]
        for key in owned:
            await meta.delete(namespace, key)
