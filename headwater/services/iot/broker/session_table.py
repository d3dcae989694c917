"""Sessions coming and going: attach on CONNECT (takeover, clean start, resume), the end of a
connection (will, keep or drop the session), expiry, and the reload after a restart.

Theory of operation
-------------------
- Takeover: a CONNECT with a client id that is connected in the same namespace ends the old
  connection first, as if it had dropped (its will is published, reason DUPLICATE_CLIENTID; an
  MQTT 5 client is sent DISCONNECT 0x8E), then the new one resumes or replaces the session.
- Resume: a persistent session (expiry > 0) is resumed unless the CONNECT asks for a clean start;
  a clean start discards it (and its stored queue) first.
- End: the will is published unless the client sent DISCONNECT 0x00 (or DeleteConnection said
  preventWillMessage); an MQTT 5 will delay defers it (sent when the delay or the session ends,
  cancelled if the client comes back first). A clean session is dropped; a persistent one is
  written with the time it went offline.
- Expiry: `sweep` (every 30 s on the server clock, and callable by tests) drops persistent
  sessions offline past their expiry, with their stored queues.
"""

from __future__ import annotations

import asyncio
import math

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import MQTT_5, SubscriptionOptions, Will
from headwater.services.iot.broker.message import Message, forwarded
from headwater.services.iot.broker.namespace import Hub, Namespace
from headwater.services.iot.broker.sessions import Link, SessionState, Subscription
from headwater.services.iot.contracts import AuthContext

SWEEP_INTERVAL = 30.0


class SessionTable:
    def __init__(self, broker: Hub) -> None:
        self.broker = broker
        self.ctx = broker.ctx
        self._wills: dict[tuple[str, str, str], asyncio.Task[None]] = {}

    async def attach(
        self, ns: Namespace, client_id: str, clean_start: bool, expiry: float, auth: AuthContext
    ) -> tuple[SessionState, bool]:
        """The session a new connection uses, and whether it was resumed (session_present)."""
        state = ns.sessions.get(client_id)
        if state is not None and state.connection is not None:
            old = state.connection
            old.close(rc.SESSION_TAKEN_OVER)
            await self.end(old, rc.SESSION_TAKEN_OVER, False)
            state = ns.sessions.get(client_id)
        pending = self._wills.pop((ns.account, ns.region, client_id), None)
        if pending is not None:  # back before the will delay ran out: no will
            pending.cancel()
        # an expired session the sweep has not reached yet (it runs every 30 s) is gone already
        expired = state is not None and state.expired(self.ctx.clock.now())
        present = state is not None and state.persistent and not clean_start and not expired
        if state is not None and not present:
            await self.discard(ns, state)
            state = None
        if state is None:
            state = SessionState(self.ctx, ns.account, ns.region, client_id, expiry, auth.principal_arn)
            if state.outbound.queue is not None:
                count, next_seq = self.ctx.store.open_queue(state.outbound.queue)
                state.outbound.restore(count, next_seq)
            ns.sessions[client_id] = state
        else:  # resumed (a persistent session: its stored queue exists)
            state.expiry = expiry
        state.auth = auth
        state.offline_since = None
        if present:
            await state.outbound.prefetch()
        saved = state.save()
        if saved is not None:
            await saved
        return state, present

    async def discard(self, ns: Namespace, state: SessionState) -> None:
        was_stored = state.outbound.queue is not None
        ns.drop(state)
        if was_stored:
            await self.ctx.store.drop_session(ns.account, ns.region, state.client_id)

    async def end(self, conn: Link, reason_code: int, client_initiated: bool) -> None:
        if conn.finished:
            return
        conn.finished = True
        if conn.close_code is not None:
            reason_code, client_initiated = conn.close_code, False
        state = conn.state
        ns = self.broker.namespace(state.account, state.region)
        if state.connection is conn:
            state.connection = None
            state.outbound.connection = None
        will = conn.will
        normal = client_initiated and reason_code == rc.SUCCESS
        if will is not None and not normal and not conn.prevent_will:
            delay = will.properties.will_delay_interval if conn.level == MQTT_5 else None
            if delay and state.persistent:
                key = (ns.account, ns.region, state.client_id)
                wait = min(float(delay), state.expiry)
                self._wills[key] = asyncio.get_running_loop().create_task(
                    self._delayed_will(conn, will, wait)
                )
            else:
                self.publish_will(conn, will)
        self.broker.disconnected(conn, reason_code, client_initiated)
        if ns.sessions.get(state.client_id) is not state:
            return
        if state.expiry <= 0:
            await self.discard(ns, state)
            return
        state.offline_since = self.ctx.clock.now()
        saved = state.save()
        if saved is not None:
            await saved

    def publish_will(self, conn: Link, will: Will) -> None:
        ctx = self.ctx
        state = conn.state
        ns = self.broker.namespace(state.account, state.region)
        topic_arn = f"arn:aws:iot:{ns.region}:{ns.account}:topic/{will.topic}"
        if not ctx.allowed(conn.auth, "iot:Publish", topic_arn):
            return
        if will.retain and not ctx.allowed(conn.auth, "iot:RetainPublish", topic_arn):
            return
        props, expires = forwarded(will.properties, ctx.clock.now()) if conn.level == MQTT_5 else (None, None)
        message = Message(
            will.topic,
            will.payload,
            min(will.qos, 1),
            will.retain,
            props,
            expires,
            conn.client_id,
            ctx.clock.now_ms(),
        )
        for wait in self.broker.publish(ns, message):
            ctx.store.background(wait)

    async def _delayed_will(self, conn: Link, will: Will, deadline: float) -> None:
        await self.ctx.clock.sleep_until(deadline)
        self._wills.pop((conn.state.account, conn.state.region, conn.client_id), None)
        self.publish_will(conn, will)

    async def sweep(self) -> int:
        """Drops the persistent sessions offline past their expiry; how many went."""
        now = self.ctx.clock.now()
        gone = 0
        for ns in list(self.broker.namespaces.values()):
            for state in [s for s in ns.sessions.values() if s.expired(now)]:
                await self.discard(ns, state)
                gone += 1
        return gone

    async def run_sweeper(self) -> None:
        while True:
            await self.ctx.clock.sleep(SWEEP_INTERVAL)
            await self.sweep()

    def load(self) -> int:
        """Restores the stored persistent sessions (start-up); their messages stay in the store."""
        now = self.ctx.clock.now()
        count = 0
        for record in self.ctx.store.session_records():
            ns = self.broker.namespace(record.account, record.region)
            state = SessionState(
                self.ctx, record.account, record.region, record.client_id, record.expiry, record.principal
            )
            state.offline_since = record.offline_since if record.offline_since is not None else now
            state.version = record.version
            for topic_filter, qos, no_local, rap, handling in record.subscriptions:
                ns.subscribe(
                    Subscription(state, topic_filter, SubscriptionOptions(qos, no_local, rap, handling))
                )
            if state.outbound.queue is not None:
                stored, next_seq = self.ctx.store.open_queue(state.outbound.queue)
                state.outbound.restore(stored, next_seq)
            ns.sessions[record.client_id] = state
            ns.versions[record.client_id] = record.version
            count += 1
        return count

    def cancel_wills(self) -> None:
        for task in self._wills.values():
            task.cancel()
        self._wills.clear()


def capped(aws: bool, limit: float, asked: int) -> float:
    """An MQTT 5 session expiry interval as the broker keeps it (AWS caps it at the configured
    expiry; 0xFFFFFFFF means never)."""
    value = math.inf if asked == 0xFFFFFFFF else float(asked)
    return min(value, limit) if aws else value
