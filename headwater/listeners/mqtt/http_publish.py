"""HTTPS publish with an X.509 client certificate (8443, or 443 with ALPN x-amzn-http-ca):
`POST /topics/<topic>?qos=&retain=` and the MQTT 5 headers of iot-data's Publish, published as the
certificate's holder through the broker's `IotDataPlane` (policies apply as to an MQTT client).

The account and region passed along are the defaults (the region named by the SNI host
`<prefix>-ats.iot.<region>...` when there is one): the broker resolves the certificate's own from
`peer.certificate_der`. Answers are iot-data's: `{"message":"OK","traceId":...}`, errors with
`x-amzn-ErrorType`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import uuid
from urllib.parse import parse_qsl

from headwater.listeners.mqtt.http_head import Head, response
from headwater.listeners.mqtt.parts import Parts
from headwater.protocol.mqtt.packets import Properties
from headwater.services.ports import DataPlaneError, MqttPeer

log = logging.getLogger("headwater.listeners.mqtt")

_SNI_REGION = re.compile(r"(?:^|\.)iot\.([a-z]{2}(?:-[a-z]+)+-\d+)\.")
FORMATS = {"UNSPECIFIED_BYTES": 0, "UTF8_DATA": 1}


def region_of(server_name: str | None) -> str | None:
    """`abc-ats.iot.eu-west-1.localhost` -> eu-west-1."""
    match = _SNI_REGION.search(server_name or "")
    return match.group(1) if match else None


class _Invalid(Exception):
    pass


async def publish_response(parts: Parts, peer: MqttPeer, topic: str, head: Head, body: bytes) -> bytes:
    """The HTTP response to one publish request (never raises)."""
    plane = parts.plane
    if plane is None:
        return _error(404, "ResourceNotFoundException", "HTTPS publish is not served")
    try:
        qos, retain, properties = _options(head)
    except _Invalid as exc:
        return _error(400, "InvalidRequestException", str(exc))
    region = region_of(peer.server_name) or parts.config.region
    try:
        await plane.publish(
            parts.config.account_id, region, topic, body,
            qos=qos, retain=retain, properties=properties, peer=peer,
        )  # fmt: skip
    except DataPlaneError as exc:
        return _error(exc.status, exc.code, exc.message)
    except Exception:
        log.exception("HTTPS publish failed")
        return _error(500, "InternalFailureException", "Internal error")
    trace = json.dumps({"message": "OK", "traceId": str(uuid.uuid4())}).encode()
    return response(200, trace)


def _options(head: Head) -> tuple[int, bool, Properties]:
    query = dict(parse_qsl(head.query, keep_blank_values=True))
    qos_text = query.get("qos", "0")
    if qos_text not in ("0", "1"):
        raise _Invalid("qos must be 0 or 1")
    retain_text = query.get("retain", "false").lower()
    if retain_text not in ("true", "false"):
        raise _Invalid("retain must be true or false")
    properties = Properties(content_type=query.get("contentType"), response_topic=query.get("responseTopic"))
    if "messageExpiry" in query:
        try:
            properties.message_expiry_interval = int(query["messageExpiry"])
        except ValueError:
            raise _Invalid("messageExpiry must be a number of seconds") from None
    if (fmt := head.header("x-amz-mqtt5-payload-format-indicator")) is not None:
        if fmt not in FORMATS:
            raise _Invalid("x-amz-mqtt5-payload-format-indicator must be UNSPECIFIED_BYTES or UTF8_DATA")
        properties.payload_format_indicator = FORMATS[fmt]
    if (correlation := head.header("x-amz-mqtt5-correlation-data")) is not None:
        properties.correlation_data = _base64(correlation, "x-amz-mqtt5-correlation-data")
    if (users := head.header("x-amz-mqtt5-user-properties")) is not None:
        properties.user_properties = _user_properties(users)
    return int(qos_text), retain_text == "true", properties


def _base64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"{name} must be base64") from None


def _user_properties(text: str) -> list[tuple[str, str]]:
    """botocore sends the JSON (`[{"name": "value"}, ...]`) base64-encoded; plain JSON is taken too."""
    raw = text.strip()
    if not raw.startswith(("[", "{")):
        raw = _base64(raw, "x-amz-mqtt5-user-properties").decode("utf-8", "replace")
    try:
        value = json.loads(raw)
    except ValueError:
        raise _Invalid("x-amz-mqtt5-user-properties must be a JSON array of objects") from None
    items = value if isinstance(value, list) else [value]
    pairs: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise _Invalid("x-amz-mqtt5-user-properties must be a JSON array of objects")
        pairs += [(str(key), str(val)) for key, val in item.items()]
    return pairs


def _error(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"message": message}).encode()
    return response(status, body, [("x-amzn-ErrorType", code)])
