"""A queue's definition and one record's delivery state, as kept in memory and in the metadata store."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_VISIBILITY_S = 30
DEFAULT_MAX_RECEIVES = 6


@dataclass(slots=True)
class Queue:
    queue_id: str
    account: str
    region: str
    name: str
    created: float  # epoch seconds
    stream_name: str
    stream_created: float
    start_type: str  # TRIM_HORIZON, LATEST or AT_TIMESTAMP
    start_timestamp: float | None  # what AT_TIMESTAMP asked for
    effective_timestamp: float  # where delivery starts, as DescribeQueue shows it once ACTIVE
    status: str = "CREATING"
    visibility_s: int = DEFAULT_VISIBILITY_S
    dead_letter: str = "BUILT_IN"  # or NONE
    max_receives: int | None = DEFAULT_MAX_RECEIVES
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.account}:queue/{self.queue_id}"

    @property
    def stream_arn(self) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.account}:stream/{self.stream_name}"

    @property
    def stream_key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.stream_name)

    def attributes(self) -> dict[str, Any]:
        dead: dict[str, Any] = {"TargetType": self.dead_letter}
        if self.dead_letter == "BUILT_IN":
            dead["MaxReceiveCount"] = self.max_receives
        return {"VisibilityTimeoutSeconds": self.visibility_s, "DeadLetterConfiguration": dead}

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Queue:
        return cls(**json.loads(raw))


@dataclass(slots=True)
class Delivery:
    """A record the queue has taken and not yet seen acknowledged."""

    arrival_ms: int
    count: int = 0  # receives since it was taken or restored
    generation: int = 0  # receives ever: part of the receipt handle
    first_ms: int | None = None
    visible_ms: int = 0  # when it can be received again
    dead: bool = False

    def to_json(self) -> bytes:
        return json.dumps(
            [self.arrival_ms, self.count, self.generation, self.first_ms, self.visible_ms, self.dead],
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Delivery:
        arrival, count, generation, first, visible, dead = json.loads(raw)
        return cls(arrival, count, generation, first, visible, dead)
