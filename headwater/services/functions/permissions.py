"""AddPermission, RemovePermission and GetPolicy: a function's resource-based policy (policy.py),
with Lambda's errors and the policy's own RevisionId."""

from __future__ import annotations

import json
import re
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions.policy import Policy, load, save, statement
from headwater.services.functions.qualifiers import Target, target
from headwater.services.functions.record import LATEST
from headwater.services.functions.service import FunctionsCore

POLICY_LIMIT = 20480
# an account id, an IAM ARN, "*", or a service principal's domain name (s3.amazonaws.com...)
_PRINCIPAL = re.compile(r"\*|\d{12}|arn:aws[a-zA-Z-]*:iam::\d{12}:\S+|[a-z0-9-]+(\.[a-z0-9-]+)+")


def _target(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> Target:
    """The function, version or alias whose policy the request reads or changes."""
    found = target(core, params, ctx)
    if found.qualifier == LATEST:
        raise errors.invalid("We currently do not support adding policies for $LATEST.")
    return found


def _check_revision(policy: Policy | None, params: dict[str, Any]) -> None:
    revision = params.get("RevisionId")
    if revision is not None and (policy is None or revision != policy.revision):
        raise AwsError(
            "PreconditionFailedException",
            "The RevisionId provided does not match the latest RevisionId for the Lambda function or alias. "
            "Call the GetFunction or the GetAlias API to retrieve the latest RevisionId for your resource.",
            412,
            details=errors.USER,
        )


def no_policy() -> AwsError:
    return AwsError(
        "ResourceNotFoundException",
        "No policy is associated with the given resource.",
        404,
        details=errors.USER,
    )


async def add_permission(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    owner = _target(core, params, ctx)
    if not _PRINCIPAL.fullmatch(params["Principal"]):
        raise errors.invalid("The provided principal was invalid. Please check the principal and try again.")
    policy = load(core.meta, owner.key)
    _check_revision(policy, params)
    policy = policy or Policy()
    sid = params["StatementId"]
    if policy.find(sid) is not None:
        raise errors.conflict(
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
            "or remove the existing statement."
        )
    added = statement(params, owner.arn)
    updated = Policy(core.new_revision(), [*policy.statements, added])
    size = len(updated.document())
    if size > POLICY_LIMIT:
        raise AwsError(
            "PolicyLengthExceededException",
            f"The final policy size ({size}) is bigger than the limit ({POLICY_LIMIT}).",
            400,
            details=errors.USER,
        )
    await save(core.meta, owner.key, updated)
    return {"Statement": json.dumps(added, separators=(",", ":"))}


async def remove_permission(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    owner = _target(core, params, ctx)
    policy = load(core.meta, owner.key)
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
    await save(core.meta, owner.key, Policy(core.new_revision(), kept))
    return {}


async def get_policy(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    policy = load(core.meta, _target(core, params, ctx).key)
    if policy is None:
        raise no_policy()
    return {"Policy": policy.document(), "RevisionId": policy.revision}


OPERATIONS = {
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetPolicy": get_policy,
}
