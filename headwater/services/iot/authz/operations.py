"""TestAuthorization and GetEffectivePolicies: the policy engine asked through the `iot` API.

TestAuthorization evaluates each authInfo (an action type and its resources) for a principal and a
client id, as a device with that certificate would be checked, with policies added or skipped by
name. An authInfo's decision covers all its resources: any explicit deny denies, all must be
allowed to allow. `allowed` lists the policies with a matching Allow, `explicitDeny` those with a
matching Deny, `implicitDeny` the policies evaluated when nothing allowed; `missingContextValues`
the variables and condition keys the request lacked.
"""

from __future__ import annotations

import re
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot.authz.engine import Evaluation
from headwater.services.iot.authz.part import Authz
from headwater.services.iot.contracts import AttachedPolicy, AuthContext
from headwater.services.iot.core import IotCore

ACTIONS = {
    "PUBLISH": "iot:Publish",
    "SUBSCRIBE": "iot:Subscribe",
    "RECEIVE": "iot:Receive",
    "CONNECT": "iot:Connect",
}
_CERT = re.compile(r"arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:cert/([0-9a-f]{64})")
_GROUP = re.compile(r"arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:thinggroup/[a-zA-Z0-9:_-]+")
_COGNITO = re.compile(r"[a-z]{2}(-[a-z]+)+-\d:[0-9a-f-]{36}")


def invalid(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message, 400)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404)


def principal_context(
    authz: Authz, account: str, region: str, principal: str | None, client_id: str | None
) -> AuthContext:
    """The AuthContext a device with this principal (a certificate ARN: its DER when the certificate
    store knows it; a thing-group ARN; a Cognito identity id) and client id would be checked with."""
    der: bytes | None = None
    if principal is not None:
        cert = _CERT.fullmatch(principal)
        if cert is not None:
            if authz.certificates is not None:
                record = authz.certificates.by_id(account, region, cert.group(1))
                if record is None:
                    raise not_found(f"The certificate {cert.group(1)} does not exist")
                der = record.der
        elif not (_GROUP.fullmatch(principal) or _COGNITO.fullmatch(principal)):
            raise invalid(f"Invalid principal: {principal}")
    return AuthContext(account, region, client_id, principal, certificate_der=der)


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
        authz, ctx.account, ctx.region, params.get("principal"), params.get("clientId")
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
            authz.engine.evaluate(context, action, resource, add=add, skip=skip) for resource in resources
        ]
        results.append(auth_result(info, evaluations))
    return {"authResults": results}


async def get_effective_policies(authz: Authz, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    principal: str | None = params.get("principal")
    thing_name: str | None = params.get("thingName")
    if principal is not None:
        principal_context(authz, ctx.account, ctx.region, principal, None)  # checks the principal
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
