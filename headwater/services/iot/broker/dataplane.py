"""`IotDataPlane`: what the iot-data API asks of the broker (HTTPS publish, retained messages,
the connection operations: Get/DeleteConnection, ListSubscriptions, SendDirectMessage), with
iot-data's error codes. The connection views are `views.py`'s, direct messages `direct.py`'s."""

from __future__ import annotations

import json
from typing import Any

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import Properties
from headwater.services.iot.broker.broker import Broker
from headwater.services.iot.broker.connect import Refused, identify, register_unknown
from headwater.services.iot.broker.context import MAX_PAYLOAD, arn
from headwater.services.iot.broker.direct import send_direct
from headwater.services.iot.broker.message import Message, forwarded
from headwater.services.iot.broker.topics import RULES_PREFIX, topic_name_error
from headwater.services.iot.broker.views import connection_info, subscriptions
from headwater.services.iot.contracts import AuthContext, ThingDirectory
from headwater.services.ports import ConnectionInfo, DataPlaneError, MqttPeer, RetainedMessage


def _retained(message: Message) -> RetainedMessage:
    props = message.properties
    user = None
    if props is not None and props.user_properties:
        user = json.dumps([{key: value} for key, value in props.user_properties]).encode()
    return RetainedMessage(message.topic, message.payload, message.qos, message.created_ms, user)


class DataPlane:
    def __init__(self, broker: Broker, things: ThingDirectory | None = None) -> None:
        self.broker = broker
        self.ctx = broker.ctx
        self.things = things  # GetConnection's thingName

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
        ctx = self.ctx
        if qos not in (0, 1):
            raise DataPlaneError("InvalidRequestException", "qos must be 0 or 1")
        if topic_name_error(topic, ctx.aws) is not None:
            raise DataPlaneError("InvalidRequestException", f"Invalid topic name: {topic}")
        if ctx.aws and len(payload) > MAX_PAYLOAD:
            raise DataPlaneError("RequestEntityTooLargeException", "Payload exceeds size limit.", 413)
        if peer is not None:  # the device gateway's HTTPS publish: the caller's policies apply
            await register_unknown(ctx, peer)
            try:
                who = identify(ctx, peer)
            except Refused:
                raise DataPlaneError("UnauthorizedException", "Not authorized", 401) from None
            account, region = who.account, who.region
            auth = AuthContext(account, region, None, who.principal_arn, who.certificate_der)
            topic_arn = arn(region, account, "topic", topic)
            if not ctx.allowed(auth, "iot:Publish", topic_arn) or (
                retain and not ctx.allowed(auth, "iot:RetainPublish", topic_arn)
            ):
                raise DataPlaneError("UnauthorizedException", "Not authorized", 401)
        props, expires = forwarded(
            properties if isinstance(properties, Properties) else None, ctx.clock.now()
        )
        message = Message(topic, payload, qos, retain, props, expires, None, ctx.clock.now_ms())
        namespace = self.broker.namespace(account, region)
        principal = peer.access_key if peer is not None else None
        route = not topic.startswith(RULES_PREFIX)  # Basic Ingest: for the rules engine only
        for wait in self.broker.publish(namespace, message, principal=principal, route=route):
            await wait

    def retained(self, account: str, region: str, topic: str) -> RetainedMessage | None:
        message = self.ctx.store.retained(account, region, topic)
        if message is None or message.expired(self.ctx.clock.now()):
            return None
        return _retained(message)

    def list_retained(
        self, account: str, region: str, after: str | None, limit: int
    ) -> tuple[list[RetainedMessage], str | None]:
        now = self.ctx.clock.now()
        page = self.ctx.store.scan_retained(account, region, after, "", limit)
        found = [_retained(m) for m in page if not m.expired(now)]
        marker = page[-1].topic if len(page) == limit else None
        return found, marker

    def authorize(self, peer: MqttPeer, action: str, resource: str) -> tuple[str, str]:
        try:
            who = identify(self.ctx, peer)
        except Refused:
            raise DataPlaneError("UnauthorizedException", "Unauthorized", 401) from None
        auth = AuthContext(who.account, who.region, None, who.principal_arn, who.certificate_der)
        if not self.ctx.allowed(auth, action, f"arn:aws:iot:{who.region}:{who.account}:{resource}"):
            raise DataPlaneError("ForbiddenException", "Forbidden", 403)
        return who.account, who.region

    async def delete_connection(
        self, account: str, region: str, client_id: str, clean_session: bool, prevent_will: bool
    ) -> None:
        ns = self.broker.namespaces.get((account, region))
        state = ns.sessions.get(client_id) if ns is not None else None
        conn = state.connection if state is not None else None
        if conn is None:
            raise DataPlaneError(
                "ResourceNotFoundException", f"No connection found for client ID {client_id}", 404
            )
        conn.prevent_will = prevent_will
        if clean_session and state is not None:
            state.expiry = 0
        conn.close(rc.ADMINISTRATIVE_ACTION)
        await self.broker.end_connection(conn, rc.ADMINISTRATIVE_ACTION, False)

    def connection(self, account: str, region: str, client_id: str) -> ConnectionInfo:
        ns = self.broker.namespaces.get((account, region))
        return connection_info(ns, self.broker.presence, self.things, client_id, self.ctx.clock.now_ms())

    def subscriptions(
        self, account: str, region: str, client_id: str, after: str | None, limit: int
    ) -> tuple[list[tuple[str, int]], str | None]:
        return subscriptions(self.broker.namespaces.get((account, region)), client_id, after, limit)

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
        props = properties if isinstance(properties, Properties) else None
        ns = self.broker.namespaces.get((account, region))
        await send_direct(self.ctx, ns, client_id, topic, payload, props, confirm, timeout)
