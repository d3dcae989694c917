"""IoT SQL's functions that read the message, the clock or other services (through SqlEnvironment).

Every implementation takes the Context first. A missing environment callback answers Undefined (the
service is not there); an exception a callback raises is left to the rules runtime (AWS fails the
rule's actions and runs its errorAction).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from headwater.services.iot.rules.sql.context import Context, decode_payload
from headwater.services.iot.rules.sql.functions import Spec
from headwater.services.iot.rules.sql.timefmt import format_millis, parse_millis
from headwater.services.iot.rules.sql.values import (
    UNDEFINED,
    to_int_floor,
    to_int_nearest,
    to_string,
)

_ABSENT: Any = object()  # an argument not given (unlike one given and Undefined)


def _topic(ctx: Context, segment: Any = _ABSENT) -> Any:
    topic = ctx.message.topic
    if segment is _ABSENT:
        return topic
    index = to_int_nearest(segment)
    if index is UNDEFINED or index < 1:  # type: ignore[operator]
        return UNDEFINED
    levels = topic.split("/")
    return levels[index - 1] if index <= len(levels) else UNDEFINED  # type: ignore[operator]


def _clientid(ctx: Context) -> Any:
    return ctx.message.client_id if ctx.message.client_id is not None else "n/a"


def _principal(ctx: Context) -> Any:
    return ctx.message.principal if ctx.message.principal is not None else UNDEFINED


def _traceid(ctx: Context) -> Any:
    return ctx.message.trace_id or UNDEFINED


def _timestamp(ctx: Context) -> Any:
    now = ctx.env.now_ms
    return now() if now is not None else ctx.message.timestamp_ms


def _newuuid(ctx: Context) -> Any:
    return str(uuid.uuid4())


def _accountid(ctx: Context) -> Any:
    return ctx.message.account


def _sql_version(ctx: Context) -> Any:
    return ctx.version


def _get_user_property(ctx: Context, key: Any) -> Any:
    if type(key) is not str:
        return UNDEFINED
    for name, value in ctx.message.user_properties:
        if name == key:
            return value
    return UNDEFINED


def _get_mqtt_property(ctx: Context, name: Any) -> Any:
    """An MQTT 5 PUBLISH property: format_indicator, content_type, response_topic, correlation_data
    (base64, it is binary). Undefined when the message has none (MQTT 3.1.1, HTTPS)."""
    properties = ctx.message.properties
    if properties is None or type(name) is not str:
        return UNDEFINED
    key = name.lower()
    if key == "format_indicator":
        indicator = getattr(properties, "payload_format_indicator", None)
        return UNDEFINED if indicator is None else ("UTF8_DATA" if indicator else "UNSPECIFIED_BYTES")
    if key == "correlation_data":
        data = getattr(properties, "correlation_data", None)
        return UNDEFINED if data is None else base64.b64encode(bytes(data)).decode("ascii")
    if key in ("content_type", "response_topic"):
        text = getattr(properties, key, None)
        return UNDEFINED if text is None else text
    return UNDEFINED


def _get_thing_shadow(ctx: Context, thing: Any, *rest: Any) -> Any:
    callback = ctx.env.get_thing_shadow
    shadow_name, role_arn = (None, rest[0]) if len(rest) == 1 else rest
    if callback is None or type(thing) is not str or type(role_arn) is not str:
        return UNDEFINED
    if shadow_name is not None and type(shadow_name) is not str:
        return UNDEFINED
    document = callback(thing, shadow_name, role_arn)
    return UNDEFINED if document is None else document


def _aws_lambda(ctx: Context, function_arn: Any, payload: Any) -> Any:
    callback = ctx.env.aws_lambda
    if callback is None or type(function_arn) is not str or payload is UNDEFINED:
        return UNDEFINED
    result = callback(function_arn, payload)
    return UNDEFINED if result is None else result


def _unavailable(ctx: Context, *args: Any) -> Any:
    # get_dynamodb, get_secret, machinelearning_predict: services Headwater's rules cannot reach yet
    return UNDEFINED


def encode(ctx: Context, value: Any, scheme: Any) -> Any:
    """encode(value, 'base64'); `encode(*, ...)` reaches it with the payload's raw bytes."""
    if type(scheme) is not str or scheme.lower() != "base64":
        return UNDEFINED
    if type(value) is bytes:
        return base64.b64encode(value).decode("ascii")
    text = to_string(value)
    if text is UNDEFINED:
        return UNDEFINED
    return base64.b64encode(text.encode()).decode("ascii")  # type: ignore[union-attr]


def _decode(ctx: Context, value: Any, scheme: Any) -> Any:
    if type(scheme) is not str or scheme.lower() != "base64" or type(value) is not str:
        return UNDEFINED
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None  # "the function returns NULL if the string cannot be decoded"
    document = decode_payload(data, ctx.version != "2015-10-08")
    if document is not UNDEFINED:
        return document
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None


def _parse_time(ctx: Context, pattern: Any, millis: Any, zone: Any = "UTC") -> Any:
    epoch = to_int_floor(millis)
    if type(pattern) is not str or epoch is UNDEFINED or type(zone) is not str:
        return UNDEFINED
    return format_millis(pattern, epoch, zone)  # type: ignore[arg-type]


def _time_to_epoch(ctx: Context, text: Any, pattern: Any) -> Any:
    if type(text) is not str or type(pattern) is not str:
        return UNDEFINED
    return parse_millis(text, pattern)


CONTEXTUAL: dict[str, Spec] = {
    "topic": Spec(_topic, 0, 1, contextual=True),
    "clientid": Spec(_clientid, 0, 0, contextual=True),
    "principal": Spec(_principal, 0, 0, contextual=True),
    "traceid": Spec(_traceid, 0, 0, contextual=True),
    "timestamp": Spec(_timestamp, 0, 0, contextual=True),
    "newuuid": Spec(_newuuid, 0, 0, contextual=True),
    "accountid": Spec(_accountid, 0, 0, contextual=True),
    "sql_version": Spec(_sql_version, 0, 0, contextual=True),
    "get_user_property": Spec(_get_user_property, 1, 1, contextual=True),
    "get_mqtt_property": Spec(_get_mqtt_property, 1, 1, since_2016=True, contextual=True),
    "get_thing_shadow": Spec(_get_thing_shadow, 2, 3, since_2016=True, contextual=True),
    "aws_lambda": Spec(_aws_lambda, 2, 2, contextual=True),
    "encode": Spec(encode, 2, 2, since_2016=True, contextual=True),
    "decode": Spec(_decode, 2, 2, since_2016=True, contextual=True),
    "parse_time": Spec(_parse_time, 2, 3, since_2016=True, contextual=True),
    "time_to_epoch": Spec(_time_to_epoch, 2, 2, since_2016=True, contextual=True),
    "get_dynamodb": Spec(_unavailable, 4, 6, since_2016=True, contextual=True),
    "get_secret": Spec(_unavailable, 3, 4, contextual=True),
    "machinelearning_predict": Spec(_unavailable, 3, 3, contextual=True),
}
