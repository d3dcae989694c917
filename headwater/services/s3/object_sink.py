"""Objects written on another party's behalf: S3's own (inventory reports, server access logs) and
other services' through the `ObjectSink` port (Firehose deliveries). Stored as a PutObject would
store them, under the destination bucket's default encryption, owned by that bucket's owner; bodies
stream into the blob store, so a large object is never held whole."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from headwater.protocol.errors import AwsError
from headwater.services.ports import ObjectSourceError
from headwater.services.s3 import object_acl, sse
from headwater.services.s3.bodies import store_body
from headwater.services.s3.object_write import (
    WriteFields,
    commit_version,
    content_headers,
    discard,
    new_version,
)
from headwater.services.s3.service import S3Core


async def write_object(
    core: S3Core,
    bucket_name: str,
    key: str,
    data: bytes | AsyncIterable[bytes],
    content_type: str,
    content_encoding: str | None = None,
    acl: str | None = None,
) -> str | None:
    """Writes `data` at `key` and returns the new object's ETag; None when the bucket is gone
    (nothing is written). `acl`, a canned ACL, is checked as PutObject's x-amz-acl (AwsError)."""
    bucket = core.store.bucket(bucket_name)
    if bucket is None:
        return None
    acl_fields = {"ACL": acl} if acl is not None else {}
    object_acl.check(bucket, acl_fields)
    sealing = await sse.choose(core, bucket, {}, bucket.account, bucket.region)
    length = len(data) if isinstance(data, bytes) else None
    stored = await store_body(core, data, length=length, sse=sealing)
    bucket = core.store.bucket(bucket_name)  # deleted meanwhile?
    if bucket is None:
        await discard(core, stored)
        return None
    headers = content_headers({"ContentEncoding": content_encoding}) if content_encoding else {}
    fields = WriteFields(content_type=content_type, headers=headers, acl=acl_fields)
    version = new_version(core, bucket, key, stored, fields, sealing, bucket.account, stored.checksums)
    await commit_version(core, bucket.name, version, "ObjectCreated:Put", None)
    return stored.etag


class S3ObjectSink:
    """The `ObjectSink` port: whole objects put into an account's buckets."""

    def __init__(self, core: S3Core) -> None:
        self.core = core

    async def put(
        self,
        account: str,
        bucket: str,
        key: str,
        chunks: AsyncIterator[bytes] | bytes,
        *,
        content_type: str = "application/octet-stream",
        content_encoding: str | None = None,
        acl: str | None = None,
    ) -> str | None:
        found = self.core.store.bucket(bucket)
        if found is None:
            raise ObjectSourceError("NoSuchBucket", "The specified bucket does not exist")
        if found.account != account:  # no bucket policies are evaluated for other accounts yet
            raise ObjectSourceError("AccessDenied", "Access Denied")
        try:
            etag = await write_object(self.core, bucket, key, chunks, content_type, content_encoding, acl)
        except AwsError as error:
            raise ObjectSourceError(error.code, error.message) from None
        if etag is None:
            raise ObjectSourceError("NoSuchBucket", "The specified bucket does not exist")
        return etag
