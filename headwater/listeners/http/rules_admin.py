"""`POST /_headwater/iot/rules/<name>/dry-run`: a rule evaluated against a sample message, nothing
delivered (the debugger AWS does not have). The body: {"topic", "payload" (text or any JSON value,
sent as its JSON text) or "payloadBase64", "clientId", "account", "region"}; the answer: whether
the rule matches, the SELECT result and each action's rendered request."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from headwater.services.ports import IotRulesDebugger

PREFIX = "/_headwater/iot/rules/"
SUFFIX = "/dry-run"
JSON = "application/json"


def _json(status: int, body: object) -> tuple[int, str, bytes]:
    return status, JSON, json.dumps(body).encode()


def claims(path: str) -> bool:
    return path.startswith(PREFIX) and path.endswith(SUFFIX)


def dry_run(rules: IotRulesDebugger | None, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
    if rules is None:
        return _json(404, {"error": "the iot service is not running"})
    if method != "POST":
        return _json(405, {"error": f"{path} takes POST, not {method}", "allow": ["POST"]})
    name = path[len(PREFIX) : -len(SUFFIX)]
    try:
        doc: Any = json.loads(body or b"{}")
        if not isinstance(doc, dict):
            raise ValueError("the body must be a JSON object")
        topic = str(doc["topic"])
        if "payloadBase64" in doc:
            payload = base64.b64decode(str(doc["payloadBase64"]), validate=True)
        else:
            value = doc.get("payload", "")
            payload = value.encode() if isinstance(value, str) else json.dumps(value).encode()
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        return _json(
            400, {"error": f'expected {{"topic", "payload" or "payloadBase64", "clientId"}}: {exc!r}'}
        )
    client = doc.get("clientId")
    answer = rules.dry_run(
        doc.get("account"),
        doc.get("region"),
        name,
        topic,
        payload,
        str(client) if client is not None else None,
    )
    if answer is None:
        return _json(404, {"error": f"no rule {name}"})
    return _json(200, answer)
