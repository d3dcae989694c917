"""Edge mode's store-and-forward bridge: a part of `IotCore` (`serve --edge`), a `PublishTap` on the
local broker, and an MQTT client of the upstream.

Theory of operation
-------------------
In: every accepted local PUBLISH of the default account and region passes `published`; the first
forward route whose filter matches queues it (`queue.py`) under the upstream topic (the route's
prefix + the local topic), and the store write is the awaitable the local QoS 1 PUBACK waits for.
Messages the bridge itself brought down from the upstream are never sent back up.

Out: one task keeps a connection to the upstream (`client.py`), reconnecting with exponential
backoff (jittered, capped by `backoff_max`). On each connection it subscribes to the subscribe
routes, rewinds the queue (what was in flight on the last connection may be lost) and pumps:
QoS 1 PUBLISHes in queue order, at most `inflight` unacknowledged (and the upstream's Receive
Maximum), paced to `rate` a second (AWS IoT drops what passes 100 a second on one connection); a
PUBACK removes its message from the queue. A PUBACK refusing it for now (quota exceeded) ends the
connection, so the next one sends again from that message on; one refusing it for good (not
authorized, an invalid topic, too large) drops it, counted as rejected, rather than let it stop
the queue behind it forever. Delivery upstream is at least once: a message in flight when a connection
drops is sent again, after which everything follows in order (each topic's first copies arrive
in publish order).

Down: a PUBLISH from the upstream (subscribe routes) is published locally under the route's
prefix, as a server-made message of the default account; a QoS 1 one is acknowledged upstream once
the local broker accepted it (stored, for persistent sessions).

Kinesis streams (`--edge-kinesis`): `kinesis_forward.py`, reported under `kinesis` in `status()`.

Shadows (`--edge-shadows`): local accepted shadow changes go up as shadow requests through the
same queue, upstream ones come down into the local shadows (`shadow_sync.py`).

What it reports: `status()` (the health document and `GET /_headwater/edge`) and the metrics
(`IoT` namespace, `Edge.*`, set by a collector before each rendering).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

from headwater.config import EdgeConfig
from headwater.engine.api import QueueStore
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.iot.bridge.client import ConnectionLost, UpstreamClient
from headwater.services.iot.bridge.kinesis_forward import KinesisForward
from headwater.services.iot.bridge.queue import EdgeQueue, Outgoing
from headwater.services.iot.bridge.shadow_sync import PREFIX, ShadowSync
from headwater.services.iot.bridge.upstream import Pace, tls_context
from headwater.services.iot.broker import Broker
from headwater.services.iot.broker.message import Message
from headwater.services.iot.broker.topics import matches
from headwater.services.iot.contracts import InboundPublish
from headwater.services.ports import ShadowStore

log = logging.getLogger("headwater.iot.edge")

ORIGIN = "$headwater-edge-bridge"  # the origin of what came down: never forwarded back up
BACKOFF_FIRST = 0.2
QUOTA_EXCEEDED = 0x97
FILTERS_PER_SUBSCRIBE = 8  # AWS IoT's limit
# DISCONNECT reasons that blame a message: malformed, not authorized, topic invalid, too large,
# payload format invalid (quota exceeded is not one: that message is sent again)
REFUSED_FOR_GOOD = frozenset((0x81, 0x87, 0x90, 0x95, 0x99))
STABLE_S = 10.0  # a connection that lasted this long resets the reconnect backoff
NAMESPACE = "IoT"


class EdgeBridge:
    def __init__(
        self,
        config: EdgeConfig,
        broker: Broker,
        store: QueueStore,
        clock: SystemClock,
        metrics: Metrics,
        account: str,
        region: str,
        shadows: ShadowStore | None = None,
    ) -> None:
        self.config = config
        self.broker = broker
        self.clock = clock
        self.metrics = metrics
        self.account, self.region = account, region
        url = urlsplit(config.upstream)
        self.host = url.hostname or "localhost"
        self.port = url.port or (8883 if url.scheme == "mqtts" else 1883)
        self.queue = EdgeQueue(store, "upstream", config.queue_max_bytes, config.drop)
        self.sync: ShadowSync | None = None
        if config.shadows and shadows is not None:
            self.sync = ShadowSync(config.shadows, shadows, account, region)
        self.labels = (("Upstream", f"{self.host}:{self.port}"),)
        self.connected_since: float | None = None
        self.last_error: str | None = None
        self._client: UpstreamClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._tls: ssl.SSLContext | None = None
        self._inflight: set[int] = set()  # the seqs sent and not acknowledged on the connection
        self._ready = False  # the queue is loaded (not before start, nor while a reset empties the engine)
        self.kinesis: KinesisForward | None = None  # `kinesis_forward.py`, when streams are configured
        metrics.collectors.append(self._collect)

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._tls = tls_context(self.config)  # a bad certificate file fails the start, loudly
        await self.queue.load()
        self._ready = True
        if self.queue.entries:
            log.info("edge: %d messages queued for the upstream from the last run", len(self.queue.entries))
        if self.config.upstream:  # none: only Kinesis streams are forwarded (`kinesis_forward.py`)
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        self._ready = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def reset(self) -> None:
        """After the engine was emptied: an empty queue, and a fresh connection."""
        await self.close()
        await self.start()

    # --- in: PublishTap ---------------------------------------------------------------------------

    def published(self, message: InboundPublish) -> Awaitable[None] | None:
        if message.client_id == ORIGIN or (message.account, message.region) != (self.account, self.region):
            return None
        if not self._ready:
            return None
        if self.sync is not None and message.client_id is None and message.topic.startswith(PREFIX):
            request = self.sync.outgoing(message.topic, message.payload)  # a local shadow change
            if request is not None:
                return self.queue.add(request[0], request[1], False, 1)
        for route in self.config.forward:
            if matches(route.topic_filter, message.topic):
                if len(message.payload) > self.config.max_payload:  # the upstream would hang up on it
                    self.queue.counters.rejected += 1
                    return None
                return self.queue.add(
                    route.prefix + message.topic, message.payload, message.retain, message.qos
                )
        return None

    # --- out: the upstream connection ------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while True:
            try:
                client = await UpstreamClient.connect(
                    self.host,
                    self.port,
                    self.config.client_id,
                    tls=self._tls,
                    keep_alive=self.config.keep_alive,
                    on_message=self._down,
                )
            except Exception as exc:  # refused, unreachable, TLS, timeout: all retried the same way
                self._failed(f"cannot connect to {self.config.upstream}: {exc}")
                await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, self.config.backoff_max)
                continue
            began = time.monotonic()
            self._client = client
            self.connected_since = self.clock.now()
            self.queue.counters.reconnects += 1
            log.info("edge: connected to %s", self.config.upstream)
            try:
                await self._session(client)
            except ConnectionLost:
                pass
            finally:
                self.connected_since = None
                self._client = None
                await client.close()
            self._failed(client.error or "the upstream connection ended")
            self._poisoned(client)
            # dropped soon after its CONNACK (another client taking the id over, a message the upstream
            # hangs up on): back off, rather than reconnect in a tight loop
            if time.monotonic() - began < STABLE_S:
                await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, self.config.backoff_max)
            else:
                backoff = BACKOFF_FIRST

    def _poisoned(self, client: UpstreamClient) -> None:
        """An upstream that hangs up over a message (AWS IoT disconnects a publisher for a packet too
        large, an invalid topic...) processed the PUBLISHes in order and acknowledged those before
        it: the oldest unacknowledged one is the cause. Dropped, or it would stop the queue forever."""
        if client.disconnect_code not in REFUSED_FOR_GOOD or not self._inflight:
            return
        seq = min(self._inflight)
        self.queue.ack(seq, rejected=True)
        log.warning(
            "edge: the upstream disconnected over a message (0x%02x): dropped", client.disconnect_code
        )

    def _failed(self, error: str) -> None:
        if error != self.last_error:
            log.warning("edge: %s", error)
        self.last_error = error

    async def _session(self, client: UpstreamClient) -> None:
        filters = [route.topic_filter for route in self.config.subscribe]
        if self.sync is not None:
            filters += self.sync.filters()
        refused: list[str] = []
        for start in range(0, len(filters), FILTERS_PER_SUBSCRIBE):
            chunk = filters[start : start + FILTERS_PER_SUBSCRIBE]
            codes = await self._until_closed(client, client.subscribe(chunk))
            refused += [f for f, code in zip(chunk, codes or [], strict=False) if code >= 0x80]
        if refused:
            self._failed(f"the upstream refused the subscriptions {refused}")
        queue = self.queue
        queue.rewind()
        window = max(1, min(self.config.inflight, client.receive_maximum))
        pace = Pace(self.config.rate)
        inflight = self._inflight = set()
        while not client.closed.is_set():
            queue.changed.clear()
            while len(inflight) < window:
                wait = pace.wait()
                if wait:
                    await self._until_closed(client, asyncio.sleep(wait))
                item = await queue.take()
                if item is None or client.closed.is_set():
                    if item is not None:
                        queue.unsent.appendleft(item.seq)
                    break
                pace.took()
                self._send(client, item, inflight)
                if client.backlog() > 1024 * 1024:  # a slow upstream: let the socket catch up
                    await client.drain()
            if client.closed.is_set():
                return
            await self._until_closed(client, queue.changed.wait())

    def _send(self, client: UpstreamClient, item: Outgoing, inflight: set[int]) -> None:
        inflight.add(item.seq)
        future = client.publish(item.topic, item.payload, item.retain)

        def acked(done: asyncio.Future[list[int]], seq: int = item.seq) -> None:
            if done.cancelled() or done.exception() is not None:
                return  # sent again on the next connection (kept in `inflight` for `_poisoned`)
            inflight.discard(seq)
            code = done.result()[0]
            if code < 0x80:
                self.queue.ack(seq)
            elif code == QUOTA_EXCEEDED:  # throttled: reconnect and send again from it, in order
                self.queue.counters.throttled += 1
                client.abort("the upstream throttled a publish (quota exceeded)")
            else:  # it will never take this one: drop it rather than block the queue behind it
                self.queue.ack(seq, rejected=True)
                log.warning("edge: the upstream refused a message on %s (0x%02x): dropped", item.topic, code)

        future.add_done_callback(acked)

    async def _until_closed(self, client: UpstreamClient, work: Awaitable[Any]) -> Any:
        """`work`, or None once the connection ended first."""
        task = asyncio.ensure_future(work)
        closed = asyncio.ensure_future(client.closed.wait())
        try:
            await asyncio.wait((task, closed), return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionLost):
                await task
            return None
        return task.result()

    # --- down: upstream -> local ---------------------------------------------------------------------

    def _down(self, topic: str, payload: bytes, qos: int, retain: bool) -> Awaitable[None] | None:
        if self.sync is not None and self.sync.wants(topic):
            return self.sync.incoming(topic, payload)  # an upstream shadow change
        local = topic
        for route in self.config.subscribe:
            if matches(route.topic_filter, topic):
                local = route.prefix + topic
                break
        self.queue.counters.received += 1
        message = Message(local, payload, min(qos, 1), retain, None, None, ORIGIN, self.clock.now_ms())
        waits = self.broker.publish(self.broker.namespace(self.account, self.region), message)
        if not waits:
            return None
        return asyncio.gather(*waits)  # type: ignore[return-value]  # the PUBACK waits on all

    # --- what it reports -----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        counters = self.queue.counters
        since = self.connected_since
        return {
            "upstream": self.config.upstream or None,
            "client_id": self.config.client_id,
            "connected": since is not None,
            "connected_for_s": round(self.clock.now() - since, 3) if since is not None else None,
            "last_error": self.last_error,
            "queue": self.queue.status(),
            "queued": counters.queued,
            "forwarded": counters.forwarded,
            "received": counters.received,
            "dropped": {"oldest": counters.dropped_oldest, "newest": counters.dropped_newest},
            "blocked_publishes": counters.blocked,
            "rejected": counters.rejected,
            "throttled": counters.throttled,
            "connections": counters.reconnects,
            "forward": [{"filter": r.topic_filter, "prefix": r.prefix} for r in self.config.forward],
            "subscribe": [{"filter": r.topic_filter, "prefix": r.prefix} for r in self.config.subscribe],
            "shadows": self.sync.status() if self.sync is not None else None,
            "kinesis": self.kinesis.status() if self.kinesis is not None else None,
        }

    def _collect(self, metrics: Metrics) -> None:
        """The figures, set before each rendering (they outlive a metrics reset: the queue is disk)."""
        counters, labels = self.queue.counters, self.labels
        metrics.set(NAMESPACE, "Edge.Forwarded", labels, counters.forwarded)
        metrics.set(NAMESPACE, "Edge.Received", labels, counters.received)
        metrics.set(NAMESPACE, "Edge.QueuedMessages", labels, len(self.queue.entries))
        metrics.set(NAMESPACE, "Edge.QueuedBytes", labels, self.queue.bytes)
        metrics.set(NAMESPACE, "Edge.Connected", labels, 1 if self.connected_since is not None else 0)
        metrics.set(NAMESPACE, "Edge.DroppedOldest", labels, counters.dropped_oldest)
        metrics.set(NAMESPACE, "Edge.DroppedNewest", labels, counters.dropped_newest)
        metrics.set(NAMESPACE, "Edge.BlockedPublishes", labels, counters.blocked)
