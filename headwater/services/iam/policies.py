"""Managed policies: customer policies with up to five versions, and the AWS-managed ones (read
only, `managed.py`)."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.iam import documents, errors
from headwater.services.iam.attachments import check_arn
from headwater.services.iam.core import IamCore
from headwater.services.iam.managed import MANAGED, Managed
from headwater.services.iam.paging import page
from headwater.services.iam.records import Policy, Version, new_id

MAX_VERSIONS = 5


def _describe(core: IamCore, account: str, policy: Policy | Managed) -> dict[str, Any]:
    description: str | None
    if isinstance(policy, Managed):
        out: dict[str, Any] = {
            "PolicyName": policy.name,
            "PolicyId": policy.policy_id,
            "Arn": policy.arn,
            "Path": policy.path,
            "DefaultVersionId": policy.version,
        }
        created, updated, description = policy.created, policy.updated, policy.description
    else:
        out = {
            "PolicyName": policy.name,
            "PolicyId": policy.policy_id,
            "Arn": policy.arn,
            "Path": policy.path,
            "DefaultVersionId": policy.default,
        }
        created, updated, description = policy.created, policy.updated, policy.description
    out.update(AttachmentCount=core.attachments(account, policy.arn), PermissionsBoundaryUsageCount=0)
    out["IsAttachable"] = True
    if description is not None:
        out["Description"] = description
    out.update(CreateDate=created, UpdateDate=updated)
    if isinstance(policy, Policy) and policy.tags:
        out["Tags"] = list(policy.tags)
    return out


def _find(core: IamCore, account: str, arn: str) -> Policy | Managed:
    check_arn(arn)
    return MANAGED[arn] if arn in MANAGED else core.policy(account, arn)


def _customer(core: IamCore, account: str, arn: str) -> Policy:
    check_arn(arn)
    return core.policy(account, arn)


def _version(version: Version, default: str) -> dict[str, Any]:
    return {
        "Document": documents.encoded(version.document),
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == default,
        "CreateDate": version.created,
    }


async def create_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    now = float(int(core.clock.now()))
    documents.check(params["PolicyDocument"])
    policy = Policy(
        account=ctx.account,
        name=params["PolicyName"],
        path=params.get("Path") or "/",
        policy_id=new_id("ANPA"),
        created=now,
        updated=now,
        default="v1",
        next_version=2,
        versions=[Version("v1", params["PolicyDocument"], now)],
        description=params.get("Description"),
        tags=[{"Key": t["Key"], "Value": t["Value"]} for t in params.get("Tags") or []],
    )
    if any(p.name == policy.name for p in core.policies_of(ctx.account)):
        raise errors.exists(f"A policy called {policy.name} already exists. Duplicate names are not allowed.")
    await core.save_policy(policy)
    return {"Policy": _describe(core, ctx.account, policy)}


async def get_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return {"Policy": _describe(core, ctx.account, _find(core, ctx.account, params["PolicyArn"]))}


async def delete_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    policy = _customer(core, ctx.account, params["PolicyArn"])
    if core.attachments(ctx.account, policy.arn):
        raise errors.conflict("Cannot delete a policy attached to entities.")
    if len(policy.versions) > 1:
        raise errors.conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
        )
    await core.delete_policy(policy)


async def list_policies(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    scope = params.get("Scope") or "All"
    prefix = params.get("PathPrefix") or "/"
    found: list[Policy | Managed] = []
    if scope in ("All", "AWS"):
        found += list(MANAGED.values())
    if scope in ("All", "Local"):
        found += core.policies_of(ctx.account)
    found = [p for p in found if p.path.startswith(prefix)]
    if params.get("OnlyAttached"):
        found = [p for p in found if core.attachments(ctx.account, p.arn)]
    found.sort(key=lambda p: p.arn)
    chosen, more = page(found, lambda p: p.arn, params)
    return {"Policies": [_describe(core, ctx.account, p) for p in chosen], **more}


async def create_policy_version(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    policy = _customer(core, ctx.account, params["PolicyArn"])
    documents.check(params["PolicyDocument"])
    if len(policy.versions) >= MAX_VERSIONS:
        raise errors.limit(
            f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, "
            "you must delete an existing version."
        )
    now = float(int(core.clock.now()))
    version = Version(f"v{policy.next_version}", params["PolicyDocument"], now)
    policy.next_version += 1
    policy.versions.append(version)
    if params.get("SetAsDefault"):
        policy.default = version.version_id
    policy.updated = now
    await core.save_policy(policy)
    return {"PolicyVersion": _version(version, policy.default)}


async def get_policy_version(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    policy = _find(core, ctx.account, arn)
    if isinstance(policy, Managed):
        if version_id != policy.version:
            raise errors.no_version(arn, version_id)
        return {
            "PolicyVersion": _version(
                Version(policy.version, policy.document, policy.updated), policy.version
            )
        }
    version = policy.version(version_id)
    if version is None:
        raise errors.no_version(arn, version_id)
    return {"PolicyVersion": _version(version, policy.default)}


async def list_policy_versions(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    policy = _find(core, ctx.account, params["PolicyArn"])
    if isinstance(policy, Managed):
        versions = [Version(policy.version, policy.document, policy.updated)]
        default = policy.version
    else:
        versions, default = sorted(policy.versions, key=lambda v: -int(v.version_id[1:])), policy.default
    chosen, more = page(versions, lambda v: f"{10**9 - int(v.version_id[1:]):010d}", params)
    return {
        "Versions": [{k: v for k, v in _version(x, default).items() if k != "Document"} for x in chosen],
        **more,
    }


async def delete_policy_version(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    policy = _customer(core, ctx.account, arn)
    version = policy.version(version_id)
    if version is None:
        raise errors.no_version(arn, version_id)
    if version_id == policy.default:
        raise errors.conflict("Cannot delete the default version of a policy.")
    policy.versions.remove(version)
    await core.save_policy(policy)


async def set_default_policy_version(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    policy = _customer(core, ctx.account, arn)
    if policy.version(version_id) is None:
        raise errors.no_version(arn, version_id)
    policy.default = version_id
    policy.updated = float(int(core.clock.now()))
    await core.save_policy(policy)


OPERATIONS = {
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "DeletePolicy": delete_policy,
    "ListPolicies": list_policies,
    "CreatePolicyVersion": create_policy_version,
    "GetPolicyVersion": get_policy_version,
    "ListPolicyVersions": list_policy_versions,
    "DeletePolicyVersion": delete_policy_version,
    "SetDefaultPolicyVersion": set_default_policy_version,
}
