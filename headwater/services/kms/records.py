"""What the key store holds: keys and aliases, as frozen records with a JSON-able form.

A key's state is derived, not stored: `deletion_s` set means ScheduleKeyDeletion ran, and once
the clock passes it the key is deleted (hidden from every API, its aliases with it). So the
deletion happens on the server clock without a background task, and a test clock advanced past
the window deletes the key at once.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

ENABLED, DISABLED, PENDING_DELETION, DELETED = "Enabled", "Disabled", "PendingDeletion", "Deleted"
DEFAULT_ROTATION_DAYS = 365


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def kms_arn(account: str, region: str, resource: str) -> str:
    return f"arn:{partition_of(region)}:kms:{region}:{account}:{resource}"


@dataclass(frozen=True, slots=True)
class Key:
    key_id: str
    account: str
    region: str
    material: bytes = field(repr=False)
    created_s: float
    description: str = ""
    aws_managed: bool = False
    enabled: bool = True
    deletion_s: float | None = None  # when a scheduled deletion takes effect
    pending_days: int | None = None
    tags: tuple[tuple[str, str], ...] = ()
    policy: str | None = None  # None: the default key policy
    rotation_days: int | None = None  # automatic rotation on, with this period
    rotation_since_s: float | None = None
    owner: str | None = None  # an AWS-owned key of this service ("sqs"): invisible to the KMS API

    @property
    def arn(self) -> str:
        return kms_arn(self.account, self.region, f"key/{self.key_id}")

    def state(self, now: float) -> str:
        if self.deletion_s is not None:
            return DELETED if now >= self.deletion_s else PENDING_DELETION
        return ENABLED if self.enabled else DISABLED

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key_id": self.key_id,
            "account": self.account,
            "region": self.region,
            "material": base64.b64encode(self.material).decode("ascii"),
            "created_s": self.created_s,
            "description": self.description,
            "aws_managed": self.aws_managed,
            "enabled": self.enabled,
        }
        # optional fields only when set: a store written before they existed reads the same
        for name in ("deletion_s", "pending_days", "policy", "rotation_days", "rotation_since_s", "owner"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.tags:
            data["tags"] = [list(pair) for pair in self.tags]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Key:
        tags = tuple((k, v) for k, v in data.get("tags", ()))
        return cls(**{**data, "material": base64.b64decode(data["material"]), "tags": tags})


@dataclass(frozen=True, slots=True)
class Alias:
    account: str
    region: str
    name: str
    key_id: str
    created_s: float = 0.0
    updated_s: float = 0.0

    @property
    def arn(self) -> str:
        return kms_arn(self.account, self.region, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "name": self.name,
            "key_id": self.key_id,
            "created_s": self.created_s,
            "updated_s": self.updated_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alias:
        return cls(**data)
