"""AddLayerVersionPermission, RemoveLayerVersionPermission and GetLayerVersionPolicy: who else may
use a layer version (`lambda:GetLayerVersion`, the only action Lambda grants on layers).

The policy is kept per layer version (``functions.layer-policy``, by the version's key) with its
own RevisionId, rendered as Lambda renders it, and goes when the version is deleted. With
``--auth strict`` a function of another account may name the version in its `Layers` only when a
statement grants that account (or everyone: an organization condition cannot be checked here, so a
statement limited to an organization grants nobody outside the layer's account).
"""

from __future__ import annotations

import json
import re
from typing import Any

from headwater.engine.api import MetaStore
from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions import policy as policy_store
from headwater.services.functions.layer_store import LayerVersion
from headwater.services.functions.permissions import no_policy
from headwater.services.functions.policy import Policy, Request
from headwater.services.functions.service import FunctionsCore

LAYER_POLICIES = "functions.layer-policy"
_ACTION = "lambda:GetLayerVersion"
_PRINCIPAL = re.compile(r"\d{12}|\*|arn:aws[a-zA-Z-]*:iam::\d{12}:root")


def load(meta: MetaStore, layer: LayerVersion) -> Policy | None:
    return policy_store.load(meta, layer.key, LAYER_POLICIES)


async def save(meta: MetaStore, layer: LayerVersion, policy: Policy) -> None:
    await policy_store.save(meta, layer.key, policy, LAYER_POLICIES)


def may_use(meta: MetaStore, layer: LayerVersion, account: str) -> bool:
    """Whether a function of `account` may name this layer version."""
    if account == layer.account:
        return True
    policy = load(meta, layer)
    return policy is not None and policy.allows(Request(_ACTION, account))


def _version(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext, layer_key: str
) -> LayerVersion:
    layer = core.layers.get(layer_key, int(params["VersionNumber"]))
    if layer is None:
        raise AwsError(
            "ResourceNotFoundException",
            "Layer version "
            f"arn:aws:lambda:{ctx.region}:{ctx.account}:layer:{layer_key.split('/')[-1]}:{params['VersionNumber']}"
            " does not exist.",
            404,
            details=errors.USER,
        )
    return layer


def _check_revision(policy: Policy | None, params: dict[str, Any]) -> None:
    revision = params.get("RevisionId")
    if revision is not None and (policy is None or revision != policy.revision):
        raise AwsError(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetLayerPolicy API to retrieve the latest Revision Id",
            412,
            details=errors.USER,
        )


def _statement(params: dict[str, Any], layer: LayerVersion) -> dict[str, Any]:
    who = params["Principal"]
    rendered: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": "*"
        if who == "*"
        else {"AWS": who if who.startswith("arn:") else f"arn:aws:iam::{who}:root"},
        "Action": params["Action"],
        "Resource": layer.version_arn,
    }
    if params.get("OrganizationId"):
        rendered["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
    return rendered


async def add_permission(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext, layer_key: str
) -> dict[str, Any]:
    layer = _version(core, params, ctx, layer_key)
    if params["Action"] != _ACTION:
        raise errors.invalid(f"Action {params['Action']} is not supported. Only {_ACTION} is supported.")
    if not _PRINCIPAL.fullmatch(params["Principal"]):
        raise errors.invalid("The provided principal was invalid. Please check the principal and try again.")
    if params.get("OrganizationId") and params["Principal"] != "*":
        raise errors.invalid("OrganizationId can only be specified with a Principal of *.")
    policy = load(core.meta, layer)
    _check_revision(policy, params)
    policy = policy or Policy()
    sid = params["StatementId"]
    if policy.find(sid) is not None:
        raise errors.conflict(
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
            "or remove the existing statement."
        )
    added = _statement(params, layer)
    updated = Policy(core.new_revision(), [*policy.statements, added])
    await save(core.meta, layer, updated)
    return {"Statement": json.dumps(added, separators=(",", ":")), "RevisionId": updated.revision}


async def remove_permission(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext, layer_key: str
) -> dict[str, Any]:
    layer = _version(core, params, ctx, layer_key)
    policy = load(core.meta, layer)
    if policy is None:
        raise no_policy()
    _check_revision(policy, params)
    sid = params["StatementId"]
    if policy.find(sid) is None:
        raise AwsError(
            "ResourceNotFoundException",
            f"Statement {sid} is not found in resource policy.",
            404,
            details=errors.USER,
        )
    kept = [s for s in policy.statements if s.get("Sid") != sid]
    await save(core.meta, layer, Policy(core.new_revision(), kept))
    return {}


async def get_policy(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext, layer_key: str
) -> dict[str, Any]:
    policy = load(core.meta, _version(core, params, ctx, layer_key))
    if policy is None:
        raise no_policy()
    return {"Policy": policy.document(), "RevisionId": policy.revision}
