"""The role operations: create, read, list, update, tag and delete roles."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.iam import documents, errors
from headwater.services.iam.core import IamCore
from headwater.services.iam.paging import page
from headwater.services.iam.records import Role, new_id, role_key

MAX_TAGS = 50
MAX_TRUST_SIZE = 2048


def _check_trust(document: str) -> None:
    documents.check(document)
    if len("".join(document.split())) > MAX_TRUST_SIZE:
        raise errors.limit(f"Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_SIZE}")


def _merge_tags(old: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    keys = [tag["Key"].lower() for tag in new]
    if len(keys) != len(set(keys)):
        raise errors.invalid_input(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    merged = {tag["Key"].lower(): tag for tag in old}
    merged.update({tag["Key"].lower(): {"Key": tag["Key"], "Value": tag["Value"]} for tag in new})
    if len(merged) > MAX_TAGS:
        raise errors.limit(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
    return list(merged.values())


async def create_role(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name = params["RoleName"]
    if role_key(ctx.account, name) in core.roles:
        raise errors.exists(f"Role with name {name} already exists.")
    _check_trust(params["AssumeRolePolicyDocument"])
    role = Role(
        account=ctx.account,
        name=name,
        path=params.get("Path") or "/",
        role_id=new_id("AROA"),
        created=float(int(core.clock.now())),
        trust=params["AssumeRolePolicyDocument"],
        description=params.get("Description"),
        max_session=params.get("MaxSessionDuration") or 3600,
        boundary=params.get("PermissionsBoundary"),
        tags=_merge_tags([], params.get("Tags") or []),
    )
    await core.save_role(role)
    return {"Role": role.describe(full=True)}


async def get_role(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return {"Role": core.role(ctx.account, params["RoleName"]).describe(full=True)}


async def list_roles(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    prefix = params.get("PathPrefix") or "/"
    roles = [role for role in core.roles_of(ctx.account) if role.path.startswith(prefix)]
    chosen, more = page(roles, lambda role: role.name.lower(), params)
    return {"Roles": [role.describe() for role in chosen], **more}


async def delete_role(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    role = core.role(ctx.account, params["RoleName"])
    if role.attached:
        raise errors.conflict("Cannot delete entity, must detach all policies first.")
    if role.inline:
        raise errors.conflict("Cannot delete entity, must delete policies first.")
    await core.delete_role(role)


async def update_role(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    role = core.role(ctx.account, params["RoleName"])
    if "Description" in params:
        role.description = params["Description"]
    if params.get("MaxSessionDuration"):
        role.max_session = params["MaxSessionDuration"]
    await core.save_role(role)
    return {}


async def update_role_description(
    core: IamCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    role = core.role(ctx.account, params["RoleName"])
    role.description = params["Description"]
    await core.save_role(role)
    return {"Role": role.describe(full=True)}


async def update_assume_role_policy(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    role = core.role(ctx.account, params["RoleName"])
    _check_trust(params["PolicyDocument"])
    role.trust = params["PolicyDocument"]
    await core.save_role(role)


async def tag_role(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    role = core.role(ctx.account, params["RoleName"])
    role.tags = _merge_tags(role.tags, params["Tags"])
    await core.save_role(role)


async def untag_role(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> None:
    role = core.role(ctx.account, params["RoleName"])
    gone = {key.lower() for key in params["TagKeys"]}
    role.tags = [tag for tag in role.tags if tag["Key"].lower() not in gone]
    await core.save_role(role)


async def list_role_tags(core: IamCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    role = core.role(ctx.account, params["RoleName"])
    chosen, more = page(role.tags, lambda tag: tag["Key"].lower(), params)
    return {"Tags": chosen, **more}


async def create_service_linked_role(
    core: IamCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    """``AWSServiceRoleFor<Service>`` under ``/aws-service-role/<service principal>/``, trusting the
    service. (AWS's names for each service vary; this is the common form.)"""
    service = params["AWSServiceName"]
    if not service.endswith(".amazonaws.com"):
        raise errors.invalid_input(f"Invalid service name: {service}")
    label = service.removesuffix(".amazonaws.com").split(".")[0]
    name = "AWSServiceRoleFor" + "".join(
        part[:1].upper() + part[1:] for part in label.replace("-", " ").split()
    )
    if params.get("CustomSuffix"):
        name += "_" + params["CustomSuffix"]
    if role_key(ctx.account, name) in core.roles:
        raise errors.invalid_input(
            f"Service role name {name} has been taken in this account, please try a different suffix."
        )
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"'
        + service
        + '"},"Action":"sts:AssumeRole"}]}'
    )
    role = Role(
        account=ctx.account,
        name=name,
        path=f"/aws-service-role/{service}/",
        role_id=new_id("AROA"),
        created=float(int(core.clock.now())),
        trust=trust,
        description=params.get("Description"),
    )
    await core.save_role(role)
    return {"Role": role.describe(full=True)}


OPERATIONS = {
    "CreateRole": create_role,
    "GetRole": get_role,
    "ListRoles": list_roles,
    "DeleteRole": delete_role,
    "UpdateRole": update_role,
    "UpdateRoleDescription": update_role_description,
    "UpdateAssumeRolePolicy": update_assume_role_policy,
    "TagRole": tag_role,
    "UntagRole": untag_role,
    "ListRoleTags": list_role_tags,
    "CreateServiceLinkedRole": create_service_linked_role,
}
