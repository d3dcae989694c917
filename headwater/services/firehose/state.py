"""A delivery stream as the service holds it: its definition (what DescribeDeliveryStream renders),
the raw log partition its acknowledged records live in, and its JSON form in the metadata store."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

STREAMS = "firehose.streams"  # metadata namespace: "<account>/<region>/<name>" -> the stream's JSON
CHECKPOINTS = "firehose.checkpoints"  # partition -> the first raw offset not yet delivered

S3_KINDS = ("S3", "ExtendedS3")


@dataclass(slots=True)
class Destination:
    """One destination: `kind` is the configuration's prefix ("ExtendedS3", "HttpEndpoint"...),
    `config` the configuration as created/updated, defaults filled in."""

    destination_id: str
    kind: str
    config: dict[str, Any]


@dataclass(slots=True)
class DeliveryStream:
    account: str
    region: str
    name: str
    stream_type: str  # DirectPut, KinesisStreamAsSource...
    partition: str  # the raw log partition (an id drawn at creation, never reused)
    created: float  # epoch seconds
    status: str = "CREATING"
    version_id: int = 1
    updated: float | None = None
    destinations: list[Destination] = field(default_factory=list)
    source: dict[str, Any] | None = None  # KinesisStreamSourceConfiguration...
    tags: dict[str, str] = field(default_factory=dict)
    encryption: dict[str, Any] | None = None  # DeliveryStreamEncryptionConfiguration as described
    failure: dict[str, Any] | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:firehose:{self.region}:{self.account}:deliverystream/{self.name}"

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    def dumps(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def loads(cls, raw: bytes) -> DeliveryStream:
        data = json.loads(raw)
        data["destinations"] = [Destination(**d) for d in data["destinations"]]
        return cls(**data)
