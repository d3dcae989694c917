"""DeleteObject and DeleteObjects.

Without a version id a delete removes the object (unversioned bucket) or adds a delete marker
(versioned bucket: Enabled gets a new id, Suspended a "null" marker that replaces the null version);
with one it removes exactly that version, object or marker, for good, unless Object Lock protects
it (object_lock.check_delete: AccessDenied; a DeleteObjects entry error). Deleting what is not there
succeeds (204). DeleteObjects applies all its deletes to the index at once, awaits their writes and
notifications together, then releases every freed blob in one call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.s3 import conditions, object_lock, versions
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import malformed_xml, no_such_key, precondition_failed
from headwater.services.s3.object_write import release
from headwater.services.s3.records import Bucket, ObjectVersion
from headwater.services.s3.service import S3Core
from headwater.services.s3.store import settle

Params = dict[str, Any]
MAX_DELETE_KEYS = 1000


@dataclass(frozen=True, slots=True)
class Deleted:
    key: str
    version_id: str | None  # the version removed (when one was named)
    marker: ObjectVersion | None  # the delete marker created, or the marker removed
    dropped: list[ObjectVersion]  # versions whose blobs are to be released
    writes: list[Awaitable[None]]


def _check_conditions(key: str, found: list[ObjectVersion], params: Mapping[str, Any]) -> None:
    """If-Match, x-amz-if-match-last-modified-time and x-amz-if-match-size on the current object."""
    if_match = params.get("IfMatch") or params.get("ETag")
    modified = params.get("IfMatchLastModifiedTime") or params.get("LastModifiedTime")
    size = params.get("IfMatchSize", params.get("Size"))
    if if_match is None and modified is None and size is None:
        return
    current = versions.current(found)
    if current is None:
        raise no_such_key(key)
    if if_match is not None and not conditions.etag_matches(if_match, current.etag):
        raise precondition_failed("If-Match")
    if modified is not None and conditions.as_seconds(modified) != current.last_modified_ms // 1000:
        raise precondition_failed("x-amz-if-match-last-modified-time")
    if size is not None and int(size) != current.size:
        raise precondition_failed("x-amz-if-match-size")


def delete_one(
    core: S3Core,
    bucket: Bucket,
    key: str,
    version_id: str | None,
    conditions_: Mapping[str, Any],
    ctx: RequestContext | None,
    bypass: bool = False,
) -> Deleted:
    """Applies one delete to the index (synchronously) and starts its durable writes."""
    found = core.store.versions(bucket.name, key)
    _check_conditions(key, found, conditions_)
    if version_id is not None:
        versions.check_version_id(version_id)
        remaining, removed = versions.remove(found, version_id)
        if removed is None:
            return Deleted(key, version_id, None, [], [])
        object_lock.check_delete(removed, core.now_ms(), bypass)
        writes = [
            core.store.set_versions(bucket.name, key, remaining),
            core.notifier.emit(bucket, "ObjectRemoved:Delete", removed, ctx),
        ]
        marker = removed if removed.delete_marker else None
        return Deleted(key, version_id, marker, [removed], writes)
    if bucket.versioning is None and not found:
        return Deleted(key, None, None, [], [])
    owner = ctx.account if ctx is not None else bucket.account
    remaining, dropped, marker = versions.delete_latest(bucket, found, key, core.now_ms(), owner)
    writes = [core.store.set_versions(bucket.name, key, remaining)]
    if marker is not None:
        writes.append(core.notifier.emit(bucket, "ObjectRemoved:DeleteMarkerCreated", marker, ctx))
    elif dropped:
        writes.append(core.notifier.emit(bucket, "ObjectRemoved:Delete", dropped[0], ctx))
    return Deleted(key, None, marker, dropped, writes)


async def delete_object(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    bypass = object_lock.bypassing(params)
    deleted = delete_one(core, bucket, params["Key"], params.get("VersionId"), params, ctx, bypass)
    await settle(deleted.writes)
    await release(core, deleted.dropped)
    result: Params = {}
    if deleted.version_id is not None:
        result["VersionId"] = deleted.version_id
    if deleted.marker is not None:
        result["DeleteMarker"] = True
        result["VersionId"] = deleted.marker.version_id
    return result


async def delete_objects(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    request = params.get("Delete") or {}
    objects = request.get("Objects") or []
    if not objects or len(objects) > MAX_DELETE_KEYS:
        raise malformed_xml()
    quiet = bool(request.get("Quiet"))
    bypass = object_lock.bypassing(params)
    # with strict auth the front end passes a per-key check: a key the caller may not delete is an
    # AccessDenied entry among the errors, as S3 answers, not a refusal of the whole request
    authorize = params.get("__authorize__")
    done: list[tuple[Mapping[str, Any], Deleted]] = []
    errors: list[Params] = []
    for item in objects:
        key = item.get("Key")
        if key is None:
            raise malformed_xml()
        try:
            if authorize is not None:
                authorize(key, item.get("VersionId"))
            done.append((item, delete_one(core, bucket, key, item.get("VersionId"), item, ctx, bypass)))
        except AwsError as error:
            entry: Params = {"Key": key, "Code": error.code, "Message": error.message}
            if item.get("VersionId") is not None:
                entry["VersionId"] = item["VersionId"]
            errors.append(entry)
    await settle([write for _, deleted in done for write in deleted.writes])
    await release(core, [version for _, deleted in done for version in deleted.dropped])
    result: Params = {}
    if not quiet and done:
        result["Deleted"] = [_deleted_entry(item, deleted) for item, deleted in done]
    if errors:
        result["Errors"] = errors
    return result


def _deleted_entry(item: Mapping[str, Any], deleted: Deleted) -> Params:
    entry: Params = {"Key": deleted.key}
    if deleted.version_id is not None:
        entry["VersionId"] = deleted.version_id
    if deleted.marker is not None:
        entry["DeleteMarker"] = True
        entry["DeleteMarkerVersionId"] = deleted.marker.version_id
    return entry
