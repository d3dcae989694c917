"""S3 and ExtendedS3 destination settings: checked and given AWS's defaults at create/update time,
rendered as DescribeDeliveryStream shows them, and read by the delivery loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headwater.services.firehose import conversion, errors
from headwater.services.firehose.naming import validate_prefixes

MIB = 1024 * 1024
DEFAULT_SIZE_MB, DEFAULT_INTERVAL_S = 5, 300
CONVERSION_SIZE_MB = 128  # record format conversion buffers 128 MiB unless told (64 at least)
PARTITIONING_MIN_MB = 64
BASIC_MEMBERS = (
    "RoleARN",
    "BucketARN",
    "Prefix",
    "ErrorOutputPrefix",
    "BufferingHints",
    "CompressionFormat",
    "EncryptionConfiguration",
    "CloudWatchLoggingOptions",
)


def enabled(section: Any) -> bool:
    return isinstance(section, dict) and section.get("Enabled") is not False and bool(section)


def normalize(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of an S3/ExtendedS3 configuration (or the result of an update) with AWS's defaults,
    after the checks AWS makes; raises InvalidArgumentException."""
    out = dict(config)
    converting = enabled(out.get("DataFormatConversionConfiguration"))
    partitioning = enabled(out.get("DynamicPartitioningConfiguration"))
    hints = dict(out.get("BufferingHints") or {})
    hints.setdefault("SizeInMBs", CONVERSION_SIZE_MB if converting else DEFAULT_SIZE_MB)
    hints.setdefault("IntervalInSeconds", DEFAULT_INTERVAL_S)
    out["BufferingHints"] = hints
    out.setdefault("CompressionFormat", "UNCOMPRESSED")
    out.setdefault("EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"})
    out.setdefault("CloudWatchLoggingOptions", {"Enabled": False})
    out.setdefault("S3BackupMode", "Disabled")
    if converting and out["CompressionFormat"] != "UNCOMPRESSED":
        raise errors.invalid(
            "CompressionFormat must be set to UNCOMPRESSED when DataFormatConversionConfiguration is enabled."
        )
    if converting and hints["SizeInMBs"] < 64:
        raise errors.invalid(
            "BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled."
        )
    if partitioning and hints["SizeInMBs"] < PARTITIONING_MIN_MB:
        raise errors.invalid(
            "BufferingHints.SizeInMBs must be at least 64 when Dynamic Partitioning is enabled."
        )
    if partitioning and hints["IntervalInSeconds"] < 60:
        raise errors.invalid(
            "BufferingHints.IntervalInSeconds must be at least 60 when Dynamic Partitioning is enabled."
        )
    conversion.check(out)
    if out.get("S3BackupMode") == "Enabled" and not out.get("S3BackupConfiguration"):
        raise errors.invalid("S3BackupConfiguration must be specified when S3BackupMode is Enabled.")
    try:
        validate_prefixes(
            out.get("Prefix"),
            out.get("ErrorOutputPrefix"),
            dynamic_partitioning=partitioning,
            destination="ExtendedS3",
        )
    except ValueError as error:
        raise errors.invalid(str(error)) from None
    backup = out.get("S3BackupConfiguration")
    if backup:
        out["S3BackupConfiguration"] = normalize_backup(backup)
    return out


def normalize_backup(config: dict[str, Any]) -> dict[str, Any]:
    """The S3 backup (or a non-S3 destination's S3Configuration) with its defaults."""
    out = {k: v for k, v in config.items() if k in BASIC_MEMBERS}
    hints = dict(out.get("BufferingHints") or {})
    hints.setdefault("SizeInMBs", DEFAULT_SIZE_MB)
    hints.setdefault("IntervalInSeconds", DEFAULT_INTERVAL_S)
    out["BufferingHints"] = hints
    out.setdefault("CompressionFormat", "UNCOMPRESSED")
    out.setdefault("EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"})
    out.setdefault("CloudWatchLoggingOptions", {"Enabled": False})
    try:
        validate_prefixes(
            out.get("Prefix"), out.get("ErrorOutputPrefix"), dynamic_partitioning=False, destination="S3"
        )
    except ValueError as error:
        raise errors.invalid(str(error)) from None
    return out


def merge(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """UpdateDestination: members given replace the current ones (BufferingHints member by member);
    members not given stay."""
    out = dict(current)
    for name, value in update.items():
        if name == "BufferingHints" and isinstance(value, dict):
            out[name] = {**current.get(name, {}), **value}
        elif name == "S3BackupUpdate":
            out["S3BackupConfiguration"] = merge(current.get("S3BackupConfiguration") or {}, value)
        else:
            out[name] = value
    return out


def describe(config: dict[str, Any]) -> dict[str, Any]:
    """S3DestinationDescription and ExtendedS3DestinationDescription, as AWS gives both."""
    basic = {k: config[k] for k in BASIC_MEMBERS if k in config}
    extended = {k: v for k, v in config.items() if k != "S3BackupConfiguration"}
    backup = config.get("S3BackupConfiguration")
    if backup:
        extended["S3BackupDescription"] = {k: backup[k] for k in BASIC_MEMBERS if k in backup}
    return {"S3DestinationDescription": basic, "ExtendedS3DestinationDescription": extended}


@dataclass(frozen=True, slots=True)
class Hints:
    size_bytes: int
    interval_s: float


def hints(config: dict[str, Any]) -> Hints:
    given = config.get("BufferingHints") or {}
    size = given.get("SizeInMBs", DEFAULT_SIZE_MB)
    return Hints(size * MIB, float(given.get("IntervalInSeconds", DEFAULT_INTERVAL_S)))


def bucket_of(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]
