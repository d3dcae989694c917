"""The iot-data shadow operations (GetThingShadow, UpdateThingShadow, DeleteThingShadow,
ListNamedShadowsForThing) over the iot service's `ShadowStore`: the documents are the same bytes
MQTT requests are answered with, and the store's refusals (AWS's shadow error codes) become the
iot-data exceptions of their HTTP status."""

from __future__ import annotations

from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot_data.core import IotDataCore
from headwater.services.iot_data.tokens import marker_of, next_token
from headwater.services.ports import ShadowError

Params = dict[str, Any]
DEFAULT_PAGE = 100  # PageSize's ceiling in the model, the page when none is asked

EXCEPTIONS = {
    400: "InvalidRequestException",
    401: "UnauthorizedException",
    404: "ResourceNotFoundException",
    409: "ConflictException",
    413: "RequestEntityTooLargeException",
    415: "UnsupportedDocumentEncodingException",
    429: "ThrottlingException",
    500: "InternalFailureException",
}


def refused(error: ShadowError) -> AwsError:
    code = EXCEPTIONS.get(error.code, "InternalFailureException")
    return AwsError(code, error.message, error.code, sender_fault=error.code < 500)


async def get_thing_shadow(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    try:
        payload = await core.shadows.read(
            ctx.account, ctx.region, params["thingName"], params.get("shadowName")
        )
    except ShadowError as error:
        raise refused(error) from None
    return {"payload": payload}


async def update_thing_shadow(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    store = core.shadows
    thing, name = params["thingName"], params.get("shadowName")
    try:
        payload = await store.update(ctx.account, ctx.region, thing, name, params.get("payload") or b"")
    except ShadowError as error:
        raise refused(error) from None
    return {"payload": payload}


async def delete_thing_shadow(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    store = core.shadows
    try:
        payload = await store.delete(ctx.account, ctx.region, params["thingName"], params.get("shadowName"))
    except ShadowError as error:
        raise refused(error) from None
    return {"payload": payload}


async def list_named_shadows_for_thing(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    after = marker_of(params.get("nextToken"))
    limit = params.get("pageSize") or DEFAULT_PAGE
    names, marker = core.shadows.list_named(ctx.account, ctx.region, params["thingName"], after, limit)
    result: Params = {"results": names, "timestamp": core.clock.now_ms() // 1000}
    if marker is not None:
        result["nextToken"] = next_token(marker)
    return result


OPERATIONS = {
    "GetThingShadow": get_thing_shadow,
    "UpdateThingShadow": update_thing_shadow,
    "DeleteThingShadow": delete_thing_shadow,
    "ListNamedShadowsForThing": list_named_shadows_for_thing,
}
