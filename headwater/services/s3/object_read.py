"""GetObject and HeadObject, and finding the version a request names.

A read answers the latest version, or the one ?versionId names. A key whose latest version is a
delete marker does not exist (404 NoSuchKey, with x-amz-delete-marker: true); naming a delete
marker's own version is a 405 MethodNotAllowed. Conditional headers are evaluated before anything
else about the body (conditions.py); a Range or a partNumber selects the bytes (ranges.py), with 206
and a Content-Range. The body streams from the blob store as the client reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.services.context import RequestContext, ResponseBody
from headwater.services.s3 import conditions, object_lock, sse, versions
from headwater.services.s3.bodies import open_body
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import no_such_key, no_such_version, s3_error
from headwater.services.s3.object_write import (
    ARCHIVED,
    BUCKET_KEY,
    DEFAULT_CONTENT_TYPE,
    HEADER_MEMBERS,
    checksum_fields,
)
from headwater.services.s3.ranges import Slice, parse_range, part_slice
from headwater.services.s3.records import Bucket, ObjectVersion
from headwater.services.s3.service import S3Core

Params = dict[str, Any]

# response-* query parameters and the header each one overrides
OVERRIDES = {
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseContentType": "ContentType",
    "ResponseExpires": "Expires",
}


# kept in a version's `headers` once restored (object_restore.py); S3 shows the first as x-amz-restore
RESTORE, RESTORED_UNTIL = "Restore", "RestoreUntilMs"


def readable(version: ObjectVersion, now_ms: int) -> bool:
    """Archived objects (GLACIER, DEEP_ARCHIVE) read only while a restored copy lasts."""
    if version.storage_class not in ARCHIVED:
        return True
    until = version.headers.get(RESTORED_UNTIL)
    return until is not None and int(until) > now_ms


def find_version(
    core: S3Core, bucket: Bucket, key: str, version_id: str | None, method: str
) -> ObjectVersion:
    """The object a request names: NoSuchKey (latest is a delete marker, or no versions),
    InvalidArgument (malformed id), NoSuchVersion, or MethodNotAllowed (a delete marker's id)."""
    if version_id is None:
        found = core.store.versions(bucket.name, key)
        if not found:
            raise no_such_key(key)
        latest = found[0]
        if latest.delete_marker:
            error = no_such_key(key)
            error.headers.update(versions.marker_headers(latest))
            raise error
        return latest
    versions.check_version_id(version_id)
    version = versions.find(core.store.versions(bucket.name, key), version_id)
    if version is None:
        raise no_such_version(key, version_id)
    if version.delete_marker:
        raise versions.method_not_allowed(version, method)
    return version


def invalid_object_state(version: ObjectVersion) -> Any:
    return s3_error(
        "InvalidObjectState",
        "The operation is not valid for the object's storage class",
        403,
        StorageClass=version.storage_class,
    )


def describe(bucket: Bucket, version: ObjectVersion) -> Params:
    """The headers GET and HEAD share (not the length, range or checksums)."""
    result: Params = {
        "LastModified": versions.stamp(version.last_modified_ms),
        "ETag": version.etag,
        "ContentType": version.content_type or DEFAULT_CONTENT_TYPE,
        "AcceptRanges": "bytes",
    }
    headers = version.headers
    if headers:
        for name in HEADER_MEMBERS:
            value = headers.get(name)
            if value is not None:
                result[name] = value
    if version.metadata:
        result["Metadata"] = dict(version.metadata)
    if version.storage_class != "STANDARD":
        result["StorageClass"] = version.storage_class
    if versions.is_versioned(bucket):
        result["VersionId"] = version.version_id
    if headers.get(RESTORE):
        result["Restore"] = headers[RESTORE]
    if version.tags:
        result["TagCount"] = len(version.tags)
    result.update(sse.response_fields(version.sse, version.kms_key_id, headers.get(BUCKET_KEY) == "true"))
    if version.lock_mode is not None or version.legal_hold is not None:
        result.update(object_lock.response_fields(version))
    return result


def _select(version: ObjectVersion, params: Mapping[str, Any]) -> Slice | None:
    part_number = params.get("PartNumber")
    if part_number is not None:
        return part_slice(version, int(part_number), params.get("Range"))
    return parse_range(params.get("Range"), version.size)


async def _read(core: S3Core, params: Params, ctx: RequestContext, method: str) -> Params:
    bucket = lookup(core, params)
    key: str = params["Key"]
    version = find_version(core, bucket, key, params.get("VersionId"), method)
    sse.check_customer_key_read(params)
    status = conditions.check_read(version, params)
    if status is not None:
        not_modified: Params = {
            "__status__": status,
            "ETag": version.etag,
            "LastModified": versions.stamp(version.last_modified_ms),
        }
        if versions.is_versioned(bucket):
            not_modified["VersionId"] = version.version_id
        return not_modified
    if method == "GET" and not readable(version, core.now_ms()):
        raise invalid_object_state(version)
    selected = _select(version, params)
    result = describe(bucket, version)
    if selected is None:
        start, end = 0, version.size
        if params.get("ChecksumMode") == "ENABLED":
            result.update(checksum_fields(version.checksums, version.checksum_type))
    else:
        start, end = selected.start, selected.end
        result["__status__"] = 206
        result["ContentRange"] = selected.content_range
        if selected.parts_count is not None:
            result["PartsCount"] = selected.parts_count
            if params.get("ChecksumMode") == "ENABLED":
                result.update(_part_checksums(version, int(params["PartNumber"])))
    result["ContentLength"] = end - start
    for param, member in OVERRIDES.items():
        value = params.get(param)
        if value is not None:
            result[member] = value
    if method == "GET":
        result["Body"] = ResponseBody(await open_body(core, version, start, end), end - start)
    return result


def _part_checksums(version: ObjectVersion, part_number: int) -> Params:
    """A part's own checksums (objects completed before the record kept them have none)."""
    per_part = version.part_checksums
    if part_number > len(per_part):
        return {}
    return checksum_fields(per_part[part_number - 1], None)


async def get_object(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    return await _read(core, params, ctx, "GET")


async def head_object(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    return await _read(core, params, ctx, "HEAD")
