"""One connected client (the `MqttSession` its listener drives): PUBLISH, SUBSCRIBE, UNSUBSCRIBE,
PUBACK, PINGREQ and DISCONNECT, with AWS IoT's checks and limits in AWS mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import (
    MQTT_5,
    NO_PROPERTIES,
    Connect,
    Disconnect,
    Pingreq,
    Pingresp,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Subscribe,
    Unsubscribe,
    Will,
)
from headwater.services.iot.broker.acks import HeldAcks
from headwater.services.iot.broker.context import MAX_PAYLOAD, PUBLISH_RATE, arn
from headwater.services.iot.broker.message import Message, forwarded
from headwater.services.iot.broker.namespace import Hub, Namespace
from headwater.services.iot.broker.sessions import SessionState
from headwater.services.iot.broker.topics import RULES_PREFIX, topic_name_error
from headwater.services.iot.contracts import AuthContext
from headwater.services.ports import MqttOutlet, MqttPeer

log = logging.getLogger("headwater.services.iot.broker")

VALID_TOPICS_KEPT = 256  # per connection; then the set starts over


async def _all(waits: list[Awaitable[None]]) -> None:
    for wait in waits:
        await wait


class Connection:
    def __init__(
        self,
        broker: Hub,
        ns: Namespace,
        state: SessionState,
        outlet: MqttOutlet,
        peer: MqttPeer,
        auth: AuthContext,
        principal_id: str,
        session_id: str,
        keep_alive: int,
        window: int,
        will: Will | None,
    ) -> None:
        self.broker = broker
        self.ctx = broker.ctx
        self.ns = ns
        self.state = state
        self.outlet = outlet
        self.level = outlet.protocol_level
        self.peer = peer
        self.auth = auth
        self.principal_id = principal_id
        self.session_id = session_id
        self._keep_alive = keep_alive
        self.window = window
        self.will = will
        self.prevent_will = False
        self.finished = False
        self.close_code: int | None = None  # why the broker closed it, when it did
        self.version = 0
        self._tokens = PUBLISH_RATE
        self._refilled = self.ctx.clock.now()
        self._topic_arn = arn(ns.region, ns.account, "topic", "")
        self._valid_topics: set[str] = set()  # topic names this client published that passed the checks
        self.acks = HeldAcks(window, outlet.write, self._store_failed)

    @property
    def keep_alive(self) -> int:
        return self._keep_alive

    @property
    def client_id(self) -> str:
        return self.state.client_id

    def close(self, reason_code: int, reason: str | None = None) -> None:
        if self.close_code is None:
            self.close_code = reason_code
        self.acks.close()
        self.outlet.close(reason_code, reason)

    def _store_failed(self, error: BaseException) -> None:
        log.error("storing a message from %s failed", self.client_id, exc_info=error)
        self.close(rc.UNSPECIFIED_ERROR)

    # --- the listener's side --------------------------------------------------------------------

    def receive(self, packet: Any) -> Awaitable[None] | None:
        if self.finished:
            return None
        kind = type(packet)
        if kind is Publish:
            return self._publish(packet)
        if kind is Puback:
            self.state.outbound.ack(packet.packet_id)
            return None
        if kind is Pingreq:
            self.outlet.write(Pingresp())
            if self.state.outbound.pending:  # a slow consumer may have room again
                self.state.outbound.flush()
            return None
        if kind is Subscribe:
            return self.broker.subscribe(self, self.ns, packet)
        if kind is Unsubscribe:
            return self.broker.unsubscribe(self, self.ns, packet)
        if kind is Disconnect:
            self._disconnecting(packet)
            return None
        if kind is Pubrel:  # the end of a QoS 2 exchange relaxed mode answered with PUBREC
            self.outlet.write(Pubcomp(packet.packet_id))
            return None
        if kind is Connect:
            self.close(rc.PROTOCOL_ERROR, "a second CONNECT")
        return None  # PUBREC/PUBCOMP/AUTH: nothing the broker sends asks for them

    async def ended(self, reason_code: int, client_initiated: bool) -> None:
        self.acks.close()
        await self.broker.end_connection(self, reason_code, client_initiated)

    # --- PUBLISH ----------------------------------------------------------------------------------

    def _publish(self, packet: Publish) -> Awaitable[None] | None:
        ctx = self.ctx
        aws = ctx.aws
        qos = packet.qos
        answer_pubrec = False
        if qos == 2:
            if aws:  # AWS IoT: no QoS 2; a 3.1.1 publisher gets no PUBACK, an MQTT 5 one is told
                if self.level == MQTT_5:
                    self.close(rc.QOS_NOT_SUPPORTED)
                return None
            qos, answer_pubrec = 1, True
        if aws:
            if len(packet.payload) > MAX_PAYLOAD:
                self.close(rc.PACKET_TOO_LARGE, "Message payload exceeds size limit for message type.")
                return None
            if not self._take_token():
                ctx.counters.throttled += 1
                self._refuse(packet, rc.QUOTA_EXCEEDED, disconnect_v3=False)
                return None
        topic = packet.topic
        if topic not in self._valid_topics:  # (a device publishes to a few topics: checked once each)
            error = topic_name_error(topic, aws)
            if error is not None:
                self._refuse(packet, error)
                return None
            if len(self._valid_topics) >= VALID_TOPICS_KEPT:
                self._valid_topics.clear()
            self._valid_topics.add(topic)
        if ctx.authorizer is not None and self.auth.principal_arn is not None:
            if not ctx.allowed(self.auth, "iot:Publish", self._topic_arn + topic):
                self._refuse(packet, rc.NOT_AUTHORIZED)
                return None
            if packet.retain and not ctx.allowed(self.auth, "iot:RetainPublish", self._topic_arn + topic):
                self._refuse(packet, rc.NOT_AUTHORIZED)
                return None
        # Basic Ingest (`$aws/rules/...`) reaches the taps (the rules engine), never subscribers
        route = not topic.startswith(RULES_PREFIX)
        now = ctx.clock.now()
        props, expires = forwarded(packet.properties, now) if self.level == MQTT_5 else (None, None)
        origin = self.state.client_id
        message = Message(topic, packet.payload, qos, packet.retain, props, expires, origin, int(now * 1000))
        if not qos and packet.properties is NO_PROPERTIES and not packet.retain and not packet.dup:
            message.plain0 = packet  # what a QoS 0 receiver gets is what came (message.outgoing_qos0)
        held, stored = self.broker.publish_parts(
            self.ns, message, principal=self.principal_id, route=route, now=now
        )
        if qos == 0:  # held: subscribers that are behind hold it (hold.py)
            return (held[0] if len(held) == 1 else _all(held)) if held else None
        packet_id = packet.packet_id or 0
        answer = Pubrec(packet_id, 0, NO_PROPERTIES) if answer_pubrec else Puback(packet_id, 0, NO_PROPERTIES)
        if not held and not stored:
            self.acks.answer(answer)
            return None
        if held:  # futures: the listener awaits them too
            held = [asyncio.ensure_future(wait) for wait in held]
        room = self.acks.hold(answer, held + stored if held else stored)
        if held:  # a subscriber behind: stop reading this publisher until it has room (hold.py)
            return _all(held + [room]) if room is not None else (held[0] if len(held) == 1 else _all(held))
        return room

    def _refuse(self, packet: Publish, code: int, disconnect_v3: bool = True) -> None:
        """AWS IoT: an MQTT 5 publisher is told in its PUBACK (QoS 1) or not at all (QoS 0); a
        3.1.1 one is disconnected (throttling excepted: the message is dropped and acknowledged)."""
        if self.level == MQTT_5:
            if packet.qos >= 1:
                self.acks.answer(Puback(packet.packet_id or 0, code))
            return None
        if disconnect_v3:
            self.close(code)
        elif packet.qos >= 1:
            self.acks.answer(Puback(packet.packet_id or 0))
        return None

    def _take_token(self) -> bool:
        now = self.ctx.clock.now()
        tokens = min(PUBLISH_RATE, self._tokens + (now - self._refilled) * PUBLISH_RATE)
        self._refilled = now
        if tokens < 1.0:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1.0
        return True

    def _disconnecting(self, packet: Disconnect) -> None:
        """A DISCONNECT may change the session expiry (MQTT 5; not from 0 to more, as the spec)."""
        interval = packet.properties.session_expiry_interval
        if self.level == MQTT_5 and interval is not None and self.state.expiry > 0:
            self.state.expiry = self.broker.capped_expiry(interval)
