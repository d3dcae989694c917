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

    @property
    def arn(self) -> str:
        return function_arn(self.account, self.region, self.name)

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
        """GetFunctionConfiguration's answer for $LATEST."""
        config: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": self.arn,
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": self.last_modified,
            "CodeSha256": self.code_sha256,
            "Version": LATEST,
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
            config["Layers"] = [{"Arn": arn, "CodeSize": 0} for arn in self.layers]
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
