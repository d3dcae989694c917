"""When clients came and went, for iot-data's GetConnection: the live connection's start, and for
30 minutes after a client leaves, when and why it left (AWS keeps `disconnectedSince` and
`disconnectReason` that long, even for a clean session that is gone with its connection).

The broker calls `arrived` and `left` from its lifecycle hooks (every client, whether or not it
gets lifecycle events). Departures are kept in leaving order, so the expired ones are at the front
and go as new ones come; `MAX_DEPARTURES` bounds the memory of a flood of short-lived clients.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

KEPT_MS = 30 * 60 * 1000
MAX_DEPARTURES = 100_000

Key = tuple[str, str, str]  # (account, region, client id)
NEVER = 0xFFFFFFFF  # MQTT 5's session expiry that never ends (relaxed mode keeps it so)


def expiry_seconds(expiry: float) -> int:
    return NEVER if math.isinf(expiry) else int(expiry)


@dataclass(frozen=True, slots=True)
class Departure:
    at_ms: int
    reason: str  # the disconnected lifecycle event's disconnectReason
    clean_session: bool
    session_expiry: int
    keep_alive: int | None
    principal: str | None


class Presence:
    def __init__(self) -> None:
        self._since: dict[Key, tuple[object, int]] = {}  # the live connection and when it connected
        self._departed: OrderedDict[Key, Departure] = OrderedDict()

    def arrived(self, key: Key, conn: object, now_ms: int) -> None:
        self._since[key] = (conn, now_ms)
        self._departed.pop(key, None)

    def left(self, key: Key, conn: object, departure: Departure) -> None:
        held = self._since.get(key)
        if held is not None and held[0] is conn:
            del self._since[key]
        self._departed.pop(key, None)
        self._departed[key] = departure
        self._trim(departure.at_ms)

    def since(self, key: Key, conn: object) -> int | None:
        held = self._since.get(key)
        return held[1] if held is not None and held[0] is conn else None

    def departure(self, key: Key, now_ms: int) -> Departure | None:
        self._trim(now_ms)
        return self._departed.get(key)

    def clear(self) -> None:
        self._since.clear()
        self._departed.clear()

    def _trim(self, now_ms: int) -> None:
        departed = self._departed
        while departed:
            key, oldest = next(iter(departed.items()))
            if oldest.at_ms + KEPT_MS > now_ms and len(departed) <= MAX_DEPARTURES:
                return
            del departed[key]
