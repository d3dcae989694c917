"""GetConnection and ListSubscriptions: what the broker knows of one client id.

A client is known while it is connected, while its persistent session waits offline, and for 30
minutes after it left (`presence.py`): GetConnection then answers `connected: false` with when and
why it left. ListSubscriptions needs a session (connected, or offline and persistent), as AWS
says: "MQTT clients with active sessions, including offline clients with persistent sessions".
The thing name is the thing attached to the client's principal that the client id names, or
else the one thing exclusively attached to it (as `iot:Connection.Thing.ThingName`).
"""

from __future__ import annotations

from headwater.services.iot.broker.connection import Connection
from headwater.services.iot.broker.namespace import Namespace
from headwater.services.iot.broker.presence import Presence, expiry_seconds
from headwater.services.iot.contracts import ThingDirectory
from headwater.services.ports import ConnectionInfo, DataPlaneError


def not_found(client_id: str) -> DataPlaneError:
    return DataPlaneError("ResourceNotFoundException", f"No connection found for client ID {client_id}", 404)


def connection_info(
    ns: Namespace | None,
    presence: Presence,
    things: ThingDirectory | None,
    client_id: str,
    now_ms: int,
) -> ConnectionInfo:
    if ns is None:
        raise not_found(client_id)
    key = (ns.account, ns.region, client_id)
    state = ns.sessions.get(client_id)
    conn = state.connection if state is not None else None
    if state is not None and isinstance(conn, Connection) and not conn.finished:
        peer = conn.peer
        return ConnectionInfo(
            client_id,
            True,
            not state.persistent,
            expiry_seconds(state.expiry),
            keep_alive=conn.keep_alive,
            connected_since_ms=presence.since(key, conn),
            thing_name=_thing(things, ns, conn.auth.principal_arn, client_id),
            source=peer.remote_address,
            target=peer.local_address,
        )
    left = presence.departure(key, now_ms)
    if state is not None:  # an offline persistent session
        return ConnectionInfo(
            client_id,
            False,
            False,
            expiry_seconds(state.expiry),
            keep_alive=left.keep_alive if left is not None else None,
            disconnected_since_ms=left.at_ms if left is not None else None,
            disconnect_reason=left.reason if left is not None else None,
            thing_name=_thing(things, ns, state.auth.principal_arn, client_id),
        )
    if left is None:
        raise not_found(client_id)
    return ConnectionInfo(
        client_id,
        False,
        left.clean_session,
        left.session_expiry,
        keep_alive=left.keep_alive,
        disconnected_since_ms=left.at_ms,
        disconnect_reason=left.reason,
        thing_name=_thing(things, ns, left.principal, client_id),
    )


def subscriptions(
    ns: Namespace | None, client_id: str, after: str | None, limit: int
) -> tuple[list[tuple[str, int]], str | None]:
    state = ns.sessions.get(client_id) if ns is not None else None
    if state is None:
        raise not_found(client_id)
    filters = sorted(f for f in state.subscriptions if after is None or f > after)
    page = filters[:limit]
    found = [(f, state.subscriptions[f].qos) for f in page]
    marker = page[-1] if len(filters) > limit else None
    return found, marker


def _thing(things: ThingDirectory | None, ns: Namespace, principal: str | None, client_id: str) -> str | None:
    if things is None or principal is None:
        return None
    names = things.things_of_principal(ns.account, ns.region, principal)
    if client_id in names:
        return client_id
    exclusive = [n for n in names if things.is_exclusively_attached(ns.account, ns.region, principal, n)]
    return exclusive[0] if len(exclusive) == 1 else None
