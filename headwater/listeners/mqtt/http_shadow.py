"""The Device Shadow REST API on the device gateway's X.509 HTTPS port: `GET|POST|DELETE
/things/<thing>/shadow[?name=<shadow>]` as the client certificate's holder.

As at AWS, a certificate caller's IoT policies must allow iot:GetThingShadow, iot:UpdateThingShadow
or iot:DeleteThingShadow on `thing/<thing>` (`thing/<thing>/<shadow>` for a named shadow); the
documents and errors are the shadow service's, the same bytes iot-data's SigV4 API answers.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qsl, unquote

from headwater.listeners.mqtt.http_head import Head, response
from headwater.listeners.mqtt.parts import Parts
from headwater.services.ports import DataPlaneError, MqttPeer, ShadowError

log = logging.getLogger("headwater.listeners.mqtt")

ACTIONS = {"GET": "iot:GetThingShadow", "POST": "iot:UpdateThingShadow", "DELETE": "iot:DeleteThingShadow"}
EXCEPTIONS = {
    400: "InvalidRequestException",
    404: "ResourceNotFoundException",
    409: "ConflictException",
    413: "RequestEntityTooLargeException",
    415: "UnsupportedDocumentEncodingException",
    429: "ThrottlingException",
}


def is_shadow_path(path: str) -> bool:
    return path.startswith("/things/") and path.endswith("/shadow") and len(path) > len("/things//shadow")


async def shadow_response(parts: Parts, peer: MqttPeer, head: Head, body: bytes) -> bytes:
    """The HTTP response to one shadow request (never raises)."""
    store, plane = parts.shadows, parts.plane
    action = ACTIONS.get(head.method)
    if action is None:
        return _error(405, "MethodNotAllowedException", f"{head.method} is not supported on a shadow")
    if store is None or plane is None:
        return _error(404, "ResourceNotFoundException", "Device shadows are not served")
    thing = unquote(head.path[len("/things/") : -len("/shadow")])
    name = dict(parse_qsl(head.query)).get("name") or None
    if "/" in thing or (name is not None and "/" in name):
        return _error(400, "InvalidRequestException", "Invalid thing or shadow name")
    resource = f"thing/{thing}" if name is None else f"thing/{thing}/{name}"
    try:
        account, region = plane.authorize(peer, action, resource)
        if head.method == "GET":
            document = await store.read(account, region, thing, name)
        elif head.method == "POST":
            document = await store.update(account, region, thing, name, body)
        else:
            document = await store.delete(account, region, thing, name)
    except DataPlaneError as exc:
        return _error(exc.status, exc.code, exc.message)
    except ShadowError as exc:
        return _error(exc.code, EXCEPTIONS.get(exc.code, "InternalFailureException"), exc.message)
    except Exception:
        log.exception("HTTPS shadow request failed")
        return _error(500, "InternalFailureException", "Internal service failure")
    return response(200, document)


def _error(status: int, code: str, message: str) -> bytes:
    return response(status, json.dumps({"message": message}).encode(), [("x-amzn-ErrorType", code)])
