"""A publisher's held PUBACKs, answered in order while its next PUBLISHes are read.

Theory of operation
-------------------
A QoS 1 PUBLISH is acknowledged once what it caused is stored (the retained copy, the rules
engine's deliveries, a shadow update). Pausing the connection until then would let each publisher
have one message in the server at a time, so a store's group commit would only ever gather one
message per connection: throughput bounded by connections / commit time, whatever the client's
window. Instead the message is routed and handed to the taps at once (their order is the order
read), its PUBACK is queued with the writes it waits for, and reading goes on. Stores finish in any
order; PUBACKs leave in the order the PUBLISHes came (MQTT 3.1.1 section 4.6 asks for it): when
the head of the queue is complete, it and every complete entry behind it are written.

Stores complete in groups (a group commit completes one future for every write of its loop turn),
so the entries waiting on one future are kept together and it gets one done callback, not one per
message.

Backpressure stays: with `window` PUBACKs outstanding (AWS IoT's 100 unacknowledged QoS 1
messages each way), `hold` returns an awaitable that completes when the queue is back under it,
and the listener stops reading meanwhile. A write that fails ends the connection (the listener's
rule for a broker failure); the PUBACKs after it are never sent, so the client publishes again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from headwater.protocol.mqtt.packets import Packet

log = logging.getLogger("headwater.services.iot.broker")


class _Held:
    __slots__ = ("answer", "left")

    def __init__(self, answer: Packet, left: int) -> None:
        self.answer = answer
        self.left = left


class HeldAcks:
    def __init__(
        self,
        window: int,
        write: Callable[[Packet], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        self.window = window
        self._write = write  # to the client
        self._failed = failed  # a store failed: the connection ends
        self._queue: deque[_Held] = deque()
        self._waiting: dict[asyncio.Future[None], list[_Held]] = {}  # a store -> the entries it holds
        self._room: asyncio.Future[None] | None = None
        self.closed = False

    def __len__(self) -> int:
        return len(self._queue)

    def answer(self, packet: Packet) -> None:
        """An answer that waits for nothing (a refusal's PUBACK, one with no stores): written now,
        or behind those still held."""
        if self._queue:
            self._queue.append(_Held(packet, 0))
        elif not self.closed:
            self._write(packet)

    def hold(self, packet: Packet, waits: list[Awaitable[None]]) -> Awaitable[None] | None:
        """Queues the answer behind `waits`; an awaitable when the window is full (stop reading)."""
        entry = _Held(packet, len(waits))
        self._queue.append(entry)
        waiting = self._waiting
        for wait in waits:
            future = wait if isinstance(wait, asyncio.Future) else asyncio.ensure_future(wait)
            entries = waiting.get(future)
            if entries is None:
                waiting[future] = [entry]
                future.add_done_callback(self._done)
            else:
                entries.append(entry)
        if len(self._queue) < self.window:
            return None
        if self._room is None:
            self._room = asyncio.get_running_loop().create_future()
        return self._room

    def close(self) -> None:
        """The connection ended: nothing more is written; a reader waiting for room goes on."""
        self.closed = True
        self._queue.clear()
        self._waiting.clear()
        self._wake()

    def _done(self, future: asyncio.Future[None]) -> None:
        entries = self._waiting.pop(future, None)
        error = None if future.cancelled() else future.exception()
        if self.closed or entries is None:
            return
        if future.cancelled() or error is not None:
            self.close()
            self._failed(error if error is not None else asyncio.CancelledError())
            return
        for entry in entries:
            entry.left -= 1
        queue = self._queue
        if queue[0].left:
            return
        write = self._write
        while queue and not queue[0].left:
            write(queue.popleft().answer)
        if len(queue) < self.window:
            self._wake()

    def _wake(self) -> None:
        room, self._room = self._room, None
        if room is not None and not room.done():
            room.set_result(None)
