"""The layer operations (PublishLayerVersion, GetLayerVersion[ByArn], ListLayers,
ListLayerVersions, DeleteLayerVersion, the layer version permissions of layer_policy.py) and the
check of a function's `Layers`.

A function names up to five layer version ARNs; each must exist when the function is created or
updated, and the function's record keeps their content keys, so its workers get the layers
unpacked in order into their ``opt`` directory (see `layer_store.extract`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions import errors, layer_policy
from headwater.services.functions.code import read_package
from headwater.services.functions.layer_store import LayerVersion
from headwater.services.functions.policy import Policy
from headwater.services.functions.record import timestamp
from headwater.services.functions.service import FunctionsCore

MAX_LAYERS = 5
_LAYER = re.compile(
    r"(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:)?(?P<name>[a-zA-Z0-9_-]{1,140})"
)
_VERSION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:"
    r"(?P<name>[a-zA-Z0-9_-]+):(?P<version>[0-9]+)"
)


def _missing() -> AwsError:
    return AwsError(
        "ResourceNotFoundException", "The resource you requested does not exist.", 404, details=errors.USER
    )


def _layer_key(value: str, ctx: RequestContext) -> str:
    """The store key of a LayerName parameter (a name or a layer ARN)."""
    found = _LAYER.fullmatch(value)
    if found is None:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'layerName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: "
            "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+",
            400,
            details=errors.USER,
        )
    return f"{found['account'] or ctx.account}/{found['region'] or ctx.region}/{found['name']}"


def _location(ctx: RequestContext, layer: LayerVersion) -> str:
    return (
        f"{ctx.scheme}://{ctx.host}/_headwater/functions/{layer.account}/{layer.region}"
        f"/layer:{layer.name}:{layer.version}/code?sha256={layer.code_key}"
    )


def _matches(layer: LayerVersion, params: dict[str, Any]) -> bool:
    runtime, architecture = params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")
    return (runtime is None or runtime in layer.runtimes) and (
        architecture is None or architecture in layer.architectures
    )


def function_layers(core: FunctionsCore, arns: list[str], account: str) -> dict[str, Any]:
    """The record fields of a function's `Layers`: each must name an existing layer version that
    the function's `account` may use (another account's needs its grant under strict auth)."""
    if len(arns) > MAX_LAYERS:
        raise errors.invalid(f"Cannot reference more than {MAX_LAYERS} layers.")
    keys: list[str] = []
    sizes: list[int] = []
    for arn in arns:
        found = _VERSION_ARN.fullmatch(arn)
        layer = None
        if found is not None:
            layer_key = f"{found['account']}/{found['region']}/{found['name']}"
            layer = core.layers.get(layer_key, int(found["version"]))
        if layer is None:
            raise errors.invalid(f"Layer version {arn} does not exist.")
        if core.config.auth == "strict" and not layer_policy.may_use(core.meta, layer, account):
            raise AwsError(
                "AccessDeniedException",
                f"User: arn:aws:iam::{account}:root is not authorized to perform: "
                f"lambda:GetLayerVersion on resource: {arn} because no resource-based policy allows "
                "the lambda:GetLayerVersion action",
                403,
                details=errors.USER,
            )
        keys.append(layer.code_key)
        sizes.append(layer.code_size)
    return {"layers": list(arns), "layer_keys": keys, "layer_sizes": sizes}


async def publish_layer_version(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    layer_key = _layer_key(params["LayerName"], ctx)
    package = await read_package(core, ctx, params.get("Content") or {})
    digest = hashlib.sha256(package).digest()
    await core.packages.put(digest.hex(), package)  # a no-op when the same zip is stored already
    account, region, name = layer_key.split("/", 2)
    layer = LayerVersion(
        account=account,
        region=region,
        name=name,
        version=await core.layers.next_number(layer_key),
        created=timestamp(core.clock.now()),
        code_sha256=base64.b64encode(digest).decode(),
        code_key=digest.hex(),
        code_size=len(package),
        description=params.get("Description", ""),
        runtimes=list(params.get("CompatibleRuntimes") or []),
        architectures=list(params.get("CompatibleArchitectures") or []),
        license=params.get("LicenseInfo"),
    )
    await core.layers.put(layer)
    return layer.shape(_location(ctx, layer))


async def get_layer_version(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    layer = core.layers.get(_layer_key(params["LayerName"], ctx), int(params["VersionNumber"]))
    if layer is None:
        raise _missing()
    return layer.shape(_location(ctx, layer))


async def get_layer_version_by_arn(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    found = _VERSION_ARN.fullmatch(params["Arn"])
    if found is None:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{params['Arn']}' at 'arn' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: "
            "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)",
            400,
            details=errors.USER,
        )
    layer_key = f"{found['account']}/{found['region']}/{found['name']}"
    layer = core.layers.get(layer_key, int(found["version"]))
    if layer is None:
        raise _missing()
    return layer.shape(_location(ctx, layer))


def _page(items: list[Any], params: dict[str, Any], marker_of: Any) -> tuple[list[Any], str | None]:
    marker = params.get("Marker")
    if marker:
        items = [item for item in items if marker_of(item) > marker]
    limit = params.get("MaxItems") or 50
    page = items[:limit]
    return page, (marker_of(page[-1]) if len(items) > limit else None)


async def list_layers(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    latest: dict[str, LayerVersion] = {}
    for layer in core.layers.in_region(ctx.account, ctx.region):
        if _matches(layer, params) and (
            layer.name not in latest or layer.version > latest[layer.name].version
        ):
            latest[layer.name] = layer
    ordered = [latest[name] for name in sorted(latest)]
    page, marker = _page(ordered, params, lambda layer: layer.name)
    result: dict[str, Any] = {
        "Layers": [
            {"LayerName": layer.name, "LayerArn": layer.arn, "LatestMatchingVersion": layer.item()}
            for layer in page
        ]
    }
    if marker is not None:
        result["NextMarker"] = marker
    return result


async def list_layer_versions(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    versions = [v for v in core.layers.of(_layer_key(params["LayerName"], ctx)) if _matches(v, params)]
    marker = params.get("Marker")
    if marker:
        versions = [v for v in versions if v.version < int(marker)] if marker.isdigit() else []
    limit = params.get("MaxItems") or 50
    page = versions[:limit]
    result: dict[str, Any] = {"LayerVersions": [v.item() for v in page]}
    if len(versions) > limit:
        result["NextMarker"] = str(page[-1].version)
    return result


async def delete_layer_version(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    layer = core.layers.get(_layer_key(params["LayerName"], ctx), int(params["VersionNumber"]))
    if layer is not None:  # deleting an absent version succeeds, as on AWS
        await core.layers.delete(layer)
        await layer_policy.save(core.meta, layer, Policy())  # its policy goes with it
        await core.forget_package(layer.code_key)
    return {}


async def add_layer_version_permission(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return await layer_policy.add_permission(core, params, ctx, _layer_key(params["LayerName"], ctx))


async def remove_layer_version_permission(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return await layer_policy.remove_permission(core, params, ctx, _layer_key(params["LayerName"], ctx))


async def get_layer_version_policy(
    core: FunctionsCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return await layer_policy.get_policy(core, params, ctx, _layer_key(params["LayerName"], ctx))


OPERATIONS = {
    "PublishLayerVersion": publish_layer_version,
    "GetLayerVersion": get_layer_version,
    "GetLayerVersionByArn": get_layer_version_by_arn,
    "ListLayers": list_layers,
    "ListLayerVersions": list_layer_versions,
    "DeleteLayerVersion": delete_layer_version,
    "AddLayerVersionPermission": add_layer_version_permission,
    "RemoveLayerVersionPermission": remove_layer_version_permission,
    "GetLayerVersionPolicy": get_layer_version_policy,
}
