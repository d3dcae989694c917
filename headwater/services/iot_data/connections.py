"""The iot-data connection operations over the broker's `IotDataPlane`: GetConnection,
ListSubscriptions (paged, 20 by default, nextToken opaque), DeleteConnection and SendDirectMessage.

SendDirectMessage takes Publish's MQTT 5 members (`mqtt5_headers.py`) and its own `confirmation`
and `timeout` (1-15 s, 5 by default; only read with confirmation, as the model says). Its answer
names the outcome and a trace id, as AWS's does.
"""

from __future__ import annotations

import uuid
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.iot_data.core import IotDataCore
from headwater.services.iot_data.errors import from_plane, invalid_request
from headwater.services.iot_data.mqtt5_headers import properties_of
from headwater.services.iot_data.tokens import marker_of, next_token
from headwater.services.iot_data.topics import check_publish_topic
from headwater.services.ports import ConnectionInfo, DataPlaneError

Params = dict[str, Any]
DEFAULT_SUBSCRIPTIONS_PAGE = 20  # ListSubscriptions' maxResults default (the model's doc)
DEFAULT_TIMEOUT_S = 5
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 1, 15


async def get_connection(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    try:
        info = core.plane.connection(ctx.account, ctx.region, params["clientId"])
    except DataPlaneError as error:
        raise from_plane(error) from None
    return _connection(info, bool(params.get("includeSocketInformation")))


def _connection(info: ConnectionInfo, sockets: bool) -> Params:
    result: Params = {
        "clientId": info.client_id,
        "connected": info.connected,
        "cleanSession": info.clean_session,
        "sessionExpiry": info.session_expiry,
    }
    optional = {
        "thingName": info.thing_name,
        "keepAliveDuration": info.keep_alive,
        "connectedSince": info.connected_since_ms,
        "disconnectedSince": info.disconnected_since_ms,
        "disconnectReason": info.disconnect_reason,
    }
    result.update({key: value for key, value in optional.items() if value is not None})
    if sockets and info.connected:
        for side, address in (("source", info.source), ("target", info.target)):
            if address is None:
                continue
            host, _, port = address.rpartition(":")
            result[f"{side}Ip"] = host.strip("[]")
            if port.isdigit():
                result[f"{side}Port"] = int(port)
    return result


async def list_subscriptions(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    after = marker_of(params.get("nextToken"))
    limit = params.get("maxResults") or DEFAULT_SUBSCRIPTIONS_PAGE
    try:
        found, marker = core.plane.subscriptions(ctx.account, ctx.region, params["clientId"], after, limit)
    except DataPlaneError as error:
        raise from_plane(error) from None
    result: Params = {"subscriptions": [{"topicFilter": f, "qos": qos} for f, qos in found]}
    if marker is not None:
        result["nextToken"] = next_token(marker)
    return result


async def delete_connection(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    try:
        await core.plane.delete_connection(
            ctx.account,
            ctx.region,
            params["clientId"],
            clean_session=bool(params.get("cleanSession")),
            prevent_will=bool(params.get("preventWillMessage")),
        )
    except DataPlaneError as error:
        raise from_plane(error) from None
    return {}


async def send_direct_message(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    topic: str = params["topic"]
    check_publish_topic(topic)
    confirm = bool(params.get("confirmation"))
    timeout = params.get("timeout")
    if timeout is None or not confirm:
        timeout = DEFAULT_TIMEOUT_S
    elif not MIN_TIMEOUT_S <= timeout <= MAX_TIMEOUT_S:
        raise invalid_request(f"timeout must be between {MIN_TIMEOUT_S} and {MAX_TIMEOUT_S} seconds")
    properties = properties_of(params)
    try:
        await core.plane.send_direct(
            ctx.account,
            ctx.region,
            params["clientId"],
            topic,
            params.get("payload") or b"",
            properties=properties,
            confirm=confirm,
            timeout=float(timeout),
        )
    except DataPlaneError as error:
        raise from_plane(error) from None
    outcome = "Message delivered and acknowledged by the client" if confirm else "Message sent to the client"
    return {"message": outcome, "traceId": str(uuid.uuid4())}


OPERATIONS = {
    "GetConnection": get_connection,
    "ListSubscriptions": list_subscriptions,
    "DeleteConnection": delete_connection,
    "SendDirectMessage": send_direct_message,
}
