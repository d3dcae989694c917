"""Function URL configurations: Create/Get/Update/Delete/ListFunctionUrlConfigs (url_store.py keeps
them; url_invoke.py serves the endpoints)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions.qualifiers import Target, target
from headwater.services.functions.service import FunctionsCore
from headwater.services.functions.url_store import ALPHABET, UrlConfig


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _target(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> Target:
    """The function or alias (never a version: the model's pattern refuses digits) a URL belongs to."""
    return target(core, params, ctx)


def _not_found() -> Exception:
    return errors.AwsError(
        "ResourceNotFoundException", "The resource you requested does not exist.", 404, details=errors.USER
    )


def _cors(params: dict[str, Any]) -> dict[str, Any]:
    cors = {k: v for k, v in (params.get("Cors") or {}).items() if v is not None}
    for method in cors.get("AllowMethods") or ():
        if method != "*" and method.upper() not in (
            "GET",
            "PUT",
            "HEAD",
            "POST",
            "PATCH",
            "DELETE",
            "OPTIONS",
        ):
            raise errors.invalid(f"Invalid method {method} in AllowMethods.")
    return cors


async def create_url(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    owner = _target(core, params, ctx)
    record = owner.latest
    if core.urls.get(owner.key) is not None:
        raise errors.conflict(
            f"Failed to create function url config for [functionArn = {owner.arn}]. Error message:  "
            "FunctionUrlConfig exists for this Lambda function"
        )
    now = _now()
    config = UrlConfig(
        url_id="".join(secrets.choice(ALPHABET) for _ in range(32)),
        account=record.account,
        region=record.region,
        name=record.name,
        auth_type=params["AuthType"],
        created=now,
        modified=now,
        invoke_mode=params.get("InvokeMode") or "BUFFERED",
        cors=_cors(params),
        qualifier=owner.qualifier,
    )
    await core.urls.put(config)
    return config.answer(modified=False)


async def get_url(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    config = core.urls.get(_target(core, params, ctx).key)
    if config is None:
        raise _not_found()
    return config.answer()


async def update_url(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    config = core.urls.get(_target(core, params, ctx).key)
    if config is None:
        raise _not_found()
    changes: dict[str, Any] = {"modified": _now()}
    if params.get("AuthType"):
        changes["auth_type"] = params["AuthType"]
    if params.get("InvokeMode"):
        changes["invoke_mode"] = params["InvokeMode"]
    if "Cors" in params:
        changes["cors"] = _cors(params)
    updated = replace(config, **changes)
    await core.urls.put(updated)
    return updated.answer()


async def delete_url(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = _target(core, params, ctx).key
    if core.urls.get(key) is None:
        raise _not_found()
    await core.urls.delete(key)
    return {}


async def list_urls(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    # unqualified: every URL of the function and its aliases (ListFunctionUrlConfigs takes no Qualifier)
    configs = core.urls.of(_target(core, {"FunctionName": params["FunctionName"]}, ctx).latest.key)
    return {"FunctionUrlConfigs": [config.answer() for config in configs]}


OPERATIONS = {
    "CreateFunctionUrlConfig": create_url,
    "GetFunctionUrlConfig": get_url,
    "UpdateFunctionUrlConfig": update_url,
    "DeleteFunctionUrlConfig": delete_url,
    "ListFunctionUrlConfigs": list_urls,
}
