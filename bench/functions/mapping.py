"""HOOK: a Kinesis event-source mapping's delivered records/s and lag into a trivial handler.

Event-source mappings are being built on another branch; until they land this phase only says so.
When they do, `measure` should: create a stream (4 shards) and a function whose handler records what
it got, CreateEventSourceMapping(BatchSize=100, StartingPosition=TRIM_HORIZON), put N records with the
Kinesis load generator (bench.kinesis.loadgen), and time until the function has seen all of them,
checking none is lost or reordered per shard: metrics `mapping_rps`, `mapping_lag_p50_ms`.
"""

from __future__ import annotations

from typing import Any


def measure(port: int, lam: Any, metrics: dict[str, float]) -> str:
    """Fills `metrics`; returns a note ("" when measured)."""
    try:
        lam.list_event_source_mappings()
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        return f"n/a: ListEventSourceMappings failed ({type(exc).__name__})"
    return "n/a: the mapping phase is a hook; event-source mappings are not measured yet"
