"""AWS IoT's lifecycle events: presence (connected/disconnected) and subscriptions
(subscribed/unsubscribed), topics and JSON payloads as the developer guide lists them."""

from __future__ import annotations

import json

from headwater.protocol.mqtt import reason_codes as rc

# Why a connection ended, as the disconnected event's disconnectReason names it (AWS's values; a
# connection that closed without DISCONNECT is CONNECTION_LOST, not client-initiated)
CLIENT_INITIATED = "CLIENT_INITIATED_DISCONNECT"
DUPLICATE_CLIENTID = "DUPLICATE_CLIENTID"
KEEP_ALIVE_TIMEOUT = "MQTT_KEEP_ALIVE_TIMEOUT"
CONNECTION_LOST = "CONNECTION_LOST"
API_INITIATED = "API_INITIATED_DISCONNECT"
CLIENT_ERROR = "CLIENT_ERROR"
AUTH_ERROR = "AUTH_ERROR"
THROTTLED = "THROTTLED"
SERVER_INITIATED = "SERVER_INITIATED_DISCONNECT"

_BY_CODE = {
    rc.KEEP_ALIVE_TIMEOUT: KEEP_ALIVE_TIMEOUT,
    rc.SESSION_TAKEN_OVER: DUPLICATE_CLIENTID,
    rc.NOT_AUTHORIZED: AUTH_ERROR,
    rc.MESSAGE_RATE_TOO_HIGH: THROTTLED,
    rc.QUOTA_EXCEEDED: THROTTLED,
    rc.ADMINISTRATIVE_ACTION: API_INITIATED,
    rc.SERVER_SHUTTING_DOWN: SERVER_INITIATED,
}


def disconnect_reason(reason_code: int, client_initiated: bool) -> str:
    if client_initiated:
        return CLIENT_INITIATED
    if reason_code in _BY_CODE:
        return _BY_CODE[reason_code]
    if reason_code == rc.SUCCESS:
        return CONNECTION_LOST
    return CLIENT_ERROR if reason_code < 0xA0 else SERVER_INITIATED


def publishes_events(client_id: str) -> bool:
    """AWS sends no lifecycle events for client ids containing `#` or `+`."""
    return "#" not in client_id and "+" not in client_id


def presence(
    event: str,
    client_id: str,
    timestamp_ms: int,
    session_id: str,
    principal: str,
    ip_address: str,
    version: int,
    *,
    client_initiated: bool | None = None,
    reason: str | None = None,
) -> tuple[str, bytes]:
    body: dict[str, object] = {
        "clientId": client_id,
        "timestamp": timestamp_ms,
        "eventType": event,
        "sessionIdentifier": session_id,
        "principalIdentifier": principal,
    }
    if event == "connected":
        body["ipAddress"] = ip_address
    else:
        body["clientInitiatedDisconnect"] = bool(client_initiated)
        body["disconnectReason"] = reason
    body["versionNumber"] = version
    return f"$aws/events/presence/{event}/{client_id}", json.dumps(body).encode()


def subscriptions(
    event: str, client_id: str, timestamp_ms: int, session_id: str, principal: str, topics: list[str]
) -> tuple[str, bytes]:
    body = {
        "clientId": client_id,
        "timestamp": timestamp_ms,
        "eventType": event,
        "sessionIdentifier": session_id,
        "principalIdentifier": principal,
        "topics": topics,
    }
    return f"$aws/events/subscriptions/{event}/{client_id}", json.dumps(body).encode()
