"""FilterLogEvents: the events of many streams of a group, merged by timestamp and filtered.

Theory of operation. Each searched stream gets a `Cursor` over its partition that yields, in
storage order, the events inside the time window that match the pattern; a heap merges the cursors'
heads by (timestamp, stream name, offset), which is timestamp order whenever each stream was
written in order (as AWS's own writers and PutLogEvents' chronological-batch rule make it). A page
stops at `limit` events, 1 MB, or a scan budget; then `nextToken` records, per stream, the offset
its cursor would read next, and only then: a page that searched everything has no `nextToken`
(``aws logs tail --follow`` polls again with a later `startTime` rather than spinning on a token).
An event's id is derived from its stream's partition and its offset, so it is the same in every
page and every poll (the CLI's tail removes duplicates by id).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import zlib
from collections import deque
from collections.abc import Callable
from typing import Any

from headwater.services.logs import errors
from headwater.services.logs.core import LogsCore
from headwater.services.logs.events import PAST_MS
from headwater.services.logs.reading import MAX_BYTES, MAX_EVENTS, PAGE, SCAN_BUDGET, Window, event_of
from headwater.services.logs.records import Group, Stream


class Cursor:
    def __init__(self, core: LogsCore, stream: Stream, position: int, window: Window) -> None:
        self.core = core
        self.stream = stream
        self.position = position  # the next offset to read from the log
        self.window = window
        self.buffer: deque[tuple[int, dict[str, Any]]] = deque()
        self.end = core.log.committed_offset(stream.partition)
        self.prefix = f"{zlib.crc32(stream.partition.encode()):010d}"

    @property
    def resume_at(self) -> int:
        return self.buffer[0][0] if self.buffer else self.position

    @property
    def exhausted(self) -> bool:
        return not self.buffer and self.position >= self.end

    async def next(self, match: Callable[[str], bool], budget: list[int]) -> dict[str, Any] | None:
        """The next matching event, or None when the stream (or this call's budget) is done."""
        while True:
            if not self.buffer:
                if self.position >= self.end or budget[0] <= 0:
                    return None
                page = await self.core.log.read_async(self.stream.partition, self.position, PAGE, MAX_BYTES)
                if not page:
                    self.position = self.end
                    return None
                budget[0] -= len(page)
                for entry in page:
                    self.buffer.append((entry.offset, event_of(entry)))
                self.position = page[-1].offset + 1
            offset, event = self.buffer[0]
            if event["ingestionTime"] > self.window.end + PAST_MS:
                self.buffer.clear()  # everything later was written after the window closed
                self.position = self.end
                return None
            if self.window.holds(event["timestamp"]) and match(event["message"]):
                event["logStreamName"] = self.stream.name
                event["eventId"] = f"{self.prefix}{offset:046d}"
                return event
            self.buffer.popleft()

    def consume(self) -> None:
        self.buffer.popleft()


async def filter_events(
    core: LogsCore, group: Group, params: dict[str, Any], match: Callable[[str], bool]
) -> dict[str, Any]:
    window = Window.of(core, group, params)
    limit = min(params.get("limit") or MAX_EVENTS, MAX_EVENTS)
    streams = _streams(core, group, params)
    positions = _decode_token(params["nextToken"]) if params.get("nextToken") else None
    cursors = []
    for stream in streams:
        if positions is None:
            cursors.append(Cursor(core, stream, window.first_offset(core, stream), window))
        elif stream.name in positions:
            cursors.append(Cursor(core, stream, positions[stream.name], window))
    budget = [SCAN_BUDGET]
    heap: list[tuple[int, str, int, Cursor, dict[str, Any]]] = []
    for cursor in cursors:
        await _push(heap, cursor, match, budget)
    events: list[dict[str, Any]] = []
    size = 0
    while heap and len(events) < limit:
        _, _, _, cursor, event = heap[0]
        size += len(event["message"]) + 26
        if size > MAX_BYTES and events:
            break
        heapq.heappop(heap)
        cursor.consume()
        events.append(event)
        await _push(heap, cursor, match, budget)
    result: dict[str, Any] = {
        "events": events,
        "searchedLogStreams": [
            {"logStreamName": cursor.stream.name, "searchedCompletely": cursor.exhausted}
            for cursor in cursors
        ],
    }
    remaining = {cursor.stream.name: cursor.resume_at for cursor in cursors if not cursor.exhausted}
    if remaining:
        result["nextToken"] = _encode_token(remaining)
    return result


async def _push(heap: list[Any], cursor: Cursor, match: Callable[[str], bool], budget: list[int]) -> None:
    event = await cursor.next(match, budget)
    if event is not None:
        heapq.heappush(heap, (event["timestamp"], cursor.stream.name, cursor.resume_at, cursor, event))


def _streams(core: LogsCore, group: Group, params: dict[str, Any]) -> list[Stream]:
    names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
    if names is not None and prefix is not None:
        raise errors.invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    streams = core.streams[group.key]
    if names is not None:
        return [streams[name] for name in dict.fromkeys(names) if name in streams]
    return [stream for name, stream in sorted(streams.items()) if name.startswith(prefix or "")]


def _encode_token(positions: dict[str, int]) -> str:
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw)).decode()


def _decode_token(text: str) -> dict[str, int]:
    try:
        positions = json.loads(zlib.decompress(base64.urlsafe_b64decode(text.encode())))
    except (binascii.Error, ValueError, zlib.error):
        raise errors.bad_token() from None
    if not isinstance(positions, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in positions.items()
    ):
        raise errors.bad_token()
    return positions
