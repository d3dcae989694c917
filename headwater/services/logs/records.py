"""What the logs service stores: group and stream definitions (metadata store) and events (log).

A group is keyed by (account, region, name); its streams by the group's key plus the stream name.
Each stream owns one partition of the engine's log, named by an id drawn when the stream is made
(so a stream deleted and made again never sees its predecessor's events). An event's payload is its
own timestamp (8 bytes, big-endian) then its UTF-8 message; the entry's engine timestamp is its
ingestion time on the server clock, which only grows, so retention trims a prefix of the partition.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass, field
from typing import Any

GROUPS = "logs.groups"  # metadata namespace: "<account>\0<region>\0<group>" -> Group
STREAMS = "logs.streams"  # "<account>\0<region>\0<group>\0<stream>" -> Stream
PARTITION_PREFIX = "logs/"

_TS = struct.Struct(">q")


@dataclass(slots=True)
class Group:
    account: str
    region: str
    name: str
    created: int  # epoch ms
    retention_days: int | None = None
    kms_key_id: str | None = None
    log_class: str = "STANDARD"
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return group_key(self.account, self.region, self.name)

    @property
    def arn(self) -> str:
        """Without the trailing ``:*`` (``logGroupArn``, TagResource's ARN)."""
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.name}"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"logGroupName": self.name, "creationTime": self.created}
        if self.retention_days is not None:
            out["retentionInDays"] = self.retention_days
        out.update(metricFilterCount=0, arn=f"{self.arn}:*", storedBytes=0)
        if self.kms_key_id:
            out["kmsKeyId"] = self.kms_key_id
        out.update(logGroupClass=self.log_class, logGroupArn=self.arn)
        return out


@dataclass(slots=True)
class Stream:
    group_key: str
    name: str
    partition: str
    created: int
    first_event: int | None = None
    last_event: int | None = None
    last_ingestion: int | None = None
    sequence: int = 1  # what uploadSequenceToken counts (tokens are accepted and ignored)

    @property
    def key(self) -> str:
        return f"{self.group_key}\0{self.name}"

    def describe(self, group: Group) -> dict[str, Any]:
        out: dict[str, Any] = {"logStreamName": self.name, "creationTime": self.created}
        if self.first_event is not None:
            out["firstEventTimestamp"] = self.first_event
            out["lastEventTimestamp"] = self.last_event
            out["lastIngestionTime"] = self.last_ingestion
        out["uploadSequenceToken"] = sequence_token(self.sequence)
        out["arn"] = f"{group.arn}:log-stream:{self.name}"
        out["storedBytes"] = 0
        return out


def group_key(account: str, region: str, name: str) -> str:
    return f"{account}\0{region}\0{name}"


def sequence_token(sequence: int) -> str:
    return f"{sequence:056d}"


def encode(record: Group | Stream) -> bytes:
    return json.dumps(asdict(record), separators=(",", ":")).encode()


def decode_group(raw: bytes) -> Group:
    return Group(**json.loads(raw))


def decode_stream(raw: bytes) -> Stream:
    return Stream(**json.loads(raw))


def pack_event(timestamp: int, message: str) -> bytes:
    return _TS.pack(timestamp) + message.encode()


def unpack_event(payload: bytes) -> tuple[int, str]:
    return _TS.unpack_from(payload)[0], payload[8:].decode(errors="replace")
