"""Version ids, and what a write or a delete does to a key's version list.

Theory of operation
-------------------
A key's versions are a list, newest first (delete markers included). What a write does depends on
the bucket's versioning state:

- never enabled (None): the one version is "null"; a write replaces it, a delete removes it.
- Enabled: every write and every delete (a delete marker) gets a new unique id and goes on top;
  nothing is replaced.
- Suspended: writes and deletes get "null" and replace the previous "null" version, wherever it
  sits in the list; versions with real ids written while enabled stay.

A delete naming a version removes exactly that version (object or marker), in any state. The
functions here are pure: they return the new list and the versions that dropped out, whose blobs
the caller releases once the new list is durable.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Sequence
from email.utils import formatdate

from headwater.protocol.errors import AwsError
from headwater.runtime.ids import random_bytes
from headwater.services.s3.errors import invalid_argument, s3_error
from headwater.services.s3.records import NULL_VERSION, Bucket, ObjectVersion

# AWS version ids are 32 URL-safe characters; ours are 24 random bytes in base64 with "._" for "+/"
_VERSION_ID = re.compile(r"[A-Za-z0-9._]{32}")
ENABLED, SUSPENDED = "Enabled", "Suspended"


def new_version_id(bucket: Bucket) -> str:
    """The id of a version written now: unique when versioning is enabled, else "null"."""
    if bucket.versioning != ENABLED:
        return NULL_VERSION
    return base64.b64encode(random_bytes(24), altchars=b"._").decode("ascii")


def is_versioned(bucket: Bucket) -> bool:
    """Whether responses carry x-amz-version-id (once versioning was ever enabled)."""
    return bucket.versioning is not None


def check_version_id(version_id: str, argument: str = "versionId") -> None:
    """InvalidArgument for a version id that cannot be one of ours (AWS checks the form before
    looking it up: a well-formed unknown id is a 404 NoSuchVersion instead)."""
    if version_id == "":
        raise invalid_argument("Version id cannot be the empty string", argument, "")
    if version_id != NULL_VERSION and not _VERSION_ID.fullmatch(version_id):
        raise invalid_argument("Invalid version id specified", argument, version_id)


def find(versions: Sequence[ObjectVersion], version_id: str) -> ObjectVersion | None:
    for version in versions:
        if version.version_id == version_id:
            return version
    return None


def current(versions: Sequence[ObjectVersion]) -> ObjectVersion | None:
    """The latest version when it is an object (not a delete marker), else None."""
    if versions and not versions[0].delete_marker:
        return versions[0]
    return None


def place(
    bucket: Bucket, versions: Sequence[ObjectVersion], new: ObjectVersion
) -> tuple[list[ObjectVersion], list[ObjectVersion]]:
    """The list after writing `new` (an object or a delete marker) on top, and what it replaced."""
    if new.version_id != NULL_VERSION:
        return [new, *versions], []
    kept = [v for v in versions if v.version_id != NULL_VERSION]
    dropped = [v for v in versions if v.version_id == NULL_VERSION]
    return [new, *kept], dropped


def remove(
    versions: Sequence[ObjectVersion], version_id: str
) -> tuple[list[ObjectVersion], ObjectVersion | None]:
    """The list without the named version, and that version (None when there is no such one)."""
    removed = find(versions, version_id)
    if removed is None:
        return list(versions), None
    return [v for v in versions if v is not removed], removed


def delete_marker(bucket: Bucket, key: str, now_ms: int, owner: str) -> ObjectVersion:
    return ObjectVersion(
        key=key,
        version_id=new_version_id(bucket),
        last_modified_ms=now_ms,
        delete_marker=True,
        owner=owner,
    )


def delete_latest(
    bucket: Bucket, versions: Sequence[ObjectVersion], key: str, now_ms: int, owner: str
) -> tuple[list[ObjectVersion], list[ObjectVersion], ObjectVersion | None]:
    """A DELETE without a version id: (new list, dropped versions, the delete marker created).

    Unversioned buckets lose the object for good; versioned ones get a delete marker, even when
    the key has no versions at all (as S3 does)."""
    if bucket.versioning is None:
        return [], list(versions), None
    marker = delete_marker(bucket, key, now_ms, owner)
    new_list, dropped = place(bucket, versions, marker)
    return new_list, dropped, marker


def method_not_allowed(version: ObjectVersion, method: str) -> AwsError:
    """GET/HEAD (and most operations) of a delete marker named by its version id: 405."""
    error = s3_error(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        Method=method,
        ResourceType="DeleteMarker",
    )
    error.headers.update(marker_headers(version))
    error.headers["Allow"] = "DELETE"
    return error


def marker_headers(version: ObjectVersion) -> dict[str, str]:
    """The headers S3 adds to a 404/405 caused by a delete marker."""
    return {
        "x-amz-delete-marker": "true",
        "x-amz-version-id": version.version_id,
        "Last-Modified": formatdate(version.last_modified_ms // 1000, usegmt=True),
    }


def stamp(epoch_ms: int) -> dt.datetime:
    """A version's time as S3 shows it: whole seconds (HTTP dates carry no more, and listings agree
    with Last-Modified)."""
    return dt.datetime.fromtimestamp(epoch_ms // 1000, dt.UTC)
