"""QoS 0 to a client that is behind: its publishers wait a little rather than the message being lost.

Theory of operation
-------------------
A subscriber more than `SLOW_CONSUMER_BYTES` behind still gets the QoS 0 message written, and the
publisher is held (`Hold.wait`: its listener stops reading it, so TCP pushes back) until the
subscriber's unsent bytes are back under its transport's low mark. So when the broker outruns a
reader that is merely slower, publishers slow to its pace and nothing is dropped; memory stays at
the bound plus one message per held publisher. A reader that does not catch up within
`QOS0_HOLD_S` must not hold every publisher: the hold is given up, and until that reader has
caught up (`shedding`), QoS 0 messages to it are dropped and counted (`qos0_dropped_slow`), as
AWS IoT drops them for a slow client. All publishers held by one subscriber share one future.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from headwater.services.ports import MqttOutlet

QOS0_HOLD_S = 1.0  # how long a slow subscriber may hold its QoS 0 publishers before it is shed


class Hold:
    __slots__ = ("room", "shedding", "_timer")

    def __init__(self) -> None:
        self.room: asyncio.Future[None] | None = None
        self.shedding = False
        self._timer: asyncio.TimerHandle | None = None

    def wait(self, outlet: MqttOutlet) -> Awaitable[None] | None:
        """What a publisher to this (behind) subscriber waits for; None: nothing to wait for."""
        room = self.room
        if room is None:
            drained = outlet.drained()
            if drained is None:
                return None
            loop = asyncio.get_running_loop()
            room = self.room = loop.create_future()
            asyncio.ensure_future(drained).add_done_callback(self._caught_up)
            self._timer = loop.call_later(QOS0_HOLD_S, self._give_up)
        # shielded: one held publisher's cancelled wait must not cancel the others'
        return asyncio.shield(room)

    def _caught_up(self, _: object) -> None:
        self.shedding = False
        self._release()

    def _give_up(self) -> None:
        self._timer = None
        self.shedding = True
        self._release()

    def release(self) -> None:
        """Lets every held publisher go (the broker is closing)."""
        self._release()

    def _release(self) -> None:
        room, self.room = self.room, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if room is not None and not room.done():
            room.set_result(None)
