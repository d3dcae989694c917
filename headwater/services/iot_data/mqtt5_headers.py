"""Publish's MQTT 5 members (HTTP headers and query parameters) as the broker's `Properties`.

What arrives, as AWS documents it: ``x-amz-mqtt5-user-properties`` is base64 of a JSON list of
objects (``[{"deviceName": "alpha"}, {"deviceCnt": "45"}]``, one property per key, in order);
the REST-JSON codec has already decoded the base64 and the JSON (a ``jsonvalue`` header). botocore
serializes the member, a string, with `json.dumps` first, so an SDK's header decodes to a JSON
*string* holding the list, while curl users send the list itself: both are accepted.
``x-amz-mqtt5-correlation-data`` is base64 binary; ``x-amz-mqtt5-payload-format-indicator`` is
UNSPECIFIED_BYTES or UTF8_DATA (the model's enum, checked before we run); ``contentType``,
``responseTopic`` and ``messageExpiry`` (seconds) come in the query string.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from headwater.protocol.mqtt.packets import Properties
from headwater.services.iot_data.errors import invalid_request
from headwater.services.iot_data.topics import check_publish_topic

FORMAT_INDICATORS = {"UNSPECIFIED_BYTES": 0, "UTF8_DATA": 1}
MAX_FOUR_BYTE = 2**32 - 1  # MQTT 5's Four Byte Integer: the message expiry interval's range


def properties_of(params: dict[str, Any]) -> Properties | None:
    """The MQTT 5 properties a Publish request carries; None when it carries none (a 3.1.1-style
    message, delivered to MQTT 5 subscribers without properties)."""
    present = False
    props = Properties()
    if "userProperties" in params:
        props.user_properties = user_properties(params["userProperties"])
        present = True
    indicator = params.get("payloadFormatIndicator")
    if indicator is not None:
        props.payload_format_indicator = FORMAT_INDICATORS.get(indicator, 0)
        present = True
    if "correlationData" in params:
        props.correlation_data = correlation_data(params["correlationData"])
        present = True
    if params.get("contentType") is not None:
        props.content_type = params["contentType"]
        present = True
    if params.get("responseTopic") is not None:
        check_publish_topic(params["responseTopic"], "responseTopic")
        props.response_topic = params["responseTopic"]
        present = True
    expiry = params.get("messageExpiry")
    if expiry is not None:
        if not 0 <= expiry <= MAX_FOUR_BYTE:
            raise invalid_request(f"messageExpiry must be between 0 and {MAX_FOUR_BYTE} seconds")
        props.message_expiry_interval = expiry
        present = True
    return props if present else None


def user_properties(value: Any) -> list[tuple[str, str]]:
    """The (key, value) pairs of the decoded header, in order; InvalidRequestException otherwise."""
    if isinstance(value, str):  # an SDK's: the JSON text of the list, itself JSON-encoded
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise invalid_request("userProperties must be a JSON array of JSON objects") from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid_request("userProperties must be a JSON array of JSON objects")
    pairs: list[tuple[str, str]] = []
    for item in value:
        for key, raw in item.items():
            if isinstance(raw, dict | list) or raw is None:
                raise invalid_request(f"The value of user property {key!r} must be a string")
            pairs.append((key, raw if isinstance(raw, str) else json.dumps(raw)))
    return pairs


def correlation_data(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_request("correlationData must be base64-encoded") from None
