"""Objects S3 writes itself (inventory reports, server access logs): stored as a PutObject would
store them, under the destination bucket's default encryption, owned by that bucket's owner."""

from __future__ import annotations

from headwater.services.s3 import sse
from headwater.services.s3.bodies import store_body
from headwater.services.s3.object_write import WriteFields, commit_version, discard, new_version
from headwater.services.s3.service import S3Core


async def write_object(core: S3Core, bucket_name: str, key: str, data: bytes, content_type: str) -> bool:
    """Writes `data` at `key`; False when the bucket is gone (nothing is written)."""
    bucket = core.store.bucket(bucket_name)
    if bucket is None:
        return False
    sealing = await sse.choose(core, bucket, {}, bucket.account, bucket.region)
    stored = await store_body(core, data, length=len(data), sse=sealing)
    bucket = core.store.bucket(bucket_name)  # deleted meanwhile?
    if bucket is None:
        await discard(core, stored)
        return False
    fields = WriteFields(content_type=content_type)
    version = new_version(core, bucket, key, stored, fields, sealing, bucket.account, stored.checksums)
    await commit_version(core, bucket.name, version, "ObjectCreated:Put", None)
    return True
