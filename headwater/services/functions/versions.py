"""Published versions: immutable snapshots of a function's code and configuration.

PublishVersion copies $LATEST into a numbered version (numbers are never reused: $LATEST keeps
the highest one published) unless nothing changed since the last version, when Lambda answers
that version again. A version shares its code package with $LATEST (the package is stored once
by its hash), runs in its own pool of workers and sees AWS_LAMBDA_FUNCTION_VERSION set to its
number. `resolve` turns a qualifier (none, $LATEST, a number, an alias name) into the record
that runs; invoking an alias with a RoutingConfig picks the version by weight (`aliases.route`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.functions import errors, qualifiers
from headwater.services.functions.aliases import route
from headwater.services.functions.event_invoke_config import CONFIGS
from headwater.services.functions.names import function_name
from headwater.services.functions.policy import POLICIES
from headwater.services.functions.record import LATEST, FunctionRecord, timestamp
from headwater.services.functions.service import FunctionsCore

# what a version does not inherit as its own configuration (so "unchanged" ignores it)
_NOT_SNAPSHOT = frozenset(
    {"version", "revision_id", "last_modified", "description", "state", "last_update_status"}
    | {"reserved_concurrency", "tags", "last_version"}
)


def resolve(
    core: FunctionsCore, account: str, region: str, value: str, qualifier: str | None, routed: bool = False
) -> tuple[FunctionRecord, str]:
    """(the record a qualified name runs, the ARN it was called by). An alias resolves to its
    version, or with `routed` (an invocation) to the version its RoutingConfig picks."""
    name, qualifier = function_name(value, qualifier)
    latest = core.get(account, region, name)
    if qualifier is None:
        return latest, latest.arn
    invoked = f"{latest.arn}:{qualifier}"
    if qualifier == LATEST:
        return latest, invoked
    if qualifier.isdigit():
        version = core.versions.get(latest.key, qualifier)
        if version is None:
            raise errors.not_found(invoked)
        return version, invoked
    alias = core.aliases.get(latest.key, qualifier)
    if alias is None:
        raise errors.not_found(invoked)
    target = route(alias, core.routing_random) if routed else alias.function_version
    if target == LATEST:
        return latest, invoked
    version = core.versions.get(latest.key, target)
    if version is None:  # an alias never outlives its versions; a defensive answer all the same
        raise errors.not_found(f"{latest.arn}:{target}")
    return version, invoked


def _unchanged(latest: FunctionRecord, version: FunctionRecord) -> bool:
    mine, theirs = asdict(latest), asdict(version)
    return all(mine[k] == theirs[k] for k in mine if k not in _NOT_SNAPSHOT)


async def publish_version(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name, qualifier = function_name(params["FunctionName"])
    latest = core.get(ctx.account, ctx.region, name)
    if qualifier not in (None, LATEST):
        raise errors.not_found(f"{latest.arn}:{qualifier}")
    sha = params.get("CodeSha256")
    if sha is not None and sha != latest.code_sha256:
        raise errors.invalid(
            f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST "
            f"({latest.code_sha256}). Please try again with the CodeSHA256 in $LATEST."
        )
    revision = params.get("RevisionId")
    if revision is not None and revision != latest.revision_id:
        raise errors.precondition_failed()
    if latest.last_update_status == "InProgress" or latest.state == "Pending":
        raise errors.update_in_progress(latest.arn)
    return (await publish(core, latest, params.get("Description"))).configuration()


async def publish(core: FunctionsCore, latest: FunctionRecord, description: str | None) -> FunctionRecord:
    """A new version of $LATEST, or the last one when nothing changed since (as Lambda does)."""
    published = core.versions.of(latest.key)
    if published and _unchanged(latest, published[-1]):
        return published[-1]
    number = latest.last_version + 1
    version = latest.evolve(
        version=str(number),
        revision_id=core.new_revision(),
        last_modified=timestamp(core.clock.now()),
        description=latest.description if description is None else description,
        state="Active",
        last_update_status="Successful",
        reserved_concurrency=None,
        tags={},
        last_version=0,
    )
    await core.versions.put(version)
    await core.save(latest.evolve(last_version=number))
    return version


async def list_versions_by_function(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    latest = core.get(ctx.account, ctx.region, name)
    records = [latest, *core.versions.of(latest.key)]
    marker = params.get("Marker")
    if marker:
        positions = [i for i, r in enumerate(records) if r.version == marker]
        if not positions:
            raise errors.invalid(f"Invalid marker: {marker}")
        records = records[positions[0] + 1 :]
    limit = params.get("MaxItems") or 50
    page = records[:limit]
    result: dict[str, Any] = {"Versions": [r.configuration() for r in page]}
    if len(records) > limit:
        result["NextMarker"] = page[-1].version
    return result


async def delete_version(core: FunctionsCore, latest: FunctionRecord, qualifier: str) -> None:
    """DeleteFunction with a Qualifier: one version goes (never $LATEST, nor one an alias names)."""
    if qualifier == LATEST:
        raise errors.invalid("$LATEST version cannot be deleted without deleting the function.")
    if not qualifier.isdigit():
        raise errors.not_found(f"{latest.arn}:{qualifier}")
    version = core.versions.get(latest.key, qualifier)
    if version is None:
        return  # as on AWS: deleting an absent version answers 204
    names = core.aliases.referencing(latest.key, qualifier)
    if names:
        raise errors.conflict(
            f"Unable to delete version because the following aliases reference it: [{', '.join(names)}]"
        )
    await core.versions.delete(version)
    await qualifiers.forget(core.meta, (POLICIES, CONFIGS), latest.key, qualifier)
    await core.forget_code(version)
    await core.pools.drop(version.pool_key)


OPERATIONS = {
    "PublishVersion": publish_version,
    "ListVersionsByFunction": list_versions_by_function,
}
