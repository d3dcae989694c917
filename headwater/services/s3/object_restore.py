"""RestoreObject.

Objects in GLACIER or DEEP_ARCHIVE cannot be read until restored. A restore here completes at once:
the object gets a temporary readable copy until `Days` from now, shown as x-amz-restore
(`ongoing-request="false", expiry-date="..."`) on GET/HEAD; the first request answers 202, a repeat
200 (and moves the expiry).
"""

from __future__ import annotations

import dataclasses
from email.utils import formatdate
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import malformed_xml, s3_error
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
