"""PutLogEvents: AWS's rules for a batch, then one append to the stream's partition.

Rules, as the API reference states them: at most 10,000 events and 1,048,576 bytes per call
(each event counts its UTF-8 message plus 26 bytes); events in chronological order; one batch spans
at most 24 hours. Events more than 2 hours in the future are rejected (`tooNewLogEventStartIndex`,
the first such index), events older than 14 days or than the group's retention likewise
(`tooOldLogEventEndIndex` / `expiredLogEventEndIndex`, one past the last such index: since a batch
is chronological these are a prefix and a suffix). The others are stored. Sequence tokens are
accepted and ignored, as AWS has done since January 2023; a token is still returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from headwater.engine.api import Entry
from headwater.services.logs import errors
from headwater.services.logs.core import LogsCore
from headwater.services.logs.records import Group, Stream, pack_event, sequence_token

MAX_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_SPAN_MS = 24 * 3_600_000
FUTURE_MS = 2 * 3_600_000
PAST_MS = 14 * 86_400_000
DAY_MS = 86_400_000


def check_batch(events: Sequence[tuple[int, str]]) -> None:
    if len(events) > MAX_EVENTS:
        raise errors.invalid(f"Log event count exceeds the maximum allowed count of {MAX_EVENTS}.")
    size = sum(len(message.encode()) + EVENT_OVERHEAD for _, message in events)
    if size > MAX_BATCH_BYTES:
        raise errors.invalid(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    for before, after in zip(events, events[1:], strict=False):
        if after[0] < before[0]:
            raise errors.invalid(
                "Log events in a single PutLogEvents request must be in chronological order."
            )
    if events and events[-1][0] - events[0][0] > MAX_SPAN_MS:
        raise errors.invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
        )


async def put(
    core: LogsCore, group: Group, stream: Stream, events: Sequence[tuple[int, str]]
) -> dict[str, Any]:
    """Stores the acceptable events of a checked batch; returns PutLogEvents' result."""
    now = core.clock.now_ms()
    too_old = sum(1 for ts, _ in events if ts < now - PAST_MS)
    expired = too_old
    if group.retention_days is not None:
        expired = sum(1 for ts, _ in events if ts < now - group.retention_days * DAY_MS)
    too_new = next((i for i, (ts, _) in enumerate(events) if ts > now + FUTURE_MS), len(events))
    first = max(too_old, expired)
    accepted = events[first:too_new]
    if accepted:
        await append(core, stream, accepted, now)
    result: dict[str, Any] = {"nextSequenceToken": sequence_token(stream.sequence)}
    rejected: dict[str, int] = {}
    if too_new < len(events):
        rejected["tooNewLogEventStartIndex"] = too_new
    if too_old:
        rejected["tooOldLogEventEndIndex"] = too_old
    if expired > too_old:
        rejected["expiredLogEventEndIndex"] = expired
    if rejected:
        result["rejectedLogEventsInfo"] = rejected
    return result


async def append(core: LogsCore, stream: Stream, events: Sequence[tuple[int, str]], now: int) -> None:
    """Appends events (already checked) and records the stream's new bounds, durable on return."""
    # the ingestion time never goes back, so retention can trim a prefix
    ingested = max(now, stream.last_ingestion or 0)
    entries = [Entry(ingested, pack_event(ts, message)) for ts, message in events]
    _, durable = core.log.append(stream.partition, entries)
    low, high = min(ts for ts, _ in events), max(ts for ts, _ in events)
    stream.first_event = low if stream.first_event is None else min(stream.first_event, low)
    stream.last_event = high if stream.last_event is None else max(stream.last_event, high)
    stream.last_ingestion = ingested
    stream.sequence += 1
    await durable
    await core.save_stream(stream)


class Sink:
    """The `LogSink` port: other services' writers (function logs), groups and streams made on use."""

    def __init__(self, core: LogsCore) -> None:
        self.core = core

    async def put(
        self, account: str, region: str, group: str, stream: str, events: Sequence[tuple[int, str]]
    ) -> None:
        if not events:
            return
        target = await self.core.ensure(account, region, group, stream)
        ordered = sorted(events, key=lambda event: event[0])  # stable: same-ms events keep their order
        await append(self.core, target, ordered, self.core.clock.now_ms())
