"""The Device Shadow service: the `ShadowStore` port (iot-data's REST operations, later the rules
engine), the broker's `PublishTap` for shadow requests over MQTT, and a part of `IotCore`.

Theory of operation
-------------------
Every request is validated and computed synchronously from the stored row (the ordered store's
reads see unawaited writes), and its write is issued before anything else runs on the loop, so
requests for one shadow apply one after the other in arrival order with no lock. What answers an
accepted update or delete (`/accepted`, `/update/delta`, `/update/documents`, the REST response)
is published only once the write is durable: a client never hears of a change a kill -9 can undo.
Over MQTT the tap returns that wait, so a QoS 1 request's PUBACK follows it as well.

Refusals are answered at once on `/rejected` (MQTT) or raised (REST; AWS publishes no MQTT error
for REST calls). An MQTT client may have 10 requests in flight (AWS's limit); the 11th is refused
with 429. The broker has already checked iot:Publish on the request topic, and checks iot:Receive
for every subscriber of the answers; as on AWS, anyone subscribed to an answer topic receives it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from headwater.engine.api import OrderedStore
from headwater.runtime.clock import SystemClock
from headwater.services.iot.contracts import EventPublisher, InboundPublish
from headwater.services.iot.shadow import document as doc
from headwater.services.iot.shadow import errors
from headwater.services.iot.shadow.store import ShadowRows, shadow_key
from headwater.services.iot.shadow.topics import ShadowTopic, parse_request, shadow_base
from headwater.services.ports import ShadowError

log = logging.getLogger(__name__)

CONTINUITY_MS = 48 * 3600 * 1000  # a deleted shadow's version carries on if re-created within 48 h
MAX_IN_FLIGHT = 10  # requests per MQTT connection


class Shadows:
    def __init__(self, ordered: OrderedStore, clock: SystemClock, history_window: float = 0.0) -> None:
        self.rows = ShadowRows(ordered)
        self.clock = clock
        self.window_ms = int(history_window * 1000)
        self.publisher: EventPublisher | None = None  # wired by the core: the broker
        self._in_flight: dict[tuple[str, str, str], int] = {}

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def reset(self) -> None:
        self._in_flight.clear()  # the rows went with the engine's reset

    # --- reads and changes (shared by MQTT and REST) ---------------------------------------------

    def _current(self, key: str, now_ms: int) -> doc.Shadow | None:
        """The live shadow or a tombstone still within the 48 hours; None otherwise."""
        shadow = self.rows.read(key)
        if (
            shadow is not None
            and shadow.deleted_ms is not None
            and now_ms - shadow.deleted_ms > CONTINUITY_MS
        ):
            return None
        return shadow

    def _live(self, account: str, region: str, thing: str, name: str | None) -> doc.Shadow:
        shadow = self.rows.read(shadow_key(account, region, thing, name))
        if shadow is None or shadow.deleted_ms is not None:
            raise errors.not_found(name if name is not None else thing)
        return shadow

    def _get(self, account: str, region: str, thing: str, name: str | None, token: str | None) -> bytes:
        shadow = self._live(account, region, thing, name)
        return doc.dumps(doc.get_document(shadow, self.clock.now_ms(), token))

    def _update(
        self, account: str, region: str, thing: str, name: str | None, payload: bytes, source: str
    ) -> tuple[Awaitable[None], doc.Outcome]:
        request = doc.parse_update(payload)
        now = self.clock.now_ms()
        key = shadow_key(account, region, thing, name)
        outcome = doc.apply(self._current(key, now), request, now)
        entry = None
        if self.window_ms > 0:
            entry = {
                "timestamp": now,
                "operation": "update",
                "version": outcome.shadow.version,
                "source": source,
                "clientToken": request.token,
                "request": request.state,
                "state": outcome.shadow.state,
                "delta": outcome.delta["state"] if outcome.delta is not None else None,
            }
        return self.rows.write(key, outcome.shadow, entry, now, self.window_ms), outcome

    def _delete(
        self, account: str, region: str, thing: str, name: str | None, token: str | None, source: str
    ) -> tuple[Awaitable[None], bytes]:
        shadow = self._live(account, region, thing, name)
        now = self.clock.now_ms()
        tombstone = doc.Shadow(version=shadow.version, deleted_ms=now)
        entry = None
        if self.window_ms > 0:
            entry = {"timestamp": now, "operation": "delete", "version": shadow.version, "source": source}
            entry["clientToken"] = token
        key = shadow_key(account, region, thing, name)
        wait = self.rows.write(key, tombstone, entry, now, self.window_ms)
        return wait, doc.dumps(doc.deleted_document(shadow.version, now, token))

    def _announce(self, account: str, region: str, base: str, outcome: doc.Outcome) -> None:
        self._publish(account, region, f"{base}/update/accepted", doc.dumps(outcome.accepted))
        if outcome.delta is not None:
            self._publish(account, region, f"{base}/update/delta", doc.dumps(outcome.delta))
        self._publish(account, region, f"{base}/update/documents", doc.dumps(outcome.documents))

    def _publish(self, account: str, region: str, topic: str, payload: bytes) -> None:
        if self.publisher is not None:
            self.publisher.publish_event(account, region, topic, payload)

    # --- ShadowStore (REST) ----------------------------------------------------------------------------

    def get(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        return self._get(account, region, thing, name, None)

    async def update(self, account: str, region: str, thing: str, name: str | None, payload: bytes) -> bytes:
        wait, outcome = self._update(account, region, thing, name, payload, "api")
        await wait
        self._announce(account, region, shadow_base(thing, name), outcome)
        return doc.dumps(outcome.accepted)

    async def delete(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        wait, answer = self._delete(account, region, thing, name, None, "api")
        await wait
        self._publish(account, region, f"{shadow_base(thing, name)}/delete/accepted", answer)
        return answer

    def list_named(
        self, account: str, region: str, thing: str, after: str | None, limit: int
    ) -> tuple[list[str], str | None]:
        return self.rows.named(account, region, thing, after, limit)

    def history(self, account: str, region: str, thing: str, name: str | None) -> list[dict[str, Any]]:
        if self.window_ms <= 0:
            return []
        since = self.clock.now_ms() - self.window_ms
        return self.rows.history(shadow_key(account, region, thing, name), since)

    # --- PublishTap (MQTT) -----------------------------------------------------------------------------

    def published(self, message: InboundPublish) -> Awaitable[None] | None:
        topic = parse_request(message.topic)
        if topic is None:
            return None
        account, region, payload = message.account, message.region, message.payload
        try:
            return self._request(message, topic)
        except ShadowError as error:
            self._reject(account, region, topic, error, doc.token_for_error(payload))
        except Exception:  # a bug must not cost the broker its connection: AWS's 500
            log.exception("shadow request on %s failed", message.topic)
            self._reject(account, region, topic, errors.internal(), doc.token_for_error(payload))
        return None

    def _request(self, message: InboundPublish, topic: ShadowTopic) -> Awaitable[None] | None:
        account, region = message.account, message.region
        if topic.operation == "get":
            token = doc.token_of(message.payload)
            answer = self._get(account, region, topic.thing, topic.name, token)
            self._publish(account, region, f"{topic.request}/accepted", answer)
            return None
        flight = (account, region, message.client_id or "")
        if message.client_id is not None and self._in_flight.get(flight, 0) >= MAX_IN_FLIGHT:
            raise errors.too_many()
        source = f"mqtt:{message.client_id}" if message.client_id is not None else "https"
        if topic.operation == "update":
            wait, outcome = self._update(account, region, topic.thing, topic.name, message.payload, source)
            return self._settle(flight, wait, lambda: self._announce(account, region, topic.base, outcome))
        token = doc.token_of(message.payload)
        wait, answer = self._delete(account, region, topic.thing, topic.name, token, source)
        return self._settle(
            flight, wait, lambda: self._publish(account, region, f"{topic.request}/accepted", answer)
        )

    def _settle(self, flight: tuple[str, str, str], wait: Awaitable[None], answer: Any) -> Awaitable[None]:
        self._in_flight[flight] = self._in_flight.get(flight, 0) + 1  # counted now, not when awaited
        return self._answer_when_stored(flight, wait, answer)

    async def _answer_when_stored(
        self, flight: tuple[str, str, str], wait: Awaitable[None], answer: Any
    ) -> None:
        try:
            await wait
        finally:
            left = self._in_flight.get(flight, 1) - 1
            if left > 0:
                self._in_flight[flight] = left
            else:
                self._in_flight.pop(flight, None)
        answer()

    def _reject(
        self, account: str, region: str, topic: ShadowTopic, error: ShadowError, token: str | None
    ) -> None:
        body = doc.error_document(error.code, error.message, self.clock.now_ms(), token)
        self._publish(account, region, f"{topic.request}/rejected", doc.dumps(body))
