"""TumblingWindowInSeconds: Lambda's aggregation windows over a stream shard.

Theory of operation. A record belongs to the window its ApproximateArrivalTimestamp falls in;
windows are fixed, back to back, and aligned to multiples of their length from the epoch (a 300 s
window runs 17:00:00-17:05:00). Every invoke of a window carries `window`, the `state` the previous
invoke of the same window returned (`{"state": {...}}`; {} at its start), `shardId`,
`eventSourceARN`, and the two flags. The window's final invoke (no records,
`isFinalInvokeForWindow`) comes once the server clock passes its end and the shard is read up to
its tip; a window whose state outgrows 1 MB ends early (`isWindowTerminatedEarly`). The window and
its state are stored with the shard's checkpoint, so a restart carries on with the same state.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from headwater.services.ports import StreamRecord

STATE_LIMIT = 1024 * 1024


def start_of(arrival: float, length: int) -> float:
    return float(math.floor(arrival / length) * length)


def runs(records: Sequence[StreamRecord], length: int) -> list[tuple[float, list[StreamRecord]]]:
    """The records cut where their window changes, in order."""
    out: list[tuple[float, list[StreamRecord]]] = []
    for record in records:
        start = start_of(record.arrival, length)
        if out and out[-1][0] == start:
            out[-1][1].append(record)
        else:
            out.append((start, [record]))
    return out


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def extra(
    *,
    start: float,
    length: int,
    state: dict[str, Any],
    shard_id: str,
    source_arn: str,
    final: bool,
    early: bool,
) -> dict[str, Any]:
    """The members a window's event carries after its Records."""
    return {
        "window": {"start": _iso(start), "end": _iso(start + length)},
        "state": state,
        "shardId": shard_id,
        "eventSourceARN": source_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": early,
    }


def state_of(answer: bytes | None, previous: dict[str, Any]) -> dict[str, Any]:
    """The state a function returned ({"state": {...}}); the previous one when it returned none."""
    try:
        document = json.loads(answer or b"null")
    except ValueError:
        return previous
    state = document.get("state") if isinstance(document, dict) else None
    return state if isinstance(state, dict) else previous


def too_big(state: dict[str, Any]) -> bool:
    return len(json.dumps(state, separators=(",", ":"))) > STATE_LIMIT
