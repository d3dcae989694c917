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

import headwater.services.iot.broker.events as events
from headwater.engine.api import Engine
from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import Subscribe, Unsubscribe
from headwater.runtime.clock import SystemClock
from headwater.services.iot.broker.connect import connect
from headwater.services.iot.broker.context import BrokerContext
from headwater.services.iot.broker.message import Message
from headwater.services.iot.broker.namespace import Namespace
from headwater.services.iot.broker.presence import Departure, Presence, expiry_seconds
from headwater.services.iot.broker.session_table import SessionTable, capped
from headwater.services.iot.broker.sessions import Link, SessionState
from headwater.services.iot.broker.store import BrokerStore
from headwater.services.iot.broker.subscribe import Subscriptions
from headwater.services.iot.contracts import (
    AuthContext,
    Authorizer,
    Backpressure,
    CertificateDirectory,
    CertificateRecord,
    InboundPublish,
    PublishTap,
)
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
        replay_rate: float = 0.0,
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
            replay_rate=replay_rate if mode == "aws" else 0.0,
        )
        self.namespaces: dict[tuple[str, str], Namespace] = {}
        self.sessions = SessionTable(self)
        self.subscriptions = Subscriptions(self.ctx, self.subscription_event)
        self._sweeper: asyncio.Task[None] | None = None
        # the parts that see every accepted PUBLISH (the rules engine, shadows)
        self.taps: list[PublishTap] = []
        self.presence = Presence()  # who connected when, who left when and why (GetConnection)

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
        for ns in self.namespaces.values():  # publishers held by slow subscribers go (settle waits for them)
            for state in ns.sessions.values():
                state.outbound.release()
                state.hold.release()
        await self.ctx.store.settle()

    async def reset(self) -> None:
        """Drops every session and namespace (the engine was reset first: nothing is deleted from
        it); connected clients are closed and their ends ignored."""
        for ns in self.namespaces.values():
            for state in ns.sessions.values():
                link = state.connection
                if link is not None:
                    link.finished = True
                    link.close(rc.SERVER_SHUTTING_DOWN)
                state.outbound.clear()
        self.namespaces.clear()
        self.presence.clear()
        self.sessions.cancel_wills()
        await self.ctx.store.settle()
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self.sessions.run_sweeper())

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

    async def attach(
        self, ns: Namespace, client_id: str, clean_start: bool, expiry: float, auth: AuthContext
    ) -> tuple[SessionState, bool]:
        return await self.sessions.attach(ns, client_id, clean_start, expiry, auth)

    def subscribe(self, link: Link, ns: Namespace, packet: Subscribe) -> Awaitable[None] | None:
        return self.subscriptions.subscribe(link, ns, packet)

    def unsubscribe(self, link: Link, ns: Namespace, packet: Unsubscribe) -> Awaitable[None] | None:
        return self.subscriptions.unsubscribe(link, ns, packet)

    async def end_connection(self, link: Link, reason_code: int, client_initiated: bool) -> None:
        await self.sessions.end(link, reason_code, client_initiated)

    # --- publishing -------------------------------------------------------------------------------

    def publish(
        self, ns: Namespace, message: Message, *, principal: str | None = None, route: bool = True
    ) -> list[Awaitable[None]]:
        """Routes a message (unless Basic Ingest: `route=False`), keeps it when retained and hands it
        to the taps; the writes a QoS 1 PUBACK waits for."""
        held, stored = self.publish_parts(ns, message, principal=principal, route=route)
        return held + stored if held else stored

    def publish_parts(
        self,
        ns: Namespace,
        message: Message,
        *,
        principal: str | None = None,
        route: bool = True,
        now: float | None = None,
    ) -> tuple[list[Awaitable[None]], list[Awaitable[None]]]:
        """`publish`, its waits in two parts: what subscribers hold (a subscriber that is behind:
        its publisher must stop reading) and what is being stored (the retained copy, the taps'
        writes: only the PUBACK waits for those). `now`: the server clock, if just read."""
        held = ns.route(message, now) if route else []
        stored: list[Awaitable[None]] = []
        if message.retain and route:
            kept = self.ctx.store.retain(ns.account, ns.region, message)
            if message.qos == 0:
                self.ctx.store.background(kept)
            else:
                stored.append(kept)
        if self.taps:
            inbound = InboundPublish(
                ns.account,
                ns.region,
                message.topic,
                message.payload,
                message.qos,
                message.retain,
                message.origin,
                principal,
                message.created_ms,
                message.properties,
            )
            for tap in self.taps:
                wait = tap.published(inbound)
                if wait is None:
                    continue
                if type(wait) is Backpressure:  # a full queue: stop reading the publisher
                    held.append(wait.wait)
                elif message.qos == 0:
                    self.ctx.store.background(wait)
                else:
                    stored.append(wait)
        return held, stored

    def publish_event(self, account: str, region: str, topic: str, payload: bytes) -> None:
        """EventPublisher: a server-made message (QoS 1, not retained, no checks but iot:Receive)."""
        message = Message(topic, payload, 1, False, None, None, None, self.ctx.clock.now_ms())
        for wait in self.publish(self.namespace(account, region), message):
            self.ctx.store.background(wait)

    def certificate_revoked(self, record: CertificateRecord) -> None:
        """A certificate left ACTIVE (inactive, revoked, transferred, deleted): its live connections
        end now, as AWS drops them; the TLS trust refuses it at the next connect."""
        for ns in list(self.namespaces.values()):
            for state in list(ns.sessions.values()):
                link = state.connection
                if link is not None and not link.finished and link.auth.principal_arn == record.arn:
                    link.close(rc.NOT_AUTHORIZED, "the certificate is no longer active")

    # --- lifecycle events ---------------------------------------------------------------------------

    def connected(self, conn: Link) -> None:
        conn.version = self.namespace(conn.state.account, conn.state.region).next_version(conn.client_id)
        conn.state.version = conn.version
        state = conn.state
        self.presence.arrived((state.account, state.region, conn.client_id), conn, self.ctx.clock.now_ms())
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
        self.publish_event(conn.state.account, conn.state.region, topic, payload)

    def disconnected(self, conn: Link, reason_code: int, client_initiated: bool) -> None:
        state = conn.state
        reason = events.disconnect_reason(reason_code, client_initiated)
        departure = Departure(
            self.ctx.clock.now_ms(),
            reason,
            not state.persistent,
            expiry_seconds(state.expiry),
            getattr(conn, "keep_alive", None),
            conn.auth.principal_arn,
        )
        self.presence.left((state.account, state.region, conn.client_id), conn, departure)
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
            reason=reason,
        )
        self.publish_event(conn.state.account, conn.state.region, topic, payload)

    def subscription_event(self, conn: Link, event: str, topics: list[str]) -> None:
        if not events.publishes_events(conn.client_id):
            return
        topic, payload = events.subscriptions(
            event, conn.client_id, self.ctx.clock.now_ms(), conn.session_id, conn.principal_id, topics
        )
        self.publish_event(conn.state.account, conn.state.region, topic, payload)
