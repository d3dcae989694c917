"""PutObject, and what every object write shares: the rules for keys, user metadata, content
headers, tags, storage classes and ACLs, and `commit_version`, which puts a new version in place.

A write streams the body into a blob first (bodies.store_body), then, with no await in between,
re-reads the bucket and the key's versions, checks conditional headers against what is there now,
and replaces the version list; the version list's write and the notification's outbox entry are
awaited together (one group commit), and the versions the write replaced give their blobs back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.s3 import conditions, object_acl, object_lock, sse, versions
from headwater.services.s3.bodies import (
    NO_CHECKSUMS,
    ChecksumRequest,
    StoredBody,
    checksum_request,
    store_body,
)
from headwater.services.s3.bucket_rules import (
    check_tag_set,
    lookup,
)
from headwater.services.s3.errors import s3_error
from headwater.services.s3.records import NULL_VERSION, Bucket, ObjectVersion
from headwater.services.s3.service import S3Core

Params = dict[str, Any]

MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048
MAX_OBJECT_TAGS = 10
DEFAULT_CONTENT_TYPE = "binary/octet-stream"
STORAGE_CLASSES = frozenset(
    [
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "GLACIER_IR",
    ]
)
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})  # not readable until restored
# content headers kept with the object, under their member names (also the response's)
HEADER_MEMBERS = (
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "Expires",
    "WebsiteRedirectLocation",
)
BUCKET_KEY = "BucketKeyEnabled"  # kept in `headers` too: S3 echoes it on reads


# -- rules --------------------------------------------------------------------------------------------


def check_key(key: str) -> None:
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        raise s3_error(
            "KeyTooLongError", "Your key is too long", Size=str(size), MaxSizeAllowed=str(MAX_KEY_BYTES)
        )


def user_metadata(params: Mapping[str, Any]) -> dict[str, str]:
    """x-amz-meta-* with lower-case names; MetadataTooLarge beyond 2 KB of UTF-8 names and values."""
    raw = params.get("Metadata") or {}
    if not raw:
        return {}
    metadata = {str(name).lower(): str(value) for name, value in raw.items()}
    size = sum(len(name.encode()) + len(value.encode()) for name, value in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise s3_error(
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size.",
            Size=str(size),
            MaxSizeAllowed=str(MAX_METADATA_BYTES),
        )
    return metadata


def content_headers(params: Mapping[str, Any]) -> dict[str, str]:
    """Cache-Control, Content-Disposition/-Encoding/-Language, Expires, WebsiteRedirectLocation."""
    headers: dict[str, str] = {}
    for name in HEADER_MEMBERS:
        value = params.get(name)
        if value is None:
            continue
        if name == "Expires" and isinstance(value, dt.datetime):
            value = format_datetime(value.astimezone(dt.UTC), usegmt=True)
        elif name == "ContentEncoding":
            # aws-chunked is how the body travelled, not how it is stored
            value = ",".join(
                p for p in (part.strip() for part in str(value).split(",")) if p != "aws-chunked"
            )
            if not value:
                continue
        elif name == "WebsiteRedirectLocation" and not str(value).startswith(("/", "http://", "https://")):
            raise s3_error(
                "InvalidRedirectLocation",
                "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.",
            )
        headers[name] = str(value)
    return headers


def parse_tagging(header: str | None) -> dict[str, str]:
    """The x-amz-tagging header (a URL-encoded query string) as checked tags."""
    if not header:
        return {}
    pairs = parse_qsl(header, keep_blank_values=True)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise s3_error("InvalidTag", "Cannot provide multiple Tags with the same key", TagKey=key)
        seen.add(key)
        if key.lower().startswith("aws:"):  # the header's own wording, unlike PutObjectTagging's
            raise s3_error("InvalidTag", "Your TagKey cannot be prefixed with aws:", TagKey=key)
    return check_tag_set([{"Key": k, "Value": v} for k, v in pairs], MAX_OBJECT_TAGS, "Object")


def storage_class(params: Mapping[str, Any]) -> str:
    value = params.get("StorageClass") or "STANDARD"
    if value not in STORAGE_CLASSES:
        raise s3_error(
            "InvalidStorageClass", "The storage class you specified is not valid", StorageClassRequested=value
        )
    return str(value)


def check_acl(bucket: Bucket, params: Mapping[str, Any]) -> None:
    object_acl.check(bucket, params)


@dataclass(frozen=True, slots=True)
class WriteFields:
    """What a write request says about the new object besides its body."""

    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    storage_class: str = "STANDARD"
    acl: dict[str, str] = field(default_factory=dict)  # x-amz-acl / x-amz-grant-* as sent
    lock: object_lock.Lock = object_lock.NO_LOCK  # as the request named it (no bucket default yet)

    @classmethod
    def of(cls, bucket: Bucket, params: Mapping[str, Any], now_ms: int) -> WriteFields:
        """Checks and gathers the fields of a PutObject/CreateMultipartUpload/CopyObject(REPLACE)."""
        check_acl(bucket, params)
        lock = object_lock.requested(bucket, params, now_ms)
        return cls(
            content_type=params.get("ContentType") or DEFAULT_CONTENT_TYPE,
            headers=content_headers(params),
            metadata=user_metadata(params),
            tags=parse_tagging(params.get("Tagging")),
            storage_class=storage_class(params),
            acl=object_acl.requested(params),
            lock=lock,
        )


# -- putting a version in place ----------------------------------------------------------------------


async def commit_version(
    core: S3Core, bucket_name: str, version: ObjectVersion, event: str, ctx: RequestContext | None
) -> list[ObjectVersion]:
    """Writes `version` on top of its key (replacing the "null" version unless versioning is
    enabled), notifies, waits for both to be durable, then deletes the replaced versions' blobs.
    The caller built `version` with the bucket's current versioning state and has not awaited
    since. Returns the replaced versions."""
    bucket = core.bucket(bucket_name)
    current = core.store.versions(bucket.name, version.key)
    new_list, dropped = versions.place(bucket, current, version)
    durable = core.store.set_versions(bucket.name, version.key, new_list)
    notified = core.notifier.emit(bucket, event, version, ctx)
    await durable
    await notified
    if any(v.blobs for v in dropped):
        # space reclamation need not hold up the answer (a second sync per overwrite otherwise)
        core.spawn(release(core, dropped))
    return dropped


async def release(core: S3Core, dropped: list[ObjectVersion]) -> None:
    """Deletes the blobs of versions that are gone (their removal must be durable already)."""
    blobs = [blob for version in dropped for blob in version.blobs]
    if blobs:
        await core.store.blobs.delete(blobs)


async def discard(core: S3Core, stored: StoredBody) -> None:
    if stored.blob_id is not None:
        await core.store.blobs.delete([stored.blob_id])


def new_version(
    core: S3Core,
    bucket: Bucket,
    key: str,
    stored: StoredBody,
    fields: WriteFields,
    sealing: sse.Sealing,
    owner: str,
    checksums: dict[str, str],
) -> ObjectVersion:
    headers = dict(fields.headers)
    owner, grants = object_acl.resolve(bucket, fields.acl, owner)
    if sealing.bucket_key_enabled:
        headers[BUCKET_KEY] = "true"
    now = core.now_ms()
    lock = object_lock.effective(bucket, fields.lock, now)
    return ObjectVersion(
        key=key,
        version_id=versions.new_version_id(bucket),
        last_modified_ms=now,
        blobs=(stored.blob_id,) if stored.blob_id else (),
        size=stored.size,
        etag=stored.etag,
        content_type=fields.content_type,
        headers=headers,
        metadata=fields.metadata,
        tags=fields.tags,
        storage_class=fields.storage_class,
        checksums=checksums,
        checksum_type="FULL_OBJECT" if checksums else None,
        sse=sealing.sse,
        kms_key_id=sealing.kms_key_id,
        sealed_key=sealing.sealed_key,
        ivs=(stored.iv,) if stored.blob_id and stored.iv else (),
        owner=owner,
        acl=grants,
        lock_mode=lock.mode,
        lock_until_ms=lock.until_ms,
        legal_hold=lock.legal_hold,
    )


def checksum_fields(values: Mapping[str, str], checksum_type: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {f"Checksum{alg}": value for alg, value in values.items()}
    if fields and checksum_type:
        fields["ChecksumType"] = checksum_type
    return fields


def write_result(bucket: Bucket, version: ObjectVersion, checksums: Mapping[str, str]) -> Params:
    result: Params = {"ETag": version.etag}
    if version.version_id != NULL_VERSION:  # a write while suspended names no version (reads do)
        result["VersionId"] = version.version_id
    result.update(
        sse.response_fields(version.sse, version.kms_key_id, version.headers.get(BUCKET_KEY) == "true")
    )
    result.update(checksum_fields(checksums, version.checksum_type))
    return result


# -- PutObject -----------------------------------------------------------------------------------------


async def put_object(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    key: str = params["Key"]
    check_key(key)
    fields = WriteFields.of(bucket, params, core.now_ms())
    request: ChecksumRequest = checksum_request(params)
    # S3 wants a digest on every write that locks its object, also by the bucket's default retention
    digest_required = request is NO_CHECKSUMS and object_lock.needs_digest(bucket, fields.lock)
    if params.get("WriteOffsetBytes") is not None:
        raise not_implemented_append()
    # fail fast on a conditional write that cannot succeed; checked again once the body is in
    conditions.check_write(key, versions.current(core.store.versions(bucket.name, key)), params)
    sealing = await sse.choose(core, bucket, params, ctx.account, ctx.region)
    body = params.get("Body")
    if body is None:
        body = b""
    # the body's own length is the decoded one; Content-Length counts aws-chunked framing
    length = getattr(body, "length", None) if not isinstance(body, bytes) else len(body)
    if length is None:
        length = params.get("ContentLength")
    stored = await store_body(core, body, length=length, sse=sealing, request=request)
    try:
        if digest_required and not getattr(body, "trailers", None):
            raise object_lock.missing_digest()
        bucket = core.bucket(bucket.name)  # deleted (or its versioning changed) meanwhile?
        conditions.check_write(key, versions.current(core.store.versions(bucket.name, key)), params)
    except AwsError:
        await discard(core, stored)
        raise
    version = new_version(core, bucket, key, stored, fields, sealing, ctx.account, stored.checksums)
    await commit_version(core, bucket.name, version, "ObjectCreated:Put", ctx)
    return write_result(bucket, version, stored.checksums)


def not_implemented_append() -> AwsError:
    return s3_error(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        501,
        Header="x-amz-write-offset-bytes",
    )
