"""Object Lock: what a write asks for, the bucket's default retention, and what a lock forbids.

Theory of operation
-------------------
A bucket with Object Lock (enabled at CreateBucket, or later by PutObjectLockConfiguration on a
versioned bucket) is write-once per version: every write makes a new version (versioning stays
Enabled), and a version under a lock cannot be removed for good. A version is locked while

- its legal hold is ON (no date, lifted only by PutObjectLegalHold OFF), or
- its retain-until date is after the server's clock: COMPLIANCE binds everyone; GOVERNANCE yields to
  a request with `x-amz-bypass-governance-retention: true` (S3 also wants the caller to hold
  s3:BypassGovernanceRetention; open auth grants it).

What "removed" means: DeleteObject/DeleteObjects naming the version, a shortening or removal of its
retention (PutObjectRetention), and lifecycle's NoncurrentVersionExpiration. A delete without a
version id only adds a delete marker, which a lock never blocks. The clock is the server's
(`core.now_ms()`), so advancing the test clock past retain-until frees the version.

A write names its lock with x-amz-object-lock-mode + -retain-until-date (both or neither) and
-legal-hold; without a mode it gets the bucket's default retention (Days or Years from now). Any
lock on a write requires Content-MD5 or an x-amz-checksum- header, as S3 does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.s3.errors import invalid_request, s3_error
from headwater.services.s3.records import Bucket, ObjectVersion

MODES = ("GOVERNANCE", "COMPLIANCE")
HOLDS = ("ON", "OFF")
LOCKED_MESSAGE = "Access Denied because object protected by object lock."
_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Lock:
    """A version's lock fields, as the record keeps them."""

    mode: str | None = None
    until_ms: int | None = None
    legal_hold: str | None = None

    def fields(self) -> dict[str, Any]:
        return {"lock_mode": self.mode, "lock_until_ms": self.until_ms, "legal_hold": self.legal_hold}


NO_LOCK = Lock()


def enabled(bucket: Bucket) -> bool:
    return bool(bucket.configs.get("object_lock"))


def default_retention(bucket: Bucket) -> tuple[str, int] | None:
    """The bucket's default (mode, period in ms), when its configuration has a rule."""
    rule = ((bucket.configs.get("object_lock") or {}).get("Rule") or {}).get("DefaultRetention")
    if not rule:
        return None
    days = rule.get("Days")
    period = int(days) if days is not None else int(rule.get("Years") or 0) * 365
    return str(rule["Mode"]), period * _DAY_MS


def to_ms(value: Any) -> int | None:
    """A retain-until date (datetime or ISO 8601 text) as epoch ms; None when it does not parse."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


def stamp(until_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(until_ms / 1000, dt.UTC)


def check_mode(mode: Any) -> str:
    if mode not in MODES:
        raise s3_error("InvalidArgument", "Unknown wormMode directive.")
    return str(mode)


def check_future(until_ms: int | None, now_ms: int) -> int:
    if until_ms is None:
        raise s3_error("InvalidArgument", "The retain until date must be in the future!")
    if until_ms <= now_ms:
        raise s3_error("InvalidArgument", "The retain until date must be in the future!")
    return until_ms


def requested(bucket: Bucket, params: Mapping[str, Any], now_ms: int) -> Lock:
    """The lock a PutObject/CopyObject/CreateMultipartUpload names in its headers (checked)."""
    mode = params.get("ObjectLockMode")
    until = params.get("ObjectLockRetainUntilDate")
    hold = params.get("ObjectLockLegalHoldStatus")
    if not mode and until is None and not hold:
        return NO_LOCK
    if not enabled(bucket):
        raise invalid_request("Bucket is missing Object Lock Configuration")
    if bool(mode) != (until is not None):
        raise s3_error(
            "InvalidArgument",
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
        )
    if hold and hold not in HOLDS:
        raise s3_error("InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'")
    if not mode:
        return Lock(legal_hold=hold)
    return Lock(check_mode(mode), check_future(to_ms(until), now_ms), hold or None)


def effective(bucket: Bucket, explicit: Lock, now_ms: int) -> Lock:
    """The lock a new version gets: what the request named, else the bucket's default retention."""
    if explicit.mode is not None or not enabled(bucket):
        return explicit
    default = default_retention(bucket)
    if default is None:
        return explicit
    return Lock(default[0], now_ms + default[1], explicit.legal_hold)


def needs_digest(bucket: Bucket, explicit: Lock) -> bool:
    """Whether a write must carry Content-MD5 or a checksum: it names a lock or gets the default."""
    if explicit is not NO_LOCK and explicit != NO_LOCK:
        return True
    return enabled(bucket) and default_retention(bucket) is not None


def missing_digest(what: str = "Put Object") -> AwsError:
    return invalid_request(
        f"Content-MD5 OR x-amz-checksum- HTTP header is required for {what} requests with Object Lock parameters"
    )


def locked() -> AwsError:
    return s3_error("AccessDenied", LOCKED_MESSAGE, 403)


def is_locked(version: ObjectVersion, now_ms: int, bypass: bool) -> bool:
    if version.legal_hold == "ON":
        return True
    if version.lock_until_ms is None or version.lock_until_ms <= now_ms:
        return False
    return version.lock_mode == "COMPLIANCE" or not bypass


def check_delete(version: ObjectVersion, now_ms: int, bypass: bool) -> None:
    """Refuses the permanent removal of a locked version (never a delete marker)."""
    if not version.delete_marker and is_locked(version, now_ms, bypass):
        raise locked()


def check_retention_change(
    version: ObjectVersion, mode: str | None, until_ms: int | None, now_ms: int, bypass: bool
) -> None:
    """A retention in force may be extended; COMPLIANCE may not be shortened, removed or turned into
    GOVERNANCE; GOVERNANCE may be only with the bypass."""
    old = version.lock_until_ms
    if old is None or old <= now_ms:
        return
    shortened = until_ms is None or until_ms < old
    if version.lock_mode == "COMPLIANCE":
        if shortened or mode != "COMPLIANCE":
            raise locked()
    elif shortened and not bypass:
        raise locked()


def bypassing(params: Mapping[str, Any]) -> bool:
    return params.get("BypassGovernanceRetention") in (True, "true", "True")


def response_fields(version: ObjectVersion) -> dict[str, Any]:
    """ObjectLockMode, ObjectLockRetainUntilDate and ObjectLockLegalHoldStatus for GET/HEAD."""
    result: dict[str, Any] = {}
    if version.lock_mode is not None and version.lock_until_ms is not None:
        result["ObjectLockMode"] = version.lock_mode
        result["ObjectLockRetainUntilDate"] = stamp(version.lock_until_ms)
    if version.legal_hold is not None:
        result["ObjectLockLegalHoldStatus"] = version.legal_hold
    return result
