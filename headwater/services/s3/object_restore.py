"""RestoreObject, and the object-lock reads and writes tools probe.

Objects in GLACIER or DEEP_ARCHIVE cannot be read until restored. A restore here completes at once:
the object gets a temporary readable copy until `Days` from now, shown as x-amz-restore
(`ongoing-request="false", expiry-date="..."`) on GET/HEAD; the first request answers 202, a repeat
200 (and moves the expiry). Object Lock retention and legal holds are not kept: on a bucket without
Object Lock they fail as S3 fails them; on one with it, reads find nothing and writes answer 501.
"""

from __future__ import annotations

import dataclasses
from email.utils import formatdate
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import invalid_request, malformed_xml, not_implemented, s3_error
from headwater.services.s3.object_read import RESTORE, RESTORED_UNTIL, find_version, readable
from headwater.services.s3.object_write import ARCHIVED
from headwater.services.s3.service import S3Core
from headwater.services.s3.store import settle

Params = dict[str, Any]
_DAY_MS = 86_400_000


async def restore_object(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    key: str = params["Key"]
    version = find_version(core, bucket, key, params.get("VersionId"), "POST")
    if version.storage_class not in ARCHIVED:
        raise s3_error(
            "InvalidObjectState", "Restore is not allowed for the object's current storage class", 403
        )
    request = params.get("RestoreRequest") or {}
    days = request.get("Days")
    if days is None or int(days) < 1:
        raise malformed_xml()
    now = core.now_ms()
    until = now + int(days) * _DAY_MS
    already = readable(version, now)
    headers = dict(version.headers)
    headers[RESTORED_UNTIL] = str(until)
    headers[RESTORE] = f'ongoing-request="false", expiry-date="{formatdate(until // 1000, usegmt=True)}"'
    updated = dataclasses.replace(version, headers=headers)
    current = core.store.versions(bucket.name, key)
    writes = [core.store.set_versions(bucket.name, key, [updated if v is version else v for v in current])]
    if not already:
        writes.append(core.notifier.emit(bucket, "ObjectRestore:Post", updated, ctx))
        writes.append(core.notifier.emit(bucket, "ObjectRestore:Completed", updated, ctx))
    await settle(writes)
    return {} if already else {"__status__": 202}


def _check_lock(core: S3Core, params: Params) -> None:
    bucket = lookup(core, params)
    if not bucket.configs.get("object_lock"):
        raise invalid_request("Bucket is missing Object Lock Configuration")
    find_version(core, bucket, params["Key"], params.get("VersionId"), "GET")


async def get_object_retention(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    _check_lock(core, params)
    raise s3_error(
        "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404
    )


async def get_object_legal_hold(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    _check_lock(core, params)
    raise s3_error(
        "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404
    )


async def put_object_retention(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    _check_lock(core, params)
    raise not_implemented("x-amz-object-lock-mode")


async def put_object_legal_hold(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    _check_lock(core, params)
    raise not_implemented("x-amz-object-lock-legal-hold")
