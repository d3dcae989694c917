"""The iot-data shadow operations (GetThingShadow, UpdateThingShadow, DeleteThingShadow,
ListNamedShadowsForThing) over the iot service's `ShadowStore`: the documents are the same bytes
MQTT requests are answered with, and the store's refusals (AWS's shadow error codes) become the
iot-data exceptions of their HTTP status."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot_data.core import IotDataCore
from headwater.services.iot_data.errors import invalid_request
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
        payload = core.shadows.get(ctx.account, ctx.region, params["thingName"], params.get("shadowName"))
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
    after = _marker(params["nextToken"]) if params.get("nextToken") is not None else None
    limit = params.get("pageSize") or DEFAULT_PAGE
    names, marker = core.shadows.list_named(ctx.account, ctx.region, params["thingName"], after, limit)
    result: Params = {"results": names, "timestamp": core.clock.now_ms() // 1000}
    if marker is not None:
        result["nextToken"] = base64.urlsafe_b64encode(marker.encode()).decode()
    return result


def _marker(token: str) -> str:
    try:
        marker = base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        marker = ""
    if not marker:
        raise invalid_request("The nextToken is not valid")
    return marker


OPERATIONS = {
    "GetThingShadow": get_thing_shadow,
    "UpdateThingShadow": update_thing_shadow,
    "DeleteThingShadow": delete_thing_shadow,
    "ListNamedShadowsForThing": list_named_shadows_for_thing,
}
