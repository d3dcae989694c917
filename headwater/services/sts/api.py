"""The STS operations: parameter dicts in (validated against the model by the gateway), results out.

Durations, as the API reference gives them: AssumeRole and AssumeRoleWithWebIdentity default to one
hour, up to the role's MaxSessionDuration; Headwater has no IAM roles to configure, so every role
allows the API's 12 hours. A role assumed with an assumed role's credentials (role chaining) is held
to one hour. GetSessionToken and GetFederationToken default to 12 hours, but sessions of an account's
root user (every caller that is not itself a session, here) are cut to one hour, as AWS cuts them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from headwater.config import account_for_access_key
from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.operations import ServiceApi
from headwater.services.ports import Identity
from headwater.services.sts import keys
from headwater.services.sts.arns import federated_user_arn, not_authorized, parse_role_arn
from headwater.services.sts.policies import check_policy, packed_policy_size
from headwater.services.sts.service import StsCore

ROLE_DEFAULT_S = 3_600
CHAINED_MAX_S = 3_600
SESSION_DEFAULT_S = 43_200
ROOT_SESSION_MAX_S = 3_600


async def get_caller_identity(core: StsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    caller = core.caller(ctx)
    return {"Arn": caller.arn, "UserId": caller.user_id, "Account": caller.account}  # AWS's order


async def assume_role(core: StsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    caller = core.caller(ctx)
    role = parse_role_arn(params["RoleArn"])
    if role is None:
        raise not_authorized(caller.arn, "sts:AssumeRole", params["RoleArn"])
    duration = params.get("DurationSeconds", ROLE_DEFAULT_S)
    if caller.kind == "assumed-role" and duration > CHAINED_MAX_S:
        raise AwsError(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )
    check_policy(params.get("Policy"))
    session_arn = role.session_arn(params["RoleSessionName"])
    return await _role_session(
        core, params, role.account, session_arn, keys.role_id(params["RoleArn"]), duration
    )


async def assume_role_with_web_identity(
    core: StsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    role = parse_role_arn(params["RoleArn"])
    if role is None:  # AWS's words when the role's trust policy does not let the token in
        raise AwsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
    check_policy(params.get("Policy"))
    claims = _token_claims(params["WebIdentityToken"])
    session_name = params["RoleSessionName"]
    result = await _role_session(
        core,
        params,
        role.account,
        role.session_arn(session_name),
        keys.role_id(params["RoleArn"]),
        params.get("DurationSeconds", ROLE_DEFAULT_S),
    )
    subject = str(claims.get("sub") or session_name)
    audience = claims.get("aud")
    if isinstance(audience, list):
        audience = audience[0] if audience else None
    provider = claims.get("iss") or params.get("ProviderId")
    extra = {"SubjectFromWebIdentityToken": subject, "Provider": provider, "Audience": audience}
    return {**result, **{key: value for key, value in extra.items() if value}}


async def get_session_token(core: StsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    caller = core.caller(ctx)
    if caller.temporary:
        raise AwsError("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
    duration = min(params.get("DurationSeconds", SESSION_DEFAULT_S), ROOT_SESSION_MAX_S)
    issued = await core.sessions.issue(
        account=caller.account, arn=caller.arn, user_id=caller.user_id, kind="session", duration_s=duration
    )
    return {"Credentials": _credentials(issued)}


async def get_federation_token(core: StsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    caller = core.caller(ctx)
    if caller.temporary:
        raise AwsError("AccessDenied", "Cannot call GetFederationToken with session credentials", 403)
    check_policy(params.get("Policy"))
    name = params["Name"]
    arn = federated_user_arn(caller.account, name)
    user_id = f"{caller.account}:{name}"
    duration = min(params.get("DurationSeconds", SESSION_DEFAULT_S), ROOT_SESSION_MAX_S)
    issued = await core.sessions.issue(
        account=caller.account, arn=arn, user_id=user_id, kind="federated-user", duration_s=duration
    )
    result: dict[str, Any] = {
        "Credentials": _credentials(issued),
        "FederatedUser": {"FederatedUserId": user_id, "Arn": arn},
    }
    packed = packed_policy_size(params)
    if packed is not None:
        result["PackedPolicySize"] = packed
    return result


async def get_access_key_info(core: StsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = params["AccessKeyId"]
    issued = core.sessions.lookup(key)
    account = issued.account if issued else account_for_access_key(key, core.config.account_id)
    return {"Account": account}


async def _role_session(
    core: StsCore, params: dict[str, Any], account: str, arn: str, role_id: str, duration: int
) -> dict[str, Any]:
    user_id = f"{role_id}:{params['RoleSessionName']}"
    issued = await core.sessions.issue(
        account=account, arn=arn, user_id=user_id, kind="assumed-role", duration_s=duration
    )
    # AWS's element order: the assumed role user, then the credentials
    result: dict[str, Any] = {
        "AssumedRoleUser": {"AssumedRoleId": user_id, "Arn": arn},
        "Credentials": _credentials(issued),
    }
    packed = packed_policy_size(params)
    if packed is not None:
        result["PackedPolicySize"] = packed
    if params.get("SourceIdentity"):
        result["SourceIdentity"] = params["SourceIdentity"]
    return result


def _credentials(issued: Identity) -> dict[str, Any]:
    return {
        "AccessKeyId": issued.access_key,
        "SecretAccessKey": issued.secret,
        "SessionToken": issued.session_token,
        "Expiration": issued.expires,
    }


def _token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (not verified: Headwater trusts no identity provider), else none.

    Any token is accepted, JWT or not: local tests pass placeholders, and there is no provider to
    check a signature against."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


OPERATIONS = {
    "GetCallerIdentity": get_caller_identity,
    "AssumeRole": assume_role,
    "AssumeRoleWithWebIdentity": assume_role_with_web_identity,
    "GetSessionToken": get_session_token,
    "GetFederationToken": get_federation_token,
    "GetAccessKeyInfo": get_access_key_info,
}


def sts_api(core: StsCore) -> ServiceApi:
    return ServiceApi(core, OPERATIONS)
