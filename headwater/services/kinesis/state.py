"""Streams, shards and consumers as the service holds them in memory and persists them.

The in-memory objects are the truth while the server runs; every control-plane change writes the
stream's whole definition (small: shards and consumers, never records) to the metadata store, so a
restart restores it. Records live in the engine log, one log partition per shard.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from headwater.services.kinesis import sequence


@dataclass(slots=True)
class Shard:
    shard_id: str
    index: int
    start_hash: int
    end_hash: int
    created_ms: int
    partition: str
    parent: str | None = None
    adjacent_parent: str | None = None
    closed_ms: int | None = None
    # one past the last record's offset, fixed when the shard is closed
    end_offset: int | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_ms is None

    @property
    def created_s(self) -> int:
        return self.created_ms // 1000

    # The counter inside a record's sequence number is its log offset + 1: counter 0 is the shard's
    # StartingSequenceNumber, so AFTER_SEQUENCE_NUMBER of it starts at the first record.
    def sequence_number(self, offset: int, arrival_ms: int) -> str:
        return sequence.make(self.created_s, self.index, offset + 1, arrival_ms // 1000)

    def continuation(self, next_offset: int, now_ms: int) -> str:
        """A number whose AFTER_SEQUENCE_NUMBER position is `next_offset`."""
        return sequence.make(self.created_s, self.index, next_offset, now_ms // 1000)

    def starting_sequence_number(self) -> str:
        return sequence.make(self.created_s, self.index, 0, self.created_s)

    def ending_sequence_number(self) -> str | None:
        if self.closed_ms is None or self.end_offset is None:
            return None
        # AWS closes a shard with the maximum counter: above every record it ever held.
        return sequence.ending(self.created_s, self.index, self.closed_ms // 1000)

    def describe(self) -> dict[str, Any]:
        shard: dict[str, Any] = {
            "ShardId": self.shard_id,
            "HashKeyRange": {"StartingHashKey": str(self.start_hash), "EndingHashKey": str(self.end_hash)},
            "SequenceNumberRange": {"StartingSequenceNumber": self.starting_sequence_number()},
        }
        if self.parent:
            shard["ParentShardId"] = self.parent
        if self.adjacent_parent:
            shard["AdjacentParentShardId"] = self.adjacent_parent
        ending = self.ending_sequence_number()
        if ending is not None:
            shard["SequenceNumberRange"]["EndingSequenceNumber"] = ending
        return shard


@dataclass(slots=True)
class Consumer:
    name: str
    created: float
    status: str = "CREATING"
    tags: dict[str, str] = field(default_factory=dict)
    policy: str | None = None


@dataclass(slots=True)
class Stream:
    account: str
    region: str
    name: str
    created: float
    status: str = "CREATING"
    mode: str = "PROVISIONED"
    retention_hours: int = 24
    shards: list[Shard] = field(default_factory=list)
    next_shard_index: int = 0
    encryption: str = "NONE"
    key_id: str | None = None
    monitoring: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    max_record_kib: int = 1024
    warm_target_mibps: int | None = None
    policy: str | None = None
    # epoch seconds of each UpdateShardCount, for the 10-per-rolling-24h rule
    scalings: list[float] = field(default_factory=list)
    encryption_key_changes: list[float] = field(default_factory=list)
    consumers: dict[str, Consumer] = field(default_factory=dict)
    # when on-demand capacity last grew (epoch seconds), for the scaling cooldown
    autoscaled_at: float = 0.0
    # USER_PARTITION_KEY routes by the key's hash; AUTO spreads records evenly (on-demand only)
    distribution: str = "USER_PARTITION_KEY"

    @property
    def auto_distributed(self) -> bool:
        return self.distribution == "AUTO" and self.mode == "ON_DEMAND"

    @property
    def arn(self) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.account}:stream/{self.name}"

    def consumer_arn(self, consumer: Consumer) -> str:
        return f"{self.arn}/consumer/{consumer.name}:{int(consumer.created)}"

    @property
    def open_shards(self) -> list[Shard]:
        return [shard for shard in self.shards if shard.is_open]

    def shard(self, shard_id: str) -> Shard | None:
        for shard in self.shards:
            if shard.shard_id == shard_id:
                return shard
        return None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Stream:
        data = json.loads(raw)
        data["shards"] = [Shard(**shard) for shard in data["shards"]]
        data["consumers"] = {name: Consumer(**c) for name, c in data["consumers"].items()}
        return cls(**data)


def stream_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"
