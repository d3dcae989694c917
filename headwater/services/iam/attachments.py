"""What a role holds: attached managed policies and inline (role) policies."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.iam import documents, errors
from headwater.services.iam.core import IamCore
from headwater.services.iam.managed import MANAGED, PREFIX
from headwater.services.iam.paging import page

MAX_ATTACHED = 10  # IAM's default quota of managed policies per role
MAX_INLINE_SIZE = 10_240  # all of a role's inline policies, whitespace not counted


def policy_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def check_arn(arn: str) -> None:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "iam"] or not parts[5].startswith("policy/"):
        raise errors.invalid_input(f"ARN {arn} is not valid.")


async def attach_role_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    role = core.role(ctx.account, params["RoleName"])
    arn = params["PolicyArn"]
    check_arn(arn)
    if not arn.startswith(PREFIX):  # any AWS-managed ARN is accepted (see managed.py)
        core.policy(ctx.account, arn)
    if arn in role.attached:
        return
    if len(role.attached) >= MAX_ATTACHED:
        raise errors.limit(f"Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED}")
    role.attached.append(arn)
    await core.save_role(role)


async def detach_role_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    role = core.role(ctx.account, params["RoleName"])
    arn = params["PolicyArn"]
    check_arn(arn)
    if arn not in role.attached:
        raise errors.AwsError("NoSuchEntity", f"Policy {arn} was not found.", 404)
    role.attached.remove(arn)
    await core.save_role(role)


async def list_attached_role_policies(
    core: IamCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    role = core.role(ctx.account, params["RoleName"])
    prefix = params.get("PathPrefix") or "/"
    attached = [
        {"PolicyName": policy_name(arn), "PolicyArn": arn}
        for arn in role.attached
        if _path_of(core, ctx.account, arn).startswith(prefix)
    ]
    chosen, more = page(attached, lambda item: item["PolicyArn"], params)
    return {"AttachedPolicies": chosen, **more}


def _path_of(core: IamCore, account: str, arn: str) -> str:
    if arn in MANAGED:
        return MANAGED[arn].path
    found = core.policies.get(f"{account}\0{arn}")
    return found.path if found else "/" + arn.split(":policy/", 1)[-1].rpartition("/")[0].strip("/") + "/"


async def put_role_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    role = core.role(ctx.account, params["RoleName"])
    document = params["PolicyDocument"]
    documents.check(document)
    inline = {**role.inline, params["PolicyName"]: document}
    if sum(len(name) + len("".join(doc.split())) for name, doc in inline.items()) > MAX_INLINE_SIZE:
        raise errors.limit(f"Maximum policy size of {MAX_INLINE_SIZE} bytes exceeded for role {role.name}")
    role.inline = inline
    await core.save_role(role)


async def get_role_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    role = core.role(ctx.account, params["RoleName"])
    name = params["PolicyName"]
    if name not in role.inline:
        raise errors.no_role_policy(name)
    return {"RoleName": role.name, "PolicyName": name, "PolicyDocument": documents.encoded(role.inline[name])}


async def delete_role_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    role = core.role(ctx.account, params["RoleName"])
    name = params["PolicyName"]
    if name not in role.inline:
        raise errors.no_role_policy(name)
    del role.inline[name]
    await core.save_role(role)


async def list_role_policies(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    role = core.role(ctx.account, params["RoleName"])
    chosen, more = page(sorted(role.inline), lambda name: name, params)
    return {"PolicyNames": chosen, **more}


OPERATIONS = {
    "AttachRolePolicy": attach_role_policy,
    "DetachRolePolicy": detach_role_policy,
    "ListAttachedRolePolicies": list_attached_role_policies,
    "PutRolePolicy": put_role_policy,
    "GetRolePolicy": get_role_policy,
    "DeleteRolePolicy": delete_role_policy,
    "ListRolePolicies": list_role_policies,
}
