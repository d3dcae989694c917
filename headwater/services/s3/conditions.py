"""Conditional requests: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since.

Reads (GET/HEAD) evaluate them in RFC 7232's order, which is what S3 documents:
1. If-Match, when present: false -> 412; true -> If-Unmodified-Since is not looked at.
2. Otherwise If-Unmodified-Since: false -> 412.
3. If-None-Match, when present: false (the ETag matches) -> 304; true -> If-Modified-Since is
   not looked at.
4. Otherwise If-Modified-Since: not modified since -> 304.
So If-Match true with If-Unmodified-Since false is a 200, and If-None-Match false with
If-Modified-Since true is a 304. A copy source's x-amz-copy-source-if-* headers follow the same
order, with 412 where a read would answer 304. Dates compare at the second, as HTTP dates carry
no more. Writes (PUT, CompleteMultipartUpload) accept If-None-Match: * (no current object) and
If-Match: <etag> (the current object has that ETag, 404 when there is none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from headwater.services.s3.errors import no_such_key, not_implemented, precondition_failed
from headwater.services.s3.records import ObjectVersion

NOT_MODIFIED = 304


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match/If-None-Match value (a list of ETags, quoted or not, or "*") names
    `etag` (quoted, as stored)."""
    bare = etag.strip('"')
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == "*" or candidate.strip('"') == bare:
            return True
    return False


def as_seconds(value: Any) -> int | None:
    """An HTTP date parameter (datetime, or the raw header text) as epoch seconds; None when it
    does not parse (S3 ignores a condition with an invalid date)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            try:
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return int(value.timestamp())
    if isinstance(value, (int, float)):
        return int(value)
    return None


def _evaluate(
    version: ObjectVersion,
    if_match: str | None,
    if_none_match: str | None,
    modified_since: Any,
    unmodified_since: Any,
) -> tuple[str, str] | None:
    """The first condition that fails, as ("412" | "304", the header's name), or None."""
    modified_s = version.last_modified_ms // 1000
    if if_match is not None:
        if not etag_matches(if_match, version.etag):
            return "412", "If-Match"
    else:
        since = as_seconds(unmodified_since)
        if since is not None and modified_s > since:
            return "412", "If-Unmodified-Since"
    if if_none_match is not None:
        if etag_matches(if_none_match, version.etag):
            return "304", "If-None-Match"
    else:
        since = as_seconds(modified_since)
        if since is not None and modified_s <= since:
            return "304", "If-Modified-Since"
    return None


def check_read(version: ObjectVersion, params: Mapping[str, Any]) -> int | None:
    """GET/HEAD conditions: raises 412 PreconditionFailed; returns 304 when not modified."""
    failed = _evaluate(
        version,
        params.get("IfMatch"),
        params.get("IfNoneMatch"),
        params.get("IfModifiedSince"),
        params.get("IfUnmodifiedSince"),
    )
    if failed is None:
        return None
    outcome, header = failed
    if outcome == "412":
        raise precondition_failed(header)
    return NOT_MODIFIED


def check_copy_source(version: ObjectVersion, params: Mapping[str, Any]) -> None:
    """x-amz-copy-source-if-* conditions (CopyObject, UploadPartCopy): 412 when one fails."""
    failed = _evaluate(
        version,
        params.get("CopySourceIfMatch"),
        params.get("CopySourceIfNoneMatch"),
        params.get("CopySourceIfModifiedSince"),
        params.get("CopySourceIfUnmodifiedSince"),
    )
    if failed is not None:
        raise precondition_failed(f"x-amz-copy-source-{failed[1]}")


def check_write(key: str, current: ObjectVersion | None, params: Mapping[str, Any]) -> None:
    """Conditional writes on the key's current object (None when absent or a delete marker)."""
    if_match = params.get("IfMatch")
    if_none_match = params.get("IfNoneMatch")
    if if_none_match is not None:
        if if_none_match.strip() != "*" or if_match is not None:
            raise not_implemented("If-None-Match")
        if current is not None:
            raise precondition_failed("If-None-Match")
    if if_match is not None:
        if current is None:
            raise no_such_key(key)
        if not etag_matches(if_match, current.etag):
            raise precondition_failed("If-Match")
