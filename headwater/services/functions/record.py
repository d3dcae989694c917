"""A function's definition as stored and as the API shows it (FunctionConfiguration)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

LATEST = "$LATEST"


@dataclass(frozen=True, slots=True)
class FunctionRecord:
    account: str
    region: str
    name: str
    runtime: str
    role: str
    handler: str
    code_sha256: str  # base64 of the package's SHA-256, as Lambda shows it
    code_key: str  # the package's key in the code namespace (hex SHA-256)
    code_size: int
    revision_id: str
    last_modified: str
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    ephemeral_storage: int = 512
    package_type: str = "Zip"
    state: str = "Pending"
    last_update_status: str = "Successful"
    reserved_concurrency: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    dead_letter_target: str | None = None  # DeadLetterConfig.TargetArn
    version: str = LATEST  # "$LATEST", or a published version's number (an immutable snapshot)
    last_version: int = 0  # on $LATEST: the highest version number published (never reused)
    layer_keys: list[str] = field(default_factory=list)  # the layers' code keys, in `layers` order
    layer_sizes: list[int] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return function_arn(self.account, self.region, self.name)

    @property
    def version_arn(self) -> str:
        """The ARN of this version: unqualified for $LATEST, as Lambda shows it."""
        return self.arn if self.version == LATEST else f"{self.arn}:{self.version}"

    @property
    def pool_key(self) -> str:
        """Workers are pooled per version: each runs its own code and configuration."""
        return self.key if self.version == LATEST else f"{self.key}:{self.version}"

    @property
    def key(self) -> str:
        return record_key(self.account, self.region, self.name)

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> FunctionRecord:
        return cls(**json.loads(data))

    def evolve(self, **changes: Any) -> FunctionRecord:
        return replace(self, **changes)

    def configuration(self) -> dict[str, Any]:
        """GetFunctionConfiguration's answer for this version."""
        config: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": self.version_arn,
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": self.last_modified,
            "CodeSha256": self.code_sha256,
            "Version": self.version,
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": self.revision_id,
            "State": self.state,
            "LastUpdateStatus": self.last_update_status,
            "PackageType": self.package_type,
            "Architectures": list(self.architectures),
            "EphemeralStorage": {"Size": self.ephemeral_storage},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": log_group(self.name)},
        }
        if self.environment:
            config["Environment"] = {"Variables": dict(self.environment)}
        if self.dead_letter_target:
            config["DeadLetterConfig"] = {"TargetArn": self.dead_letter_target}
        if self.layers:
            sizes = self.layer_sizes or [0] * len(self.layers)
            config["Layers"] = [
                {"Arn": arn, "CodeSize": size} for arn, size in zip(self.layers, sizes, strict=False)
            ]
        if self.state == "Pending":
            config["StateReason"] = "The function is being created."
            config["StateReasonCode"] = "Creating"
        if self.last_update_status == "InProgress":
            config["LastUpdateStatusReason"] = "The function is being created."
            config["LastUpdateStatusReasonCode"] = "Creating"
        return config


def function_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def record_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def log_group(name: str) -> str:
    return f"/aws/lambda/{name}"


def timestamp(epoch_s: float) -> str:
    """Lambda's LastModified format: 2026-12-05T17:55:00.000+0000."""
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
