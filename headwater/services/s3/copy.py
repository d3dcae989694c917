"""CopyObject: a new object from an existing one, streamed blob to blob (decrypted from the
source's key, encrypted under a new one), never whole in memory.

MetadataDirective COPY (the default) keeps the source's content type, content headers and user
metadata; REPLACE takes them from the request. TaggingDirective likewise for tags. The storage
class, the encryption and the website redirect are the request's (not copied). Copying an object
onto itself must change one of them or the metadata, as S3 requires, unless the source names a
version id (restoring it).
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qs, unquote

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.s3 import checksums, conditions, object_acl, object_lock, sse, versions
from headwater.services.s3.bodies import read_body, store_body
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import invalid_argument, invalid_request
from headwater.services.s3.object_read import find_version, invalid_object_state, readable
from headwater.services.s3.object_write import (
    DEFAULT_CONTENT_TYPE,
    HEADER_MEMBERS,
    WriteFields,
    check_acl,
    check_key,
    checksum_fields,
    commit_version,
    content_headers,
    discard,
    new_version,
    parse_tagging,
    storage_class,
    user_metadata,
)
from headwater.services.s3.records import NULL_VERSION, ObjectVersion
from headwater.services.s3.service import S3Core

Params = dict[str, Any]
DIRECTIVES = ("COPY", "REPLACE")


def parse_copy_source(value: str | None) -> tuple[str, str, str | None]:
    """x-amz-copy-source, "bucket/key" or "/bucket/key", URL-encoded, with an optional
    "?versionId=": (bucket, key, version id)."""
    if not value:
        raise invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source"
        )
    path, _, query = value.partition("?")
    path = unquote(path)
    if path.startswith("/"):
        path = path[1:]
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            "x-amz-copy-source",
            value,
        )
    version_id = None
    if query:
        found = parse_qs(query, keep_blank_values=True).get("versionId")
        if found:
            version_id = found[0]
    return bucket, key, version_id


def _directive(params: Params, member: str, header: str) -> str:
    value = params.get(member) or "COPY"
    if value not in DIRECTIVES:
        raise invalid_argument(f"Unknown {header.split('-')[2]} directive.", header, value)
    return value


def source_version(core: S3Core, params: Params) -> tuple[ObjectVersion, str | None, bool]:
    """The version x-amz-copy-source names, its conditions checked: (version, the version id it
    named, whether the source bucket is versioned)."""
    bucket_name, key, version_id = parse_copy_source(params.get("CopySource"))
    bucket = core.bucket(bucket_name)
    source = find_version(core, bucket, key, version_id, "GET")
    sse.check_customer_key_read(params, prefix="CopySource")
    conditions.check_copy_source(source, params)
    if not readable(source, core.now_ms()):
        error = invalid_object_state(source)
        error.message = "Operation is not valid for the source object's storage class"
        raise error
    return source, version_id, versions.is_versioned(bucket)


def _fields(bucket: Any, params: Params, source: ObjectVersion, now_ms: int) -> WriteFields:
    """The new object's fields; its lock is the request's (or the bucket default), never the source's."""
    metadata_directive = _directive(params, "MetadataDirective", "x-amz-metadata-directive")
    tagging_directive = _directive(params, "TaggingDirective", "x-amz-tagging-directive")
    check_acl(bucket, params)
    lock = object_lock.requested(bucket, params, now_ms)
    redirect = content_headers({"WebsiteRedirectLocation": params.get("WebsiteRedirectLocation")})
    if metadata_directive == "COPY":
        headers = {
            n: v for n, v in source.headers.items() if n in HEADER_MEMBERS and n != "WebsiteRedirectLocation"
        }
        content_type = source.content_type or DEFAULT_CONTENT_TYPE
        metadata = dict(source.metadata)
    else:
        headers = {n: v for n, v in content_headers(params).items() if n != "WebsiteRedirectLocation"}
        content_type = params.get("ContentType") or DEFAULT_CONTENT_TYPE
        metadata = user_metadata(params)
    tags = dict(source.tags) if tagging_directive == "COPY" else parse_tagging(params.get("Tagging"))
    fields = WriteFields(
        content_type, {**headers, **redirect}, metadata, tags, storage_class(params), lock=lock
    )
    return dataclasses.replace(fields, acl=object_acl.requested(params))


def _is_self_copy(params: Params, source: ObjectVersion, latest: ObjectVersion | None) -> bool:
    unchanged = (
        (params.get("MetadataDirective") or "COPY") == "COPY"
        and params.get("StorageClass") is None
        and params.get("WebsiteRedirectLocation") is None
        and params.get("ServerSideEncryption") is None
        and params.get("SSEKMSKeyId") is None
    )
    return unchanged and source is latest


async def copy_object(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    key: str = params["Key"]
    check_key(key)
    source, source_version_id, source_versioned = source_version(core, params)
    fields = _fields(bucket, params, source, core.now_ms())
    latest = versions.current(core.store.versions(bucket.name, key))
    # naming the source's version id restores that version, even onto its own key
    if (
        source.key == key
        and source_version_id is None
        and _source_bucket(params) == bucket.name
        and _is_self_copy(params, source, latest)
    ):
        raise invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing "
            "the object's metadata, storage class, website redirect location or encryption attributes."
        )
    conditions.check_write(key, latest, params)
    algorithm = params.get("ChecksumAlgorithm")
    algorithms = {checksums.parse_algorithm(algorithm)} if algorithm else set(source.checksums)
    sealing = await sse.choose(core, bucket, params, ctx.account, ctx.region)
    stored = await store_body(
        core, read_body(core, source, 0, source.size), length=source.size, algorithms=algorithms, sse=sealing
    )
    try:
        bucket = core.bucket(bucket.name)
        conditions.check_write(key, versions.current(core.store.versions(bucket.name, key)), params)
    except AwsError:
        await discard(core, stored)
        raise
    version = new_version(core, bucket, key, stored, fields, sealing, ctx.account, stored.checksums)
    await commit_version(core, bucket.name, version, "ObjectCreated:Copy", ctx)
    copied: Params = {"ETag": version.etag, "LastModified": versions.stamp(version.last_modified_ms)}
    copied.update(checksum_fields(stored.checksums, version.checksum_type))
    result: Params = {"CopyObjectResult": copied}
    if version.version_id != NULL_VERSION:
        result["VersionId"] = version.version_id
    if source_versioned:
        result["CopySourceVersionId"] = source_version_id or source.version_id
    result.update(sse.response_fields(version.sse, version.kms_key_id, sealing.bucket_key_enabled))
    return result


def _source_bucket(params: Params) -> str:
    return parse_copy_source(params.get("CopySource"))[0]
