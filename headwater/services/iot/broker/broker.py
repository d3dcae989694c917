"""The MQTT broker of the iot service: the `MqttBroker` listeners hand CONNECTs to, the
`EventPublisher` other parts publish server-made messages through, and a lifecycle part of
`IotCore`.

State is per (account, region) namespace (`namespace.py`); sessions live in `sessions.py` and
`session_table.py`, what is stored in `store.py`. The broker starts by reloading the stored
persistent sessions (their subscriptions route at once; their messages stay in the store until
the client is back), then runs the expiry sweep on the server clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, Literal

from headwater.engine.api import Engine
from headwater.runtime.clock import SystemClock
from headwater.services.iot.broker import events
from headwater.services.iot.broker.connect import connect
from headwater.services.iot.broker.connection import Connection
from headwater.services.iot.broker.context import BrokerContext
from headwater.services.iot.broker.message import Message
from headwater.services.iot.broker.namespace import Namespace
from headwater.services.iot.broker.session_table import SessionTable, capped
from headwater.services.iot.broker.store import BrokerStore
from headwater.services.iot.broker.subscribe import Subscriptions
from headwater.services.iot.contracts import Authorizer, CertificateDirectory
from headwater.services.ports import MqttOutlet, MqttPeer, MqttSession


class Broker:
    def __init__(
        self,
        engine: Engine,
        clock: SystemClock,
        *,
        mode: Literal["aws", "relaxed"] = "aws",
        session_expiry: float = 3600.0,
        default_account: str = "000000000000",
        default_region: str = "us-east-1",
        authorizer: Authorizer | None = None,
        certificates: CertificateDirectory | None = None,
    ) -> None:
        self.ctx = BrokerContext(
            aws=mode == "aws",
            clock=clock,
            store=BrokerStore(engine),
            authorizer=authorizer,
            certificates=certificates,
            default_account=default_account,
            default_region=default_region,
            session_expiry=session_expiry,
        )
        self.namespaces: dict[tuple[str, str], Namespace] = {}
        self.sessions = SessionTable(self)
        self.subscriptions = Subscriptions(self)
        self._sweeper: asyncio.Task[None] | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self.sessions.load()
        self._sweeper = asyncio.get_running_loop().create_task(self.sessions.run_sweeper())

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        self.sessions.cancel_wills()
        await self.ctx.store.settle()

    async def reset(self) -> None:
        for ns in self.namespaces.values():
            for state in list(ns.sessions.values()):
                if state.connection is not None:
                    state.connection.close(0x8B)  # server shutting down: the session is gone
                await self.sessions.discard(ns, state)
        self.namespaces.clear()
        self.sessions.cancel_wills()
        await self.ctx.store.settle()

    async def sweep(self) -> int:
        return await self.sessions.sweep()

    # --- MqttBroker ---------------------------------------------------------------------------------

    async def connect(self, packet: Any, peer: MqttPeer, outlet: MqttOutlet) -> MqttSession | None:
        return await connect(self, packet, peer, outlet)

    def namespace(self, account: str, region: str) -> Namespace:
        ns = self.namespaces.get((account, region))
        if ns is None:
            ns = self.namespaces[(account, region)] = Namespace(self.ctx, account, region)
        return ns

    def capped_expiry(self, asked: int) -> float:
        return capped(self.ctx.aws, self.ctx.session_expiry, asked)

    async def end_connection(self, conn: Connection, reason_code: int, client_initiated: bool) -> None:
        await self.sessions.end(conn, reason_code, client_initiated)

    # --- publishing -------------------------------------------------------------------------------

    def publish(self, ns: Namespace, message: Message) -> list[Awaitable[None]]:
        """Routes a message and keeps it when retained; the writes a QoS 1 PUBACK waits for."""
        waits = ns.route(message)
        if message.retain:
            stored = self.ctx.store.retain(ns.account, ns.region, message)
            if message.qos == 0:
                self.ctx.store.background(stored)
            else:
                waits.append(stored)
        return waits

    def publish_event(self, account: str, region: str, topic: str, payload: bytes) -> None:
        """EventPublisher: a server-made message (QoS 1, not retained, no checks but iot:Receive)."""
        message = Message(topic, payload, 1, False, None, None, None, self.ctx.clock.now_ms())
        for wait in self.publish(self.namespace(account, region), message):
            self.ctx.store.background(wait)

    # --- lifecycle events ---------------------------------------------------------------------------

    def connected(self, conn: Connection) -> None:
        conn.version = conn.ns.next_version(conn.client_id)
        conn.state.version = conn.version
        if not events.publishes_events(conn.client_id):
            return
        topic, payload = events.presence(
            "connected",
            conn.client_id,
            self.ctx.clock.now_ms(),
            conn.session_id,
            conn.principal_id,
            conn.auth.source_ip or "",
            conn.version,
        )
        self.publish_event(conn.ns.account, conn.ns.region, topic, payload)

    def disconnected(self, conn: Connection, reason_code: int, client_initiated: bool) -> None:
        if not events.publishes_events(conn.client_id):
            return
        topic, payload = events.presence(
            "disconnected",
            conn.client_id,
            self.ctx.clock.now_ms(),
            conn.session_id,
            conn.principal_id,
            conn.auth.source_ip or "",
            conn.version,
            client_initiated=client_initiated,
            reason=events.disconnect_reason(reason_code, client_initiated),
        )
        self.publish_event(conn.ns.account, conn.ns.region, topic, payload)

    def subscription_event(self, conn: Connection, event: str, topics: list[str]) -> None:
        if not events.publishes_events(conn.client_id):
            return
        topic, payload = events.subscriptions(
            event, conn.client_id, self.ctx.clock.now_ms(), conn.session_id, conn.principal_id, topics
        )
        self.publish_event(conn.ns.account, conn.ns.region, topic, payload)
