"""Sessions: what the broker keeps per client id, across its connections.

Theory of operation
-------------------
A `SessionState` is keyed by (account, region, client id) in its `Namespace`. It holds the
client's subscriptions (each also entered in the namespace's index, so routing finds the session
without a scan), its outgoing QoS 1 messages (`outbound.py`), and the connection currently
attached (None while the client is away).

- A clean session (3.1.1 cleanSession=1, MQTT 5 session expiry 0) ends with its connection.
- A persistent one (cleanSession=0, or MQTT 5 expiry > 0) outlives it by its expiry: its
  subscriptions keep routing, QoS 1 messages are stored and queued (QoS 0 ones are not kept), and
  a reconnect with the same client id resumes it (session_present=1; in-flight messages are sent
  again with DUP, then the queue). The broker's sweep drops sessions whose expiry has passed.
- Persistent sessions are written to the store (`store.py`) whenever their subscriptions change
  and when they go offline, so a restart (even after kill -9) restores them with their queues.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from headwater.protocol.mqtt.packets import MQTT_5, SubscriptionOptions, Will
from headwater.services.iot.broker.context import SLOW_CONSUMER_BYTES, BrokerContext, arn
from headwater.services.iot.broker.hold import Hold
from headwater.services.iot.broker.message import Message, outgoing_qos0
from headwater.services.iot.broker.outbound import Outbound
from headwater.services.iot.broker.store import SessionRecord
from headwater.services.iot.contracts import AuthContext
from headwater.services.ports import MqttOutlet


class Link(Protocol):
    """A connected client as the rest of the broker sees it (`connection.Connection`)."""

    outlet: MqttOutlet
    level: int
    window: int
    state: SessionState
    auth: AuthContext
    will: Will | None
    finished: bool
    close_code: int | None
    prevent_will: bool
    session_id: str
    principal_id: str
    version: int

    @property
    def client_id(self) -> str: ...

    def close(self, reason_code: int, reason: str | None = None) -> None: ...


class Subscription:
    __slots__ = ("state", "filter", "qos", "no_local", "retain_as_published", "retain_handling")

    def __init__(self, state: SessionState, topic_filter: str, options: SubscriptionOptions) -> None:
        self.state = state
        self.filter = topic_filter  # as subscribed (`$share/g/f` for a shared subscription)
        self.qos = options.qos
        self.no_local = options.no_local
        self.retain_as_published = options.retain_as_published
        self.retain_handling = options.retain_handling

    def as_tuple(self) -> tuple[str, int, bool, bool, int]:
        return (self.filter, self.qos, self.no_local, self.retain_as_published, self.retain_handling)


class SharedGroup:
    """`$share/<group>/<filter>`: each message goes to one member, in turn, connected ones first."""

    __slots__ = ("members", "turn")

    def __init__(self) -> None:
        self.members: list[Subscription] = []
        self.turn = 0

    def pick(self) -> Subscription | None:
        count = len(self.members)
        for step in range(count):
            member = self.members[(self.turn + step) % count]
            if member.state.connection is not None:
                self.turn = (self.turn + step + 1) % count
                return member
        if not count:
            return None
        member = self.members[self.turn % count]  # nobody connected: a persistent member queues it
        self.turn = (self.turn + 1) % count
        return member


class SessionState:
    def __init__(
        self,
        ctx: BrokerContext,
        account: str,
        region: str,
        client_id: str,
        expiry: float,
        principal: str | None,
    ) -> None:
        self.ctx = ctx
        self.account = account
        self.region = region
        self.client_id = client_id
        self.expiry = expiry  # seconds after disconnect; 0 = a clean session
        self.subscriptions: dict[str, Subscription] = {}
        self.connection: Link | None = None
        self.offline_since: float | None = None
        self.version = 0  # lifecycle events' versionNumber
        self.auth = AuthContext(account, region, client_id, principal)
        queue = ctx.store.queue_name(account, region, client_id) if expiry > 0 else None
        self.outbound = Outbound(ctx, queue)
        self.hold = Hold()  # QoS 0 publishers waiting for this client to catch up
        self._topic_arn = arn(region, account, "topic", "")

    @property
    def persistent(self) -> bool:
        return self.expiry > 0

    def deliver(
        self, message: Message, sub: Subscription, now: float, retained: bool = False
    ) -> Awaitable[None] | None:
        """One matching subscription's copy: iot:Receive, QoS = min(publish, subscription). Live
        messages carry RETAIN only with retain-as-published; those sent because of a new
        subscription (`retained`) always do."""
        ctx = self.ctx
        auth = self.auth  # (no principal: nothing to check, so no ARN to build either)
        if (
            auth.principal_arn is not None
            and ctx.authorizer is not None
            and not ctx.allowed(auth, "iot:Receive", self._topic_arn + message.topic)
        ):
            return None
        if message.expires_at is not None and message.expires_at <= now:
            ctx.counters.expired_dropped += 1
            return None
        retain = retained or (message.retain and sub.retain_as_published)
        if message.qos == 0 or sub.qos == 0:
            conn = self.connection
            if conn is None:
                return None
            outlet = conn.outlet
            packet = message.plain0  # (outgoing_qos0's shared packet, when it is already made)
            if (
                packet is None
                or retain
                or (
                    conn.level == MQTT_5
                    and (message.properties is not None or message.expires_at is not None)
                )
            ):
                packet = outgoing_qos0(message, conn.level, retain, now)
            if outlet.buffered > SLOW_CONSUMER_BYTES:  # behind: hold its publishers (hold.py)
                if self.hold.shedding:
                    ctx.counters.qos0_dropped_slow += 1
                    return None
                ctx.counters.qos0_held += 1
                outlet.write(packet)
                return self.hold.wait(outlet)
            outlet.write(packet)
            return None
        if self.connection is None and not self.persistent:
            return None
        return self.outbound.push(message, retain)

    def record(self) -> SessionRecord:
        subs = [sub.as_tuple() for sub in self.subscriptions.values()]
        principal = self.auth.principal_arn
        return SessionRecord(
            self.account,
            self.region,
            self.client_id,
            self.expiry,
            self.offline_since,
            subs,
            self.version,
            principal,
        )

    def save(self) -> Awaitable[None] | None:
        return self.ctx.store.save_session(self.record()) if self.persistent else None

    def expired(self, now: float) -> bool:
        return (
            self.connection is None
            and self.offline_since is not None
            and self.offline_since + self.expiry <= now
        )
