"""TestAuthorization and GetEffectivePolicies: the policy engine asked through the `iot` API.

TestAuthorization evaluates each authInfo (an action type and its resources) for a principal and a
client id, as a device with that certificate would be checked, with policies added or skipped by
name. An authInfo's decision covers all its resources: any explicit deny denies, all must be
allowed to allow. `allowed` lists the policies with a matching Allow, `explicitDeny` those with a
matching Deny, `implicitDeny` the policies evaluated when nothing allowed; `missingContextValues`
the variables and condition keys the request lacked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.iot.authz.engine import Evaluation
from headwater.services.iot.authz.part import Authz
from headwater.services.iot.authz.principals import ACTIONS, invalid, not_found, principal_context
from headwater.services.iot.contracts import AttachedPolicy
from headwater.services.iot.core import IotCore


def _named(authz: Authz, ctx: RequestContext, names: list[str]) -> list[AttachedPolicy]:
    found: list[AttachedPolicy] = []
    for name in names:
        policy = authz.named(ctx.account, ctx.region, name)
        if policy is None:
            raise not_found(f"Policy {name} not found")
        found.append(policy)
    return found


def _refs(policies: list[AttachedPolicy]) -> dict[str, Any]:
    return {"policies": [{"policyName": p.name, "policyArn": p.arn} for p in policies]}


def _merge(into: list[AttachedPolicy], more: list[AttachedPolicy]) -> None:
    into.extend(p for p in more if p not in into)


def auth_result(info: dict[str, Any], evaluations: list[Evaluation]) -> dict[str, Any]:
    allowed: list[AttachedPolicy] = []
    explicit: list[AttachedPolicy] = []
    implicit: list[AttachedPolicy] = []
    missing: list[str] = []
    for evaluation in evaluations:
        _merge(allowed, evaluation.allowed)
        _merge(explicit, evaluation.explicit_deny)
        if evaluation.auth_decision == "IMPLICIT_DENY":
            _merge(implicit, evaluation.evaluated)
        missing.extend(name for name in evaluation.missing if name not in missing)
    decisions = {evaluation.auth_decision for evaluation in evaluations}
    decision = (
        "EXPLICIT_DENY"
        if "EXPLICIT_DENY" in decisions
        else "IMPLICIT_DENY"
        if "IMPLICIT_DENY" in decisions
        else "ALLOWED"
    )
    return {
        "authInfo": info,
        "allowed": _refs(allowed),
        "denied": {"implicitDeny": _refs(implicit), "explicitDeny": _refs(explicit)},
        "authDecision": decision,
        "missingContextValues": missing,
    }


async def test_authorization(authz: Authz, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    context = principal_context(
        authz.certificates, ctx.account, ctx.region, params.get("principal"), params.get("clientId")
    )
    add = _named(authz, ctx, list(params.get("policyNamesToAdd") or []))
    skip = set(params.get("policyNamesToSkip") or [])
    results = []
    for info in params["authInfos"]:
        action = ACTIONS.get(info.get("actionType") or "")
        if action is None:
            raise invalid("actionType is required: one of PUBLISH, SUBSCRIBE, RECEIVE, CONNECT")
        resources = info.get("resources") or []
        if not resources:
            raise invalid("resources must name at least one resource")
        evaluations = [
            authz.engine.evaluate(context, action, resource, fresh=True, add=add, skip=skip)
            for resource in resources
        ]
        results.append(auth_result(info, evaluations))
    return {"authResults": results}


async def get_effective_policies(authz: Authz, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    principal: str | None = params.get("principal")
    thing_name: str | None = params.get("thingName")
    if principal is not None:
        principal_context(
            authz.certificates, ctx.account, ctx.region, principal, None
        )  # checks the principal
    targets: list[str] = [principal] if principal is not None else []
    things = authz.things
    if thing_name is not None:
        if things.thing(ctx.account, ctx.region, thing_name) is None:
            raise not_found(f"Thing {thing_name} cannot be found.")
        names = [thing_name]
    elif principal is not None:
        names = things.things_of_principal(ctx.account, ctx.region, principal)
    else:
        names = []
    for name in names:
        targets.extend(g for g in things.groups_of_thing(ctx.account, ctx.region, name) if g not in targets)
    policies = authz.policies.attached(ctx.account, ctx.region, targets) if targets else []
    return {
        "effectivePolicies": [
            {"policyName": p.name, "policyArn": p.arn, "policyDocument": p.document} for p in policies
        ]
    }


async def _test_authorization(core: IotCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return await test_authorization(core.authz, params, ctx)


async def _get_effective_policies(
    core: IotCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return await get_effective_policies(core.authz, params, ctx)


OPERATIONS = {"TestAuthorization": _test_authorization, "GetEffectivePolicies": _get_effective_policies}


_READ_ONLY = ("Describe", "List", "Get", "Test", "Search", "Validate")
Operation = Callable[[IotCore, dict[str, Any], RequestContext], Awaitable[Any]]


def invalidating(
    operations: Mapping[str, Callable[..., Awaitable[Any]]],
) -> dict[str, Callable[..., Awaitable[Any]]]:
    """The iot operation table with every operation that may change a decision (attachments,
    policy versions, things, groups, certificates) followed by `invalidate()`, so the broker's
    next check reads the stores: control-plane changes are rare, checks are not."""

    def wrapped(operation: Operation) -> Operation:
        async def run(core: IotCore, params: dict[str, Any], ctx: RequestContext) -> Any:
            try:
                return await operation(core, params, ctx)
            finally:
                core.authz.engine.invalidate()

        return run

    return {
        name: operation if name.startswith(_READ_ONLY) else wrapped(operation)
        for name, operation in operations.items()
    }
