"""A Kinesis channel as the service keeps it, and the checks of its configuration that the model's
own constraints do not make (OutputKeyTemplate rules, freshness range, record formats)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from headwater.services.kinesis import errors

DEFAULT_TEMPLATE = (
    "kinesis-channel/!{channel-name}/!{channel-id}/!{yyyy}/!{MM}/!{dd}/!{HH}/"
    "!{channel-name}-!{channel-id}-!{yyyy}-!{MM}-!{dd}-!{HH}-!{mm}!{extension}"
)
VARIABLES = ("channel-name", "channel-id", "yyyy", "YY", "MM", "dd", "HH", "mm", "extension")
DEFAULT_FRESHNESS_S = 300
FRESHNESS_RANGE = (300, 900)
S3_FORMATS = ("JSON", "STRING", "BYTE_ARRAY")
S3_TABLES_FORMATS = ("GSR_JSON", "JSON")
DEFAULT_LOG_STREAM = "DestinationDelivery"
DEFAULT_ERROR_PREFIX = "error/"  # Headwater's choice: AWS documents "an error prefix", not which
_VARIABLE = re.compile(r"!\{([^}]*)\}")
_LITERAL = re.compile(r"[A-Za-z0-9/_\-.+=]*")


@dataclass(slots=True)
class Channel:
    account: str
    region: str
    name: str
    channel_id: str
    created: float  # epoch seconds
    role_arn: str
    stream_arn: str
    stream_created: float
    record_configuration: dict[str, Any]
    destination_type: str  # S3 or S3_TABLES
    destination: dict[str, Any]  # the destination description, defaults filled in
    logging: dict[str, Any]
    status: str = "CREATING"
    reason: str | None = None
    encryption: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.account}:channel/{self.name}"

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    def dumps(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def loads(cls, raw: bytes) -> Channel:
        return cls(**json.loads(raw))


def check_template(template: str) -> None:
    """AWS's rules for an OutputKeyTemplate, as its documentation gives them."""

    def invalid(why: str) -> errors.AwsError:
        return errors.validation(f"Invalid OutputKeyTemplate '{template}': {why}.")

    if ".." in template or "./" in template:
        raise invalid("it must not contain '..' or './'")
    if template.startswith("/") or template.endswith("/"):
        raise invalid("it must neither start nor end with '/'")
    names = _VARIABLE.findall(template)
    rest = _VARIABLE.sub("", template)
    if "!{" in rest or "}" in rest or "{" in rest:
        raise invalid("every '!{' must be closed by a '}'")
    if not _LITERAL.fullmatch(rest):
        raise invalid("text outside variables may hold only letters, digits and / _ - . + =")
    unknown = [n for n in names if n not in VARIABLES]
    if unknown:
        raise invalid(f"unknown variable !{{{unknown[0]}}} (known: {', '.join(VARIABLES)})")
    if not names:
        raise invalid("it must contain at least one variable")
    if "extension" in names and (names.count("extension") > 1 or not template.endswith("!{extension}")):
        raise invalid("!{extension} may appear once, at the end")


def check_freshness(seconds: int | None) -> int:
    if seconds is None:
        return DEFAULT_FRESHNESS_S
    low, high = FRESHNESS_RANGE
    if not low <= seconds <= high:
        raise errors.validation(
            f"DataFreshnessInSeconds must be between {low} and {high} seconds, got {seconds}."
        )
    return seconds


def logging_description(given: dict[str, Any] | None, name: str, channel_id: str) -> dict[str, Any]:
    """LoggingConfiguration as described: defaults for the group and stream when enabled."""
    logs = dict((given or {}).get("CloudWatchLogs") or {"Enabled": False})
    if logs.get("Enabled"):
        logs.setdefault("LogGroupName", f"/aws/kinesis/{name}/{channel_id}")
        logs.setdefault("LogStreamName", DEFAULT_LOG_STREAM)
    return {"CloudWatchLogs": logs}
