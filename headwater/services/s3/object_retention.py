"""GetObjectRetention, PutObjectRetention, GetObjectLegalHold and PutObjectLegalHold.

Both change one version's lock fields in place (the version list is rewritten with the updated
record); what a change may do to a retention in force is object_lock.check_retention_change's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3 import object_lock
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import invalid_request, malformed_xml, s3_error
from headwater.services.s3.object_read import find_version
from headwater.services.s3.records import Bucket, ObjectVersion
from headwater.services.s3.service import S3Core

Params = dict[str, Any]


def _target(core: S3Core, params: Params, method: str) -> tuple[Bucket, ObjectVersion]:
    bucket = lookup(core, params)
    if not object_lock.enabled(bucket):
        raise invalid_request("Bucket is missing Object Lock Configuration")
    return bucket, find_version(core, bucket, params["Key"], params.get("VersionId"), method)


def _no_configuration() -> Exception:
    return s3_error(
        "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404
    )


async def _rewrite(core: S3Core, bucket: Bucket, old: ObjectVersion, **changes: Any) -> None:
    updated = dataclasses.replace(old, **changes)
    current = core.store.versions(bucket.name, old.key)
    await core.store.set_versions(bucket.name, old.key, [updated if v is old else v for v in current])


async def get_object_retention(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    _, version = _target(core, params, "GET")
    if version.lock_mode is None or version.lock_until_ms is None:
        raise _no_configuration()
    return {
        "Retention": {
            "Mode": version.lock_mode,
            "RetainUntilDate": object_lock.stamp(version.lock_until_ms),
        }
    }


async def put_object_retention(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    retention = params.get("Retention")
    if retention is None:
        raise malformed_xml()
    mode = retention.get("Mode")
    until = retention.get("RetainUntilDate")
    if bool(mode) != (until is not None):
        raise malformed_xml()
    bucket, version = _target(core, params, "PUT")
    now = core.now_ms()
    until_ms: int | None = None
    if mode:
        mode = object_lock.check_mode(mode)
        until_ms = object_lock.check_future(object_lock.to_ms(until), now)
    object_lock.check_retention_change(version, mode or None, until_ms, now, object_lock.bypassing(params))
    await _rewrite(core, bucket, version, lock_mode=mode or None, lock_until_ms=until_ms)
    return {}


async def get_object_legal_hold(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    _, version = _target(core, params, "GET")
    if version.legal_hold is None:
        raise _no_configuration()
    return {"LegalHold": {"Status": version.legal_hold}}


async def put_object_legal_hold(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    status = (params.get("LegalHold") or {}).get("Status")
    if status not in object_lock.HOLDS:
        raise malformed_xml()
    bucket, version = _target(core, params, "PUT")
    await _rewrite(core, bucket, version, legal_hold=status)
    return {}
