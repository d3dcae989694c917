"""Which policies apply to whom: AttachPolicy / DetachPolicy (targets: certificate ARNs, thing
group ARNs, Cognito identity ids), the legacy AttachPrincipalPolicy / DetachPrincipalPolicy
(`x-amzn-iot-principal`), and the listings both ways."""

from __future__ import annotations

import re
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.iot.security import errors, paging
from headwater.services.iot.security.part import SecurityHost, SecurityPart
from headwater.services.iot.security.policies import found

Result = dict[str, Any]
MAX_PER_TARGET = 10  # AWS IoT: policies attached to one certificate or Cognito identity
_CERT = re.compile(r"^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):cert/([0-9a-fA-F]{64})$")
_GROUP = re.compile(r"^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):thinggroup/[\w.:-]+$")
_COGNITO = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d:[0-9a-fA-F-]{36}$")


def is_group(target: str) -> bool:
    return bool(_GROUP.match(target))


def checked_target(part: SecurityPart, ctx: RequestContext, target: str) -> str:
    """`target` when it names something the caller's account may attach a policy to."""
    cert = _CERT.match(target)
    if cert is not None:
        region, account, certificate_id = cert.groups()
        if (account, region) != (ctx.account, ctx.region) or part.certificates.get(
            account, region, certificate_id.lower()
        ) is None:
            raise errors.certificate_not_found(certificate_id)
        return target
    group = _GROUP.match(target)
    if group is not None:
        if group.groups() != (ctx.region, ctx.account):
            raise errors.invalid(f"The thing group {target} is not in this account and region.")
        return target
    if _COGNITO.match(target):
        return target
    raise errors.invalid(f"Invalid target: {target}")


async def _attach(part: SecurityPart, ctx: RequestContext, name: str, target: str) -> None:
    found(part, ctx, name)
    target = checked_target(part, ctx, target)
    attached = part.policies.policies_of(ctx.account, ctx.region, target)
    if name not in attached and len(attached) >= MAX_PER_TARGET and part.config.limits:
        raise errors.limit(
            f"The target {target} already has the maximum number of policies ({MAX_PER_TARGET})."
        )
    await part.policies.attach(ctx.account, ctx.region, name, target)


async def attach_policy(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    await _attach(core.security, ctx, params["policyName"], params["target"])


async def detach_policy(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    found(part, ctx, params["policyName"])
    await part.policies.detach(ctx.account, ctx.region, params["policyName"], params["target"])


async def attach_principal_policy(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    await _attach(core.security, ctx, params["policyName"], params["principal"])


async def detach_principal_policy(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    found(part, ctx, params["policyName"])
    await part.policies.detach(ctx.account, ctx.region, params["policyName"], params["principal"])


def _policies(part: SecurityPart, ctx: RequestContext, names: list[str]) -> list[dict[str, str]]:
    out = []
    for name in names:
        doc = part.policies.get(ctx.account, ctx.region, name)
        if doc is not None:
            out.append({"policyName": name, "policyArn": doc["policyArn"]})
    return out


def _paged(
    items: list[Any], key: Any, params: dict[str, Any], field: str, descending: bool = False
) -> Result:
    items = sorted(items, key=key, reverse=descending)
    chosen, marker = paging.page(items, key, params, descending=descending)
    result: Result = {field: chosen}
    if marker:
        result["nextMarker"] = marker
    return result


async def list_attached_policies(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    target = checked_target(part, ctx, params["target"])
    targets = [target]
    if params.get("recursive") and is_group(target) and part.parent_groups is not None:
        targets += part.parent_groups(ctx.account, ctx.region, target)
    names = list(
        dict.fromkeys(n for t in targets for n in part.policies.policies_of(ctx.account, ctx.region, t))
    )
    return _paged(_policies(part, ctx, names), lambda p: p["policyName"], params, "policies")


async def list_targets_for_policy(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    found(part, ctx, params["policyName"])
    targets = part.policies.targets_of(ctx.account, ctx.region, params["policyName"])
    return _paged(targets, str, params, "targets")


async def list_policy_principals(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    found(part, ctx, params["policyName"])
    targets = part.policies.targets_of(ctx.account, ctx.region, params["policyName"])
    principals = [t for t in targets if not is_group(t)]
    return _paged(principals, str, params, "principals", params.get("ascendingOrder") is False)


async def list_principal_policies(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    principal = checked_target(part, ctx, params["principal"])
    names = part.policies.policies_of(ctx.account, ctx.region, principal)
    descending = params.get("ascendingOrder") is False
    return _paged(_policies(part, ctx, names), lambda p: p["policyName"], params, "policies", descending)


OPERATIONS = {
    "AttachPolicy": attach_policy,
    "DetachPolicy": detach_policy,
    "AttachPrincipalPolicy": attach_principal_policy,
    "DetachPrincipalPolicy": detach_principal_policy,
    "ListAttachedPolicies": list_attached_policies,
    "ListTargetsForPolicy": list_targets_for_policy,
    "ListPolicyPrincipals": list_policy_principals,
    "ListPrincipalPolicies": list_principal_policies,
}
