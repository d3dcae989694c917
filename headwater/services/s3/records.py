"""The records S3 keeps: buckets, object versions, multipart uploads and their parts.

Records are immutable; a change writes a new record. Each one serialises to compact JSON for the
engine's metadata store (`to_bytes`/`from_bytes`). Times are epoch milliseconds. Bucket
sub-resource configurations (tagging, CORS, lifecycle, policy, encryption, notifications...) are
kept as the parameter dicts the API received, JSON-safe (see `jsonable`), under `configs`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

NULL_VERSION = "null"  # the version id of objects written while versioning was never enabled/suspended

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    account: str
    region: str
    created_ms: int
    versioning: str | None = None  # None (never enabled), "Enabled" or "Suspended"
    # sub-resource name -> configuration dict ("tagging", "cors", "lifecycle", "policy", "encryption",
    # "notification", "ownership", "website", "acl", ...)
    configs: dict[str, Any] = field(default_factory=dict)

    def with_config(self, name: str, value: Any | None) -> Bucket:
        configs = dict(self.configs)
        if value is None:
            configs.pop(name, None)
        else:
            configs[name] = jsonable(value)
        return replace(self, configs=configs)


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """One version of a key: an object (its body in the blob store) or a delete marker."""

    key: str
    version_id: str  # NULL_VERSION when written unversioned
    last_modified_ms: int
    # the body: one blob, or one per part of a multipart object (completing an upload never copies);
    # empty for a delete marker and for an empty object
    blobs: tuple[str, ...] = ()
    size: int = 0
    etag: str = ""  # quoted, as S3 returns it: '"<md5 hex>"' or '"<hex>-<parts>"'
    delete_marker: bool = False
    content_type: str | None = None
    # Content-Encoding/Disposition/Language, Cache-Control, Expires (as sent), WebsiteRedirectLocation
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)  # x-amz-meta-* (lower-case names)
    tags: dict[str, str] = field(default_factory=dict)
    storage_class: str = "STANDARD"
    # algorithm ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256") -> base64 value; and its type
    checksums: dict[str, str] = field(default_factory=dict)
    checksum_type: str | None = None  # "FULL_OBJECT" or "COMPOSITE"
    # sizes of the parts of a multipart object, aligned with `blobs` (PartNumber reads, PartsCount)
    part_sizes: tuple[int, ...] = ()
    # each part's own checksums (algorithm -> base64), aligned with `part_sizes` (PartNumber reads)
    part_checksums: tuple[dict[str, str], ...] = ()
    # server-side encryption: "AES256" or "aws:kms"; the key id for aws:kms; the sealed data key
    sse: str | None = None
    kms_key_id: str | None = None
    sealed_key: str | None = None  # base64 of the data key sealed by the key store
    ivs: tuple[str, ...] = ()  # base64 AES-CTR initial counter block per blob, aligned with `blobs`
    owner: str = ""  # account id of the object's owner (its writer, or the bucket's owner)
    # the object's ACL grants where the bucket allows ACLs (object_acl.py); empty: the owner's alone
    acl: tuple[dict[str, Any], ...] = ()
    # Object Lock: retention mode ("GOVERNANCE"/"COMPLIANCE") and retain-until (epoch ms), both or
    # neither; the legal hold ("ON"/"OFF", None when never set)
    lock_mode: str | None = None
    lock_until_ms: int | None = None
    legal_hold: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    number: int
    blob_id: str | None
    size: int
    etag: str  # quoted md5 hex of the part
    last_modified_ms: int
    md5: str  # raw md5 hex (for the multipart ETag)
    checksums: dict[str, str] = field(default_factory=dict)
    iv: str | None = None  # base64 AES-CTR initial counter block when the upload is encrypted


@dataclass(frozen=True, slots=True)
class Upload:
    """A multipart upload in progress: what CreateMultipartUpload fixed, and the parts so far."""

    upload_id: str
    bucket: str
    key: str
    initiated_ms: int
    owner: str
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    storage_class: str = "STANDARD"
    checksum_algorithm: str | None = None
    checksum_type: str | None = None
    sse: str | None = None
    kms_key_id: str | None = None
    sealed_key: str | None = None
    parts: dict[int, Part] = field(default_factory=dict)
    acl: dict[str, str] = field(default_factory=dict)  # the ACL members CreateMultipartUpload sent
    # Object Lock fields CreateMultipartUpload was given (the bucket default applies at completion)
    lock_mode: str | None = None
    lock_until_ms: int | None = None
    legal_hold: str | None = None


def to_bytes(record: Any) -> bytes:
    return json.dumps(to_dict(record), separators=(",", ":")).encode()


def to_dict(record: Any) -> dict[str, Any]:
    """The record's fields (json.dumps writes tuples as lists). `dataclasses.asdict` deep-copies
    every value and cost two thirds of a small PUT's service time."""
    names = _NAMES.get(type(record))
    if names is None:
        names = _NAMES[type(record)] = tuple(f.name for f in fields(record))
    values = {name: getattr(record, name) for name in names}
    if isinstance(record, Upload):
        values["parts"] = {str(n): to_dict(part) for n, part in record.parts.items()}
    return values


_NAMES: dict[type, tuple[str, ...]] = {}


def from_bytes(cls: type[R], data: bytes) -> R:
    return from_dict(cls, json.loads(data))


def from_dict(cls: type[R], raw: dict[str, Any]) -> R:
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {name: value for name, value in raw.items() if name in known}
    if cls is Upload:
        values["parts"] = {int(n): Part(**p) for n, p in values.get("parts", {}).items()}
    if cls is ObjectVersion:
        for name in ("blobs", "part_sizes", "part_checksums", "ivs", "acl"):
            if name in values:
                values[name] = tuple(values[name])
    return cls(**values)


def jsonable(value: Any) -> Any:
    """A parameter dict made JSON-safe: datetimes to ISO 8601 strings, bytes to text."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
