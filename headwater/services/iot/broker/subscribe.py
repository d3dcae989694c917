"""SUBSCRIBE and UNSUBSCRIBE: AWS's checks, the SUBACK codes, retained messages for new
subscriptions, and the subscribed/unsubscribed lifecycle events.

Retained messages and wildcards: AWS IoT's list of differences from the specification says a
wildcard subscription does not receive retained messages, only an exact-topic one does; AWS mode
keeps that rule. Relaxed mode follows the specification and sends every retained message the
filter matches (a range scan from the filter's literal prefix, in pages). A shared subscription
never gets retained messages (MQTT 5, 4.8.2).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import (
    MQTT_5,
    Suback,
    Subscribe,
    SubscriptionOptions,
    Unsuback,
    Unsubscribe,
)
from headwater.services.iot.broker.context import (
    MAX_FILTERS_PER_SUBSCRIBE,
    MAX_SUBSCRIPTIONS,
    BrokerContext,
    arn,
)
from headwater.services.iot.broker.message import Message
from headwater.services.iot.broker.namespace import Namespace
from headwater.services.iot.broker.sessions import Link, Subscription
from headwater.services.iot.broker.topics import filter_error, is_wildcard, matches, split_shared

Event = Callable[[Link, str, list[str]], None]  # (client, "subscribed"/"unsubscribed", filters)

_RETAINED_PAGE = 200
_RETAINED_SCAN_MAX = 10_000  # retained messages one wildcard subscription may be sent


class Subscriptions:
    def __init__(self, ctx: BrokerContext, event: Event) -> None:
        self.ctx = ctx
        self.event = event

    def subscribe(self, conn: Link, ns: Namespace, packet: Subscribe) -> Awaitable[None] | None:
        ctx, v5 = self.ctx, conn.level == MQTT_5
        if packet.properties.subscription_identifiers:  # AWS IoT does not support them
            conn.close(rc.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED)
            return None
        count = len(packet.subscriptions)
        if ctx.aws and count > MAX_FILTERS_PER_SUBSCRIBE:
            refused = rc.QUOTA_EXCEEDED if v5 else rc.V3_SUBACK_FAILURE
            conn.outlet.write(Suback(packet.packet_id, [refused] * count))
            return None
        if ctx.aws and not v5 and any(options.qos == 2 for _, options in packet.subscriptions):
            return None  # AWS IoT sends no SUBACK for a QoS 2 subscription from a 3.1.1 client
        codes: list[int] = []
        added: list[tuple[Subscription, bool]] = []
        filter_arn = arn(ns.region, ns.account, "topicfilter", "")
        for topic_filter, options in packet.subscriptions:
            error = filter_error(topic_filter, ctx.aws)
            if error is None and options.no_local and split_shared(topic_filter)[0] is not None:
                error = rc.PROTOCOL_ERROR if v5 else rc.V3_SUBACK_FAILURE
            if error is None and not ctx.allowed(conn.auth, "iot:Subscribe", filter_arn + topic_filter):
                error = rc.NOT_AUTHORIZED
            full = len(conn.state.subscriptions) >= MAX_SUBSCRIPTIONS
            if error is None and ctx.aws and full and topic_filter not in conn.state.subscriptions:
                error = rc.QUOTA_EXCEEDED
            if error is not None:
                codes.append(error if v5 else rc.V3_SUBACK_FAILURE)
                continue
            granted = min(options.qos, 1)  # QoS 2 subscriptions get 1 (AWS; relaxed downgrades)
            kept = SubscriptionOptions(
                granted, options.no_local, options.retain_as_published, options.retain_handling
            )
            if not v5:
                kept = SubscriptionOptions(granted)
            sub = Subscription(conn.state, topic_filter, kept)
            added.append((sub, ns.subscribe(sub)))
            codes.append(granted)
        saved = conn.state.save() if added else None
        if saved is None:
            self._answer(conn, ns, packet.packet_id, codes, added)
            return None
        return self._answer_when_saved(saved, conn, ns, packet.packet_id, codes, added)

    async def _answer_when_saved(
        self,
        saved: Awaitable[None],
        conn: Link,
        ns: Namespace,
        packet_id: int,
        codes: list[int],
        added: list[tuple[Subscription, bool]],
    ) -> None:
        await saved
        if not conn.finished:
            self._answer(conn, ns, packet_id, codes, added)

    def _answer(
        self,
        conn: Link,
        ns: Namespace,
        packet_id: int,
        codes: list[int],
        added: list[tuple[Subscription, bool]],
    ) -> None:
        conn.outlet.write(Suback(packet_id, codes))
        for sub, is_new in added:
            if sub.retain_handling == 2 or (sub.retain_handling == 1 and not is_new):
                continue
            for message in self._retained_for(ns, sub.filter):
                conn.state.deliver(message, sub, self.ctx.clock.now(), retained=True)
        if added:
            self.event(conn, "subscribed", [sub.filter for sub, _ in added])

    def _retained_for(self, ns: Namespace, topic_filter: str) -> list[Message]:
        group, inner = split_shared(topic_filter)
        if group is not None:
            return []
        store, account, region = self.ctx.store, ns.account, ns.region
        if not is_wildcard(inner):
            message = store.retained(account, region, inner)
            return [message] if message is not None else []
        if self.ctx.aws:
            return []
        literal: list[str] = []
        for level in inner.split("/"):
            if level in ("+", "#"):
                break
            literal.append(level)
        prefix = "/".join(literal) + "/" if literal else ""
        found: list[Message] = []
        after: str | None = None
        scanned = 0
        while scanned < _RETAINED_SCAN_MAX:
            page = store.scan_retained(account, region, after, prefix, _RETAINED_PAGE)
            scanned += len(page)
            found.extend(message for message in page if matches(inner, message.topic))
            if len(page) < _RETAINED_PAGE:
                break
            after = page[-1].topic
        return found

    def unsubscribe(self, conn: Link, ns: Namespace, packet: Unsubscribe) -> Awaitable[None] | None:
        codes = []
        removed = []
        for topic_filter in packet.topic_filters:
            if ns.unsubscribe(conn.state, topic_filter):
                codes.append(rc.SUCCESS)
                removed.append(topic_filter)
            else:
                codes.append(rc.NO_SUBSCRIPTION_EXISTED)
        answer = Unsuback(packet.packet_id, codes if conn.level == MQTT_5 else [])
        saved = conn.state.save() if removed else None
        if removed:
            self.event(conn, "unsubscribed", removed)
        if saved is None:
            conn.outlet.write(answer)
            return None
        return self._unsuback_when_saved(saved, conn, answer)

    async def _unsuback_when_saved(self, saved: Awaitable[None], conn: Link, answer: Unsuback) -> None:
        await saved
        if not conn.finished:
            conn.outlet.write(answer)
