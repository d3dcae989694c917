"""What the broker keeps in the engine.

- Persistent sessions: one small record each in the metadata store (namespace `iot-sessions`, key
  `<account>/<region>/<clientId>`): subscriptions, expiry, when it went offline. They are resident
  anyway (their subscriptions must route while the client is away), so the metadata store's
  read-at-start fits.
- A persistent session's QoS 1 messages (queued and in flight): a queue of its own in the queue
  store, seq = the session's running message number; removed when PUBACKed. Only a bounded window
  is ever in memory (`outbound.py`); start-up reads each queue's count and seq range, not its
  messages.
- Retained messages: the ordered store (namespace `iot-retained`, key `<account>/<region>/<topic>`),
  so GetRetainedMessage is a point read, ListRetainedMessages a range scan in topic order, and
  nothing holds them all in memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import Any

from headwater.engine.api import Engine, QueuedMessage
from headwater.services.iot.broker.message import Message, decode, encode

log = logging.getLogger(__name__)

SESSIONS = "iot-sessions"
RETAINED = "iot-retained"


@dataclass(slots=True)
class SessionRecord:
    account: str
    region: str
    client_id: str
    expiry: float  # seconds (math.inf: never)
    offline_since: float | None
    subscriptions: list[tuple[str, int, bool, bool, int]]  # filter, qos, no_local, rap, retain_handling
    version: int
    principal: str | None  # the certificate ARN it connected with: iot:Receive is checked for it


def _key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


class BrokerStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._background: set[asyncio.Future[Any]] = set()

    # --- sessions --------------------------------------------------------------------------------

    def session_records(self) -> Iterator[SessionRecord]:
        for _, value in self.engine.meta.scan(SESSIONS):
            d = json.loads(value)
            expiry = float("inf") if d["e"] is None else d["e"]
            subs = [(s[0], s[1], s[2], s[3], s[4]) for s in d["s"]]
            yield SessionRecord(d["a"], d["r"], d["c"], expiry, d["o"], subs, d["v"], d.get("p"))

    def save_session(self, record: SessionRecord) -> Awaitable[None]:
        expiry = None if record.expiry == float("inf") else record.expiry
        value = {
            "a": record.account,
            "r": record.region,
            "c": record.client_id,
            "e": expiry,
            "o": record.offline_since,
            "s": record.subscriptions,
            "v": record.version,
            "p": record.principal,
        }
        key = _key(record.account, record.region, record.client_id)
        return self.engine.meta.put(SESSIONS, key, json.dumps(value).encode())

    def drop_session(self, account: str, region: str, client_id: str) -> Awaitable[None]:
        queue = self.queue_name(account, region, client_id)
        if queue in self.engine.queues.queues():
            self.background(self.engine.queues.drop(queue))
        return self.engine.meta.delete(SESSIONS, _key(account, region, client_id))

    # --- a persistent session's QoS 1 messages -------------------------------------------------

    @staticmethod
    def queue_name(account: str, region: str, client_id: str) -> str:
        return f"iot-session/{account}/{region}/{client_id}"

    def open_queue(self, queue: str) -> tuple[int, int]:
        """Creates the queue when absent; (stored count, next seq)."""
        if queue not in self.engine.queues.queues():
            self.background(self.engine.queues.create(queue))
            return 0, 0
        return self.engine.queues.stats(queue)

    def enqueue(self, queue: str, seq: int, message: Message, retain: bool) -> Awaitable[None]:
        # the state column holds what differs per receiver: the RETAIN flag it gets
        return self.engine.queues.add(queue, [(seq, encode(message), b"r" if retain else b"")])

    def acked(self, queue: str, seq: int) -> None:
        self.background(self.engine.queues.remove(queue, [seq]))

    async def page(self, queue: str, start: int, stop: int, limit: int) -> list[tuple[int, Message, bool]]:
        rows: list[QueuedMessage] = await self.engine.queues.page(queue, start, stop, limit)
        return [(row.seq, decode(row.record), row.state == b"r") for row in rows if row.record is not None]

    # --- retained messages ----------------------------------------------------------------------

    def retained(self, account: str, region: str, topic: str) -> Message | None:
        value = self.engine.ordered.get(RETAINED, _key(account, region, topic))
        return decode(value) if value is not None else None

    def retain(self, account: str, region: str, message: Message) -> Awaitable[None]:
        key = _key(account, region, message.topic)
        value = encode(message) if message.payload else None  # an empty payload deletes
        return self.engine.ordered.write([(RETAINED, key, value)])

    def scan_retained(
        self, account: str, region: str, after: str | None, prefix: str, limit: int
    ) -> list[Message]:
        base = _key(account, region, "")
        start = base + after if after is not None else None
        rows = self.engine.ordered.scan_range(RETAINED, start, base + prefix, limit)
        return [decode(value) for _, value in rows]

    # --- writes nobody waits for -----------------------------------------------------------------

    def background(self, awaitable: Awaitable[Any]) -> None:
        future = asyncio.ensure_future(awaitable)
        if future.done():
            future.result()
            return
        self._background.add(future)
        future.add_done_callback(self._finished)

    def _finished(self, future: asyncio.Future[Any]) -> None:
        self._background.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("iot broker: a background write failed", exc_info=future.exception())

    async def settle(self) -> None:
        """Waits for the writes nobody waits for (close, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
