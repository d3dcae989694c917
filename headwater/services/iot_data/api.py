"""The iot-data operations (botocore's `iot-data` model), each a function of (core, params, ctx).

Publish hands the raw body (the model's blob ``payload`` member: the REST-JSON codec gives it as
bytes, empty when the body is) to the broker with its MQTT 5 members as `Properties`; a retained
publish with an empty payload deletes the topic's retained message, which is the broker's rule
for any publish. The connection operations (GetConnection, ListSubscriptions, DeleteConnection,
SendDirectMessage) are `connections.py`'s; shadows are `shadows.py`'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot_data.connections import OPERATIONS as CONNECTION_OPERATIONS
from headwater.services.iot_data.core import IotDataCore
from headwater.services.iot_data.errors import from_plane, invalid_request
from headwater.services.iot_data.mqtt5_headers import properties_of
from headwater.services.iot_data.shadows import OPERATIONS as SHADOW_OPERATIONS
from headwater.services.iot_data.tokens import marker_of, next_token
from headwater.services.iot_data.topics import check_publish_topic
from headwater.services.operations import ServiceApi
from headwater.services.ports import DataPlaneError, RetainedMessage

Params = dict[str, Any]
DEFAULT_PAGE = 200  # ListRetainedMessages' maxResults ceiling, the page size when none is asked


async def publish(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    topic: str = params["topic"]
    check_publish_topic(topic)
    payload: bytes = params.get("payload") or b""
    properties = properties_of(params)
    try:
        await core.plane.publish(
            ctx.account,
            ctx.region,
            topic,
            payload,
            qos=params.get("qos") or 0,
            retain=bool(params.get("retain")),
            properties=properties,
        )
    except DataPlaneError as error:
        raise from_plane(error) from None
    return {}


async def get_retained_message(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    topic: str = params["topic"]
    if not topic:
        raise invalid_request("The topic must not be empty")
    found = core.plane.retained(ctx.account, ctx.region, topic)
    if found is None:
        raise AwsError("ResourceNotFoundException", f"No retained message exists for the topic {topic}", 404)
    result: Params = {
        "topic": found.topic,
        "payload": found.payload,
        "qos": found.qos,
        "lastModifiedTime": found.last_modified_ms,
    }
    if found.user_properties is not None:
        result["userProperties"] = found.user_properties
    return result


async def list_retained_messages(core: IotDataCore, params: Params, ctx: RequestContext) -> Params:
    after = marker_of(params.get("nextToken"))
    limit = params.get("maxResults") or DEFAULT_PAGE
    messages, marker = core.plane.list_retained(ctx.account, ctx.region, after, limit)
    result: Params = {"retainedTopics": [_summary(message) for message in messages]}
    if marker is not None:
        result["nextToken"] = next_token(marker)
    return result


def _summary(message: RetainedMessage) -> Params:
    return {
        "topic": message.topic,
        "payloadSize": len(message.payload),
        "qos": message.qos,
        "lastModifiedTime": message.last_modified_ms,
    }


OPERATIONS: dict[str, Callable[..., Awaitable[Any]]] = {
    "Publish": publish,
    "GetRetainedMessage": get_retained_message,
    "ListRetainedMessages": list_retained_messages,
    **CONNECTION_OPERATIONS,
    **SHADOW_OPERATIONS,
}


def iot_data_api(core: IotDataCore) -> ServiceApi:
    return ServiceApi(core, OPERATIONS)
