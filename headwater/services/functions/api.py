"""The Lambda control-plane operations: functions, their code, configuration and concurrency."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.functions import alias_api, errors, layers, versions
from headwater.services.functions.code import read_package
from headwater.services.functions.event_invoke_config import OPERATIONS as EVENT_INVOKE_CONFIG
from headwater.services.functions.invoke_api import invoke
from headwater.services.functions.launch import RUNTIMES
from headwater.services.functions.names import function_name
from headwater.services.functions.permissions import OPERATIONS as PERMISSIONS
from headwater.services.functions.record import LATEST, FunctionRecord, timestamp
from headwater.services.functions.roles import check_role
from headwater.services.functions.service import FunctionsCore
from headwater.services.functions.tags import OPERATIONS as TAGS
from headwater.services.functions.urls import OPERATIONS as URLS
from headwater.services.operations import ServiceApi

ENV_LIMIT = 4096


def _environment(params: dict[str, Any]) -> dict[str, str] | None:
    if "Environment" not in params:
        return None
    variables = dict((params["Environment"] or {}).get("Variables") or {})
    if len(json.dumps(variables, separators=(",", ":")).encode()) > ENV_LIMIT:
        raise errors.invalid(
            "Lambda was unable to configure your environment variables because the environment variables "
            "you have provided exceeded the 4KB limit."
        )
    return variables


def _runtime(params: dict[str, Any]) -> None:
    runtime = params.get("Runtime")
    if runtime is not None and runtime not in RUNTIMES:
        raise errors.invalid(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            "functions. We recommend you use a supported runtime while creating or updating functions."
            if runtime.startswith(("python2", "python3.6", "python3.7", "python3.8", "nodejs1"))
            else f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set"
        )


def _dead_letter(params: dict[str, Any]) -> str | None:
    target = (params.get("DeadLetterConfig") or {}).get("TargetArn") or None
    if target is not None and not target.startswith(("arn:aws:sqs:", "arn:aws:sns:")):
        raise errors.invalid(f"The provided target arn {target} is invalid.")
    return target


async def create_function(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    if params.get("PackageType", "Zip") != "Zip":
        raise errors.invalid("Headwater runs Zip packages only; container images are not supported.")
    _runtime(params)
    if "Runtime" not in params or "Handler" not in params:
        raise errors.invalid(
            "Runtime and Handler are mandatory parameters for functions created with Zip packages."
        )
    check_role(core, params["Role"])
    environment = _environment(params) or {}
    package = await read_package(core, ctx, params.get("Code") or {})
    if core.functions.get(f"{ctx.account}/{ctx.region}/{name}") is not None:
        raise errors.already_exists(name)
    digest = hashlib.sha256(package).digest()
    record = FunctionRecord(
        account=ctx.account,
        region=ctx.region,
        name=name,
        runtime=params["Runtime"],
        role=params["Role"],
        handler=params["Handler"],
        code_sha256=base64.b64encode(digest).decode(),
        code_key=digest.hex(),
        code_size=len(package),
        revision_id=core.new_revision(),
        last_modified=timestamp(core.clock.now()),
        description=params.get("Description", ""),
        timeout=params.get("Timeout", 3),
        memory_size=params.get("MemorySize", 128),
        environment=environment,
        architectures=list(params.get("Architectures") or ["x86_64"]),
        ephemeral_storage=(params.get("EphemeralStorage") or {}).get("Size", 512),
        state="Pending",
        tags=dict(params.get("Tags") or {}),
        dead_letter_target=_dead_letter(params),
        **layers.function_layers(core, list(params.get("Layers") or []), ctx.account),
    )
    await core.save(record, package)
    if params.get("Publish"):
        return (await versions.publish(core, record, None)).configuration()
    return record.configuration()


async def get_function(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    record, _ = versions.resolve(
        core, ctx.account, ctx.region, params["FunctionName"], params.get("Qualifier")
    )
    result: dict[str, Any] = {
        "Configuration": record.configuration(),
        "Code": {"RepositoryType": "S3", "Location": _location(ctx, record)},
    }
    latest = core.get(record.account, record.region, record.name)
    if latest.tags:
        result["Tags"] = dict(latest.tags)
    if latest.reserved_concurrency is not None:
        result["Concurrency"] = {"ReservedConcurrentExecutions": latest.reserved_concurrency}
    return result


def _location(ctx: RequestContext, record: FunctionRecord) -> str:
    return (
        f"{ctx.scheme}://{ctx.host}/_headwater/functions/{record.account}/{record.region}/"
        f"{record.name if record.version == LATEST else f'{record.name}:{record.version}'}"
        f"/code?sha256={record.code_key}"
    )


async def get_function_configuration(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    name, qualifier = params["FunctionName"], params.get("Qualifier")
    return versions.resolve(core, ctx.account, ctx.region, name, qualifier)[0].configuration()


async def list_functions(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    records = core.listing(ctx.account, ctx.region)
    marker = params.get("Marker")
    if marker:
        records = [r for r in records if r.name > marker]
    limit = params.get("MaxItems", 50)
    page = records[:limit]
    result: dict[str, Any] = {"Functions": [r.configuration() for r in page]}
    if len(records) > limit:
        result["NextMarker"] = page[-1].name
    return result


async def delete_function(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name, qualifier = function_name(params["FunctionName"], params.get("Qualifier"))
    record = core.get(ctx.account, ctx.region, name)
    if qualifier is not None:
        await versions.delete_version(core, record, qualifier)
    else:
        await core.delete(record)
    return {"StatusCode": 204}


async def update_function_code(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    record = _lookup(core, params, ctx)
    _check_revision(record, params)
    if record.last_update_status == "InProgress":
        raise errors.update_in_progress(record.arn)
    package = await read_package(core, ctx, params)
    if params.get("DryRun"):
        return record.configuration()
    digest = hashlib.sha256(package).digest()
    updated = record.evolve(
        code_sha256=base64.b64encode(digest).decode(),
        code_key=digest.hex(),
        code_size=len(package),
        revision_id=core.new_revision(),
        last_modified=timestamp(core.clock.now()),
        last_update_status="InProgress",
        architectures=list(params.get("Architectures") or record.architectures),
    )
    await core.save(updated, package)
    if params.get("Publish"):
        return (
            await versions.publish(core, core.get(ctx.account, ctx.region, updated.name), None)
        ).configuration()
    return updated.configuration()


async def update_function_configuration(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    record = _lookup(core, params, ctx)
    _check_revision(record, params)
    if record.last_update_status == "InProgress":
        raise errors.update_in_progress(record.arn)
    _runtime(params)
    if "Role" in params:
        check_role(core, params["Role"])
    changes: dict[str, Any] = {
        field: params[key]
        for key, field in (
            ("Runtime", "runtime"),
            ("Role", "role"),
            ("Handler", "handler"),
            ("Description", "description"),
            ("Timeout", "timeout"),
            ("MemorySize", "memory_size"),
        )
        if key in params
    }
    environment = _environment(params)
    if environment is not None:
        changes["environment"] = environment
    if "Layers" in params:
        changes.update(layers.function_layers(core, list(params["Layers"] or []), record.account))
    if "EphemeralStorage" in params:
        changes["ephemeral_storage"] = params["EphemeralStorage"]["Size"]
    if "DeadLetterConfig" in params:
        changes["dead_letter_target"] = _dead_letter(params)
    updated = record.evolve(
        **changes,
        revision_id=core.new_revision(),
        last_modified=timestamp(core.clock.now()),
        last_update_status="InProgress",
    )
    await core.save(updated)
    return updated.configuration()


async def put_function_concurrency(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    record = _lookup(core, params, ctx)
    value = params["ReservedConcurrentExecutions"]
    if not core.concurrency.can_reserve(record.key, value):
        minimum = core.concurrency.minimum_unreserved()
        raise errors.invalid(
            f"Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{minimum}]."
        )
    core.concurrency.reserved[record.key] = value
    await core.save(record.evolve(reserved_concurrency=value))
    return {"ReservedConcurrentExecutions": value}


async def get_function_concurrency(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    record = _lookup(core, params, ctx)
    if record.reserved_concurrency is None:
        return {}
    return {"ReservedConcurrentExecutions": record.reserved_concurrency}


async def delete_function_concurrency(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    record = _lookup(core, params, ctx)
    core.concurrency.reserved.pop(record.key, None)
    await core.save(record.evolve(reserved_concurrency=None))
    return {}


async def get_account_settings(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    limit = core.concurrency.account_limit
    records = core.listing(ctx.account, ctx.region)
    return {
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": core.concurrency.unreserved(f"{ctx.account}/"),
        },
        "AccountUsage": {"TotalCodeSize": sum(r.code_size for r in records), "FunctionCount": len(records)},
    }


def _lookup(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> FunctionRecord:
    name, qualifier = function_name(params["FunctionName"], params.get("Qualifier"))
    record = core.get(ctx.account, ctx.region, name)
    if qualifier not in (None, "$LATEST"):
        raise errors.not_found(f"{record.arn}:{qualifier}")
    return record


def _check_revision(record: FunctionRecord, params: dict[str, Any]) -> None:
    revision = params.get("RevisionId")
    if revision is not None and revision != record.revision_id:
        raise errors.AwsError(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
            "to retrieve the latest Revision Id",
            412,
            details=errors.USER,
        )


OPERATIONS = {
    "CreateFunction": create_function,
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    "ListFunctions": list_functions,
    "DeleteFunction": delete_function,
    "UpdateFunctionCode": update_function_code,
    "UpdateFunctionConfiguration": update_function_configuration,
    "PutFunctionConcurrency": put_function_concurrency,
    "GetFunctionConcurrency": get_function_concurrency,
    "DeleteFunctionConcurrency": delete_function_concurrency,
    "GetAccountSettings": get_account_settings,
    "Invoke": invoke,
    **EVENT_INVOKE_CONFIG,
    **versions.OPERATIONS,
    **alias_api.OPERATIONS,
    **layers.OPERATIONS,
    **PERMISSIONS,
    **TAGS,
    **URLS,
}


def functions_api(core: FunctionsCore) -> ServiceApi:
    return ServiceApi(core, OPERATIONS)
