"""The Device Shadow service: the `ShadowStore` port (iot-data's REST operations, later the rules
engine), the broker's `PublishTap` for shadow requests over MQTT, and a part of `IotCore`.

Theory of operation
-------------------
Every request is validated and computed synchronously from the shadow as `live.LiveShadows` has
it (a bounded cache of decoded shadows, which holds every change not yet handed to the store), and its change is
staged at once, so requests for one shadow apply one after the other in arrival order with no lock.
The changes of one loop turn go to the ordered store as one write. What answers an accepted update
or delete (`/accepted`, `/update/delta`, `/update/documents`, the REST response) is published only
once that write is durable: a client never hears of a change a kill -9 can undo. Over MQTT the tap
returns the write's future, and the answers run from the write's completion before anything awaiting
it, so a QoS 1 request's PUBACK follows its answers. Every document is encoded once, by `apply`.

A read (`/get`, GetThingShadow) of a shadow whose latest change is still being stored answers once
that change is durable, so no one is shown a state a crash could undo. Refusals are answered at
once on `/rejected` (MQTT) or raised (REST; AWS publishes no MQTT error for REST calls). An MQTT client may have 10 requests in flight (AWS's limit); the 11th is refused
with 429. The broker has already checked iot:Publish on the request topic, and checks iot:Receive
for every subscriber of the answers; as on AWS, anyone subscribed to an answer topic receives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from headwater.engine.api import OrderedStore
from headwater.runtime.clock import SystemClock
from headwater.services.iot.contracts import EventPublisher, InboundPublish
from headwater.services.iot.shadow import document as doc
from headwater.services.iot.shadow import errors
from headwater.services.iot.shadow.live import ENTRY_OVERHEAD, Entry, LiveShadows
from headwater.services.iot.shadow.store import ShadowRows, history_line, shadow_key
from headwater.services.iot.shadow.topics import ShadowTopic, parse_request, shadow_base
from headwater.services.ports import ShadowError

log = logging.getLogger(__name__)

CONTINUITY_MS = 48 * 3600 * 1000  # a deleted shadow's version carries on if re-created within 48 h
MAX_IN_FLIGHT = 10  # requests per MQTT connection


class Shadows:
    def __init__(self, ordered: OrderedStore, clock: SystemClock, history_window: float = 0.0) -> None:
        self.window_ms = int(history_window * 1000)
        self.rows = ShadowRows(ordered, self.window_ms)
        self.live = LiveShadows(self.rows)
        self.clock = clock
        self.publisher: EventPublisher | None = None  # wired by the core: the broker
        self._in_flight: dict[tuple[str, str, str], int] = {}

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def reset(self) -> None:
        self._in_flight.clear()  # the rows went with the engine's reset
        self.live.clear()

    # --- reads and changes (shared by MQTT and REST) ---------------------------------------------

    def _current(self, key: str, now_ms: int) -> Entry | None:
        """The live shadow or a tombstone still within the 48 hours; None otherwise."""
        entry = self.live.read(key)
        if entry is not None:
            deleted = entry.shadow.deleted_ms
            if deleted is not None and now_ms - deleted > CONTINUITY_MS:
                return None
        return entry

    def _live(self, account: str, region: str, thing: str, name: str | None) -> doc.Shadow:
        entry = self.live.read(shadow_key(account, region, thing, name))
        if entry is None or entry.shadow.deleted_ms is not None:
            raise errors.not_found(name if name is not None else thing)
        return entry.shadow

    def _get(self, account: str, region: str, thing: str, name: str | None, token: str | None) -> bytes:
        shadow = self._live(account, region, thing, name)
        return doc.dumps(doc.get_document(shadow, self.clock.now_ms(), token))

    def _update(
        self,
        account: str,
        region: str,
        thing: str,
        name: str | None,
        payload: bytes,
        source: str,
        answer: Callable[[doc.Outcome], Callable[[bool], None]] | None = None,
    ) -> tuple[asyncio.Future[None], doc.Outcome]:
        request = doc.parse_update(payload)
        now = self.clock.now_ms()
        key = shadow_key(account, region, thing, name)
        outcome = self._apply(key, self._current(key, now), request, now)
        history = None
        if self.window_ms > 0:  # spliced from the parts apply encoded
            entry = b'{"timestamp":%d,"operation":"update","version":%d,"source":%b,"clientToken":%b,' % (
                now,
                outcome.shadow.version,
                doc.dumps(source),
                doc.dumps(request.token),
            ) + b'"request":%b,"delta":%b,"state":%b}' % (
                outcome.request_json,
                outcome.delta_state_json or b"null",
                outcome.state_json,
            )
            history = history_line(key, entry)
        cached = Entry(outcome.shadow, outcome.snapshot, len(outcome.row) + ENTRY_OVERHEAD)
        settle = answer(outcome) if answer is not None else None
        wait = self.live.stage(key, cached, outcome.row, history, now, settle)
        return wait, outcome

    def _apply(self, key: str, entry: Entry | None, request: doc.UpdateRequest, now: int) -> doc.Outcome:
        """The cached shadow is changed in place (no copy); a refusal after the change began (413)
        puts back the shadow its snapshot holds."""
        if entry is None:
            return doc.apply(None, request, now)
        shadow = entry.shadow
        if shadow.deleted_ms is not None:
            return doc.apply(shadow, request, now)
        if entry.snapshot is None:
            entry.snapshot = doc.snapshot_json(shadow)
        try:
            return doc.apply(shadow, request, now, entry.snapshot, owned=True)
        except ShadowError:
            was = doc.loads(entry.snapshot)
            entry.shadow = doc.Shadow(was["state"], was["metadata"], was["version"], shadow.timestamp)
            raise

    def _delete(
        self, account: str, region: str, thing: str, name: str | None, token: str | None, source: str,
        answer: Callable[[bytes], Callable[[bool], None]] | None = None,
    ) -> tuple[asyncio.Future[None], bytes]:  # fmt: skip
        shadow = self._live(account, region, thing, name)
        now = self.clock.now_ms()
        tombstone = doc.Shadow(version=shadow.version, deleted_ms=now)
        history = None
        key = shadow_key(account, region, thing, name)
        if self.window_ms > 0:
            entry = {"timestamp": now, "operation": "delete", "version": shadow.version, "source": source}
            entry["clientToken"] = token
            history = history_line(key, doc.dumps(entry))
        row = tombstone.encode()
        answer_doc = doc.dumps(doc.deleted_document(shadow.version, now, token))
        cached = Entry(tombstone, None, len(row) + ENTRY_OVERHEAD)
        settle = answer(answer_doc) if answer is not None else None
        wait = self.live.stage(key, cached, row, history, now, settle)
        return wait, answer_doc

    def _announce(self, account: str, region: str, base: str, outcome: doc.Outcome) -> None:
        self._publish(account, region, f"{base}/update/accepted", outcome.accepted_json)
        if outcome.delta_json is not None:
            self._publish(account, region, f"{base}/update/delta", outcome.delta_json)
        self._publish(account, region, f"{base}/update/documents", outcome.documents_json)

    def _publish(self, account: str, region: str, topic: str, payload: bytes) -> None:
        if self.publisher is not None:
            self.publisher.publish_event(account, region, topic, payload)

    # --- ShadowStore (REST) ----------------------------------------------------------------------------

    async def read(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        pending = self.live.pending(shadow_key(account, region, thing, name))
        if pending is not None:
            await pending
        return self._get(account, region, thing, name, None)

    def get(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        return self._get(account, region, thing, name, None)

    async def update(self, account: str, region: str, thing: str, name: str | None, payload: bytes) -> bytes:
        wait, outcome = self._update(account, region, thing, name, payload, "api")
        await wait
        self._announce(account, region, shadow_base(thing, name), outcome)
        return outcome.accepted_json

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
            pending = self.live.pending(shadow_key(account, region, topic.thing, topic.name))
            if pending is None:
                self._publish(account, region, f"{topic.request}/accepted", answer)
                return None
            return self._answer_get(pending, account, region, f"{topic.request}/accepted", answer)
        flight = (account, region, message.client_id or "")
        if message.client_id is not None and self._in_flight.get(flight, 0) >= MAX_IN_FLIGHT:
            raise errors.too_many()
        source = f"mqtt:{message.client_id}" if message.client_id is not None else "https"

        def answered(publish: Callable[[], None]) -> Callable[[bool], None]:
            # staged with the change: runs once its batch is durable, before the PUBACK
            def settle(stored: bool) -> None:
                left = self._in_flight.get(flight, 1) - 1
                if left > 0:
                    self._in_flight[flight] = left
                else:
                    self._in_flight.pop(flight, None)
                if stored:
                    publish()

            return settle

        if topic.operation == "update":
            wait, _ = self._update(
                account, region, topic.thing, topic.name, message.payload, source,
                lambda outcome: answered(lambda: self._announce(account, region, topic.base, outcome)),
            )  # fmt: skip
        else:
            token = doc.token_of(message.payload)
            request = f"{topic.request}/accepted"
            wait, _ = self._delete(
                account, region, topic.thing, topic.name, token, source,
                lambda body: answered(lambda: self._publish(account, region, request, body)),
            )  # fmt: skip
        self._in_flight[flight] = self._in_flight.get(flight, 0) + 1  # counted now, not when awaited
        return wait

    async def _answer_get(
        self, pending: asyncio.Future[None], account: str, region: str, topic: str, answer: bytes
    ) -> None:
        with contextlib.suppress(Exception):  # a failed write is its update's to report
            await asyncio.shield(pending)
        self._publish(account, region, topic, answer)

    def _reject(
        self, account: str, region: str, topic: ShadowTopic, error: ShadowError, token: str | None
    ) -> None:
        body = doc.error_document(error.code, error.message, self.clock.now_ms(), token)
        self._publish(account, region, f"{topic.request}/rejected", doc.dumps(body))
