"""One (account, region)'s broker: its sessions by client id, its subscription index, routing."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from headwater.protocol.mqtt.packets import Subscribe, Unsubscribe
from headwater.services.iot.broker.context import BrokerContext
from headwater.services.iot.broker.index import SubscriptionIndex
from headwater.services.iot.broker.message import Message
from headwater.services.iot.broker.sessions import Link, SessionState, SharedGroup, Subscription
from headwater.services.iot.broker.topics import split_shared
from headwater.services.iot.contracts import AuthContext


class Namespace:
    def __init__(self, ctx: BrokerContext, account: str, region: str) -> None:
        self.ctx = ctx
        self.account = account
        self.region = region
        self.sessions: dict[str, SessionState] = {}
        self.index: SubscriptionIndex[Subscription | SharedGroup] = SubscriptionIndex()
        self.versions: dict[str, int] = {}  # client id -> last lifecycle versionNumber

    def next_version(self, client_id: str) -> int:
        version = self.versions.get(client_id, 0) + 1
        self.versions[client_id] = version
        return version

    def subscribe(self, sub: Subscription) -> bool:
        """Enters (or replaces) a subscription; True when it is new (retain handling 1)."""
        state = sub.state
        existed = self.unsubscribe(state, sub.filter)
        state.subscriptions[sub.filter] = sub
        group, inner = split_shared(sub.filter)
        if group is None:
            self.index.add(inner, state.client_id, sub)
            return not existed
        key = "$share/" + group
        shared = self.index.get(inner, key)
        if not isinstance(shared, SharedGroup):
            shared = SharedGroup()
            self.index.add(inner, key, shared)
        shared.members.append(sub)
        return not existed

    def unsubscribe(self, state: SessionState, topic_filter: str) -> bool:
        sub = state.subscriptions.pop(topic_filter, None)
        if sub is None:
            return False
        group, inner = split_shared(topic_filter)
        if group is None:
            self.index.remove(inner, state.client_id)
            return True
        key = "$share/" + group
        shared = self.index.get(inner, key)
        if isinstance(shared, SharedGroup):
            shared.members = [m for m in shared.members if m is not sub]
            if not shared.members:
                self.index.remove(inner, key)
        return True

    def drop(self, state: SessionState) -> None:
        """Ends a session: its subscriptions leave the index, its queue is forgotten."""
        for topic_filter in list(state.subscriptions):
            self.unsubscribe(state, topic_filter)
        state.outbound.clear()
        if self.sessions.get(state.client_id) is state:
            del self.sessions[state.client_id]

    def route(self, message: Message, now: float | None = None) -> list[Awaitable[None]]:
        """Delivers to every matching subscription (one member per shared group); returns the
        stores a QoS 1 publisher's PUBACK must wait for. `now`: the server clock, when the caller
        has just read it."""
        waits: list[Awaitable[None]] = []
        if now is None:
            now = self.ctx.clock.now()
        origin = message.origin
        for entry in self.index.match(message.topic):
            if type(entry) is Subscription:
                sub = entry
                if sub.no_local and origin == sub.state.client_id:
                    continue
            else:
                assert isinstance(entry, SharedGroup)
                picked = entry.pick()
                if picked is None:
                    continue
                sub = picked  # (no-local is not allowed on shared subscriptions)
            stored = sub.state.deliver(message, sub, now)
            if stored is not None:
                waits.append(stored)
        self.ctx.counters.routed += 1
        return waits


class Hub(Protocol):
    """The broker as its parts see it (implemented by `broker.Broker`), so that connections,
    subscriptions and the session table never import the broker itself."""

    ctx: BrokerContext
    namespaces: dict[tuple[str, str], Namespace]

    def namespace(self, account: str, region: str) -> Namespace: ...

    def publish(
        self, ns: Namespace, message: Message, *, principal: str | None = None, route: bool = True
    ) -> list[Awaitable[None]]: ...

    def publish_parts(
        self,
        ns: Namespace,
        message: Message,
        *,
        principal: str | None = None,
        route: bool = True,
        now: float | None = None,
    ) -> tuple[list[Awaitable[None]], list[Awaitable[None]]]: ...

    def capped_expiry(self, asked: int) -> float: ...

    async def attach(
        self, ns: Namespace, client_id: str, clean_start: bool, expiry: float, auth: AuthContext
    ) -> tuple[SessionState, bool]: ...

    def subscribe(self, link: Link, ns: Namespace, packet: Subscribe) -> Awaitable[None] | None: ...

    def unsubscribe(self, link: Link, ns: Namespace, packet: Unsubscribe) -> Awaitable[None] | None: ...

    async def end_connection(self, link: Link, reason_code: int, client_initiated: bool) -> None: ...

    def connected(self, link: Link) -> None: ...

    def disconnected(self, link: Link, reason_code: int, client_initiated: bool) -> None: ...

    def subscription_event(self, link: Link, event: str, topics: list[str]) -> None: ...
