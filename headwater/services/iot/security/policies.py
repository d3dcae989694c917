"""Policies and their versions: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy,
CreatePolicyVersion (at most 5), GetPolicyVersion, ListPolicyVersions, SetDefaultPolicyVersion,
DeletePolicyVersion. Version ids count up per policy and are never reused."""

from __future__ import annotations

import uuid
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot.security import documents, errors, paging
from headwater.services.iot.security.part import SecurityHost, SecurityPart

Result = dict[str, Any]
MAX_VERSIONS = 5


def check_document(part: SecurityPart, text: Any) -> str:
    if not isinstance(text, str):
        raise errors.malformed("Invalid policy syntax.")
    documents.check(text, part.config.limits)
    if part.policy_check is not None:
        reason = part.policy_check(text)
        if reason:
            raise errors.malformed(reason)
    return text


def found(part: SecurityPart, ctx: RequestContext, name: str) -> dict[str, Any]:
    doc = part.policies.get(ctx.account, ctx.region, name)
    if doc is None:
        raise errors.policy_not_found(name)
    return doc


def _key(version_id: str) -> str:
    # "01" names version 1; no int(): a client's thousands of digits would raise
    return (version_id.lstrip("0") or "0") if version_id.isdigit() else version_id


def _version(doc: dict[str, Any], version_id: str) -> dict[str, Any]:
    version = doc["versions"].get(_key(version_id))
    if version is None:
        raise errors.version_not_found(doc["policyName"], version_id[:64])
    return dict(version)


async def create_policy(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    name = params["policyName"]
    if part.policies.get(ctx.account, ctx.region, name) is not None:
        arn = f"arn:aws:iot:{ctx.region}:{ctx.account}:policy/{name}"
        raise errors.exists(f"Policy cannot be created - name already exists (name={name})", name, arn)
    text = check_document(part, params.get("policyDocument"))
    now = part.now()
    doc = {
        "account": ctx.account,
        "region": ctx.region,
        "policyName": name,
        "policyArn": f"arn:aws:iot:{ctx.region}:{ctx.account}:policy/{name}",
        "defaultVersionId": "1",
        "nextVersion": 2,
        "creationDate": now,
        "lastModifiedDate": now,
        "generationId": uuid.uuid4().hex,
        "versions": {"1": {"document": text, "createDate": now}},
    }
    await part.policies.put(doc)
    await part.tag(doc["policyArn"], params.get("tags"))
    return {"policyName": name, "policyArn": doc["policyArn"], "policyDocument": text, "policyVersionId": "1"}


async def get_policy(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    doc = found(core.security, ctx, params["policyName"])
    return {
        "policyName": doc["policyName"],
        "policyArn": doc["policyArn"],
        "policyDocument": doc["versions"][doc["defaultVersionId"]]["document"],
        "defaultVersionId": doc["defaultVersionId"],
        "creationDate": doc["creationDate"],
        "lastModifiedDate": doc["lastModifiedDate"],
        "generationId": doc["generationId"],
    }


async def list_policies(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    descending = params.get("ascendingOrder") is False
    docs = sorted(core.security.policies.of(ctx.account, ctx.region), key=_name, reverse=descending)
    chosen, marker = paging.page(docs, _name, params, descending=descending)
    result: Result = {
        "policies": [{"policyName": d["policyName"], "policyArn": d["policyArn"]} for d in chosen]
    }
    if marker:
        result["nextMarker"] = marker
    return result


def _name(doc: dict[str, Any]) -> str:
    return str(doc["policyName"])


async def delete_policy(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    doc = found(part, ctx, params["policyName"])
    name = doc["policyName"]
    if part.policies.targets_of(ctx.account, ctx.region, name):
        raise errors.conflict(
            f"The policy cannot be deleted as the policy is attached to one or more principals (name={name})"
        )
    if len(doc["versions"]) > 1:
        raise errors.conflict(
            f"The policy cannot be deleted as versions other than the default version exist (name={name})"
        )
    await part.policies.delete(doc)
    await part.untag(doc["policyArn"])


async def create_policy_version(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    doc = found(part, ctx, params["policyName"])
    text = check_document(part, params.get("policyDocument"))
    if len(doc["versions"]) >= MAX_VERSIONS:
        raise AwsError(
            "VersionsLimitExceededException",
            f"The policy {doc['policyName']} already has the maximum number of versions ({MAX_VERSIONS})",
        )
    now = part.now()
    version_id = str(doc["nextVersion"])
    doc["nextVersion"] += 1
    doc["versions"][version_id] = {"document": text, "createDate": now}
    default = bool(params.get("setAsDefault"))
    if default:
        doc["defaultVersionId"] = version_id
    doc["lastModifiedDate"] = now
    doc["generationId"] = uuid.uuid4().hex
    await part.policies.put(doc)
    return {
        "policyArn": doc["policyArn"],
        "policyDocument": text,
        "policyVersionId": version_id,
        "isDefaultVersion": default,
    }


async def get_policy_version(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    doc = found(core.security, ctx, params["policyName"])
    version_id = str(params["policyVersionId"])
    version = _version(doc, version_id)
    key = _key(version_id)
    return {
        "policyArn": doc["policyArn"],
        "policyName": doc["policyName"],
        "policyDocument": version["document"],
        "policyVersionId": key,
        "isDefaultVersion": key == doc["defaultVersionId"],
        "creationDate": version["createDate"],
        "lastModifiedDate": version["createDate"],
        "generationId": doc["generationId"],
    }


async def list_policy_versions(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    doc = found(core.security, ctx, params["policyName"])
    ids = sorted(doc["versions"], key=int, reverse=True)
    return {
        "policyVersions": [
            {
                "versionId": vid,
                "isDefaultVersion": vid == doc["defaultVersionId"],
                "createDate": doc["versions"][vid]["createDate"],
            }
            for vid in ids
        ]
    }


async def set_default_policy_version(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    doc = found(part, ctx, params["policyName"])
    version_id = str(params["policyVersionId"])
    _version(doc, version_id)
    doc["defaultVersionId"] = _key(version_id)
    doc["lastModifiedDate"] = part.now()
    doc["generationId"] = uuid.uuid4().hex
    await part.policies.put(doc)


async def delete_policy_version(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    doc = found(part, ctx, params["policyName"])
    version_id = str(params["policyVersionId"])
    _version(doc, version_id)
    key = _key(version_id)
    if key == doc["defaultVersionId"]:
        raise errors.conflict(
            f"Cannot delete the default version of a policy (name={doc['policyName']}, version={key})"
        )
    del doc["versions"][key]
    await part.policies.put(doc)


OPERATIONS = {
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "ListPolicies": list_policies,
    "DeletePolicy": delete_policy,
    "CreatePolicyVersion": create_policy_version,
    "GetPolicyVersion": get_policy_version,
    "ListPolicyVersions": list_policy_versions,
    "SetDefaultPolicyVersion": set_default_policy_version,
    "DeletePolicyVersion": delete_policy_version,
}
