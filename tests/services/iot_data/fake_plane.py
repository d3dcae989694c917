"""A broker-side stand-in for the `IotDataPlane` port: records publishes and direct messages, keeps
retained messages (an empty retained payload deletes, as the broker does) and knows a set of
connected clients, their connection views and subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from headwater.protocol.mqtt.packets import Properties
from headwater.services.ports import ConnectionInfo, DataPlaneError, MqttPeer, RetainedMessage


@dataclass
class Published:
    account: str
    region: str
    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Properties | None


@dataclass
class FakePlane:
    published: list[Published] = field(default_factory=list)
    kept: dict[tuple[str, str, str], RetainedMessage] = field(default_factory=dict)
    clients: set[str] = field(default_factory=set)
    deleted: list[tuple[str, bool, bool]] = field(default_factory=list)
    refuse: DataPlaneError | None = None
    now_ms: int = 1_700_000_000_000
    views: dict[str, ConnectionInfo] = field(default_factory=dict)
    subs: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    direct: list[tuple[str, str, bytes, Properties | None, bool, float]] = field(default_factory=list)

    async def publish(
        self,
        account: str,
        region: str,
        topic: str,
        payload: bytes,
        *,
        qos: int = 0,
        retain: bool = False,
        properties: Any = None,
        peer: MqttPeer | None = None,
    ) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.published.append(Published(account, region, topic, payload, qos, retain, properties))
        if retain:
            key = (account, region, topic)
            if not payload:
                self.kept.pop(key, None)
            else:
                pairs = properties.user_properties if properties is not None else []
                users = (
                    ("[" + ",".join(f'{{"{k}":"{v}"}}' for k, v in pairs) + "]").encode() if pairs else None
                )
                self.kept[key] = RetainedMessage(topic, payload, qos, self.now_ms, users)

    def retained(self, account: str, region: str, topic: str) -> RetainedMessage | None:
        return self.kept.get((account, region, topic))

    def list_retained(
        self, account: str, region: str, after: str | None, limit: int
    ) -> tuple[list[RetainedMessage], str | None]:
        mine = sorted(
            m for (a, r, m) in self.kept if (a, r) == (account, region) and (after is None or m > after)
        )
        page = mine[:limit]
        found = [self.kept[(account, region, topic)] for topic in page]
        return found, (page[-1] if len(mine) > limit else None)

    async def delete_connection(
        self, account: str, region: str, client_id: str, clean_session: bool, prevent_will: bool
    ) -> None:
        if client_id not in self.clients:
            raise DataPlaneError("ResourceNotFoundException", f"No connection for client {client_id}", 404)
        self.clients.discard(client_id)
        self.deleted.append((client_id, clean_session, prevent_will))

    def connection(self, account: str, region: str, client_id: str) -> ConnectionInfo:
        if client_id not in self.views:
            raise DataPlaneError("ResourceNotFoundException", f"No connection for client {client_id}", 404)
        return self.views[client_id]

    def subscriptions(
        self, account: str, region: str, client_id: str, after: str | None, limit: int
    ) -> tuple[list[tuple[str, int]], str | None]:
        if client_id not in self.subs:
            raise DataPlaneError("ResourceNotFoundException", f"No session for client {client_id}", 404)
        mine = sorted(s for s in self.subs[client_id] if after is None or s[0] > after)
        page = mine[:limit]
        return page, (page[-1][0] if len(mine) > limit else None)

    async def send_direct(
        self,
        account: str,
        region: str,
        client_id: str,
        topic: str,
        payload: bytes,
        *,
        properties: Any = None,
        confirm: bool = False,
        timeout: float = 5.0,
    ) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.direct.append((client_id, topic, payload, properties, confirm, timeout))
