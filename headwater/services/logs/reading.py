"""GetLogEvents: one stream's events, paged forwards or backwards with AWS's tokens.

Tokens are positions in the stream's partition: ``f/<offset>`` reads forward from `offset`,
``b/<offset>`` reads backward from just before it (56-digit offsets, the shape of AWS's). As on
AWS, a page that ends where nothing more is stored returns the very token it was given, so a
client polling ``nextForwardToken`` knows it reached the end when the token stops changing. Without
a token the page is the stream's first events (`startFromHead`) or its last ones (the default).
Events older than the group's retention are gone even before the sweep trims them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from headwater.engine.api import StoredEntry
from headwater.services.logs import errors
from headwater.services.logs.core import LogsCore
from headwater.services.logs.events import DAY_MS, FUTURE_MS
from headwater.services.logs.records import Group, Stream, unpack_event

MAX_EVENTS = 10_000
MAX_BYTES = 1_048_576
PAGE = 1_000
SCAN_BUDGET = 200_000  # entries looked at per call, at most
_TOKEN = re.compile(r"([fb])/(\d{1,56})(?:/s)?")


@dataclass(frozen=True, slots=True)
class Window:
    """Which event timestamps a read wants: [start, end), and nothing the retention removed."""

    start: int
    end: int

    @classmethod
    def of(cls, core: LogsCore, group: Group, params: dict[str, Any]) -> Window:
        start = params.get("startTime") or 0
        end = params.get("endTime")
        if group.retention_days is not None:
            start = max(start, core.clock.now_ms() - group.retention_days * DAY_MS)
        return cls(start, end if end is not None else 2**62)

    def holds(self, timestamp: int) -> bool:
        return self.start <= timestamp < self.end

    def first_offset(self, core: LogsCore, stream: Stream) -> int:
        """Where in the partition the window can start: no event is ingested over 2 hours before
        its own timestamp, so earlier entries hold only earlier events."""
        if self.start <= FUTURE_MS:
            return core.log.first_offset(stream.partition)
        return core.log.offset_at_time(stream.partition, self.start - FUTURE_MS)


def token(direction: str, offset: int) -> str:
    return f"{direction}/{offset:056d}/s"


def event_of(entry: StoredEntry) -> dict[str, Any]:
    timestamp, message = unpack_event(entry.payload)
    return {"timestamp": timestamp, "message": message, "ingestionTime": entry.timestamp_ms}


async def get_events(core: LogsCore, group: Group, stream: Stream, params: dict[str, Any]) -> dict[str, Any]:
    window = Window.of(core, group, params)
    limit = min(params.get("limit") or MAX_EVENTS, MAX_EVENTS)
    given = params.get("nextToken")
    log, partition = core.log, stream.partition
    end = log.committed_offset(partition)
    if given is not None:
        match = _TOKEN.fullmatch(given)
        if match is None:
            raise errors.bad_token()
        direction, offset = match.group(1), min(int(match.group(2)), end)
    else:
        direction, offset = (
            ("f", window.first_offset(core, stream)) if params.get("startFromHead") else ("b", end)
        )
    if direction == "f":
        offset = max(offset, window.first_offset(core, stream))
        events, stop = await _forward(core, stream, offset, end, window, limit)
        if not events and given is not None:
            return {"events": [], "nextForwardToken": given, "nextBackwardToken": token("b", offset)}
        return {
            "events": events,
            "nextForwardToken": token("f", stop),
            "nextBackwardToken": token("b", offset),
        }
    events, start = await _backward(core, stream, offset, window, limit)
    if not events and given is not None:
        return {"events": [], "nextForwardToken": token("f", offset), "nextBackwardToken": given}
    return {"events": events, "nextForwardToken": token("f", offset), "nextBackwardToken": token("b", start)}


async def _forward(
    core: LogsCore, stream: Stream, offset: int, end: int, window: Window, limit: int
) -> tuple[list[dict[str, Any]], int]:
    events: list[dict[str, Any]] = []
    size = scanned = 0
    position = offset
    while position < end and len(events) < limit and scanned < SCAN_BUDGET:
        page = await core.log.read_async(stream.partition, position, PAGE, MAX_BYTES)
        if not page:
            break
        for entry in page:
            if len(events) >= limit or size + len(entry.payload) > MAX_BYTES:
                return events, entry.offset
            position = entry.offset + 1
            scanned += 1
            event = event_of(entry)
            if window.holds(event["timestamp"]):
                events.append(event)
                size += len(entry.payload)
    return events, position


async def _backward(
    core: LogsCore, stream: Stream, offset: int, window: Window, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The last `limit` events in the window before `offset`, oldest first, and where they start."""
    floor = window.first_offset(core, stream)
    collected: list[dict[str, Any]] = []
    size = scanned = 0
    position = offset
    while position > floor and len(collected) < limit and scanned < SCAN_BUDGET:
        start = max(floor, position - PAGE)
        page = await core.log.read_async(stream.partition, start, position - start, 1 << 40)
        for entry in reversed(page):
            if len(collected) >= limit or size + len(entry.payload) > MAX_BYTES:
                return collected[::-1], position
            position = entry.offset
            scanned += 1
            event = event_of(entry)
            if window.holds(event["timestamp"]):
                collected.append(event)
                size += len(entry.payload)
        if not page:
            break
        position = start
    return collected[::-1], position
