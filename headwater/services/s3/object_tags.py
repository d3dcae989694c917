"""Object tagging (Get/Put/DeleteObjectTagging): tags change in place on the version they name,
without a new version or a new Last-Modified, as in S3."""

from __future__ import annotations

import dataclasses
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3 import versions
from headwater.services.s3.bucket_rules import check_tag_set, lookup
from headwater.services.s3.errors import malformed_xml
from headwater.services.s3.object_read import find_version
from headwater.services.s3.object_write import MAX_OBJECT_TAGS
from headwater.services.s3.records import Bucket, ObjectVersion
from headwater.services.s3.service import S3Core
from headwater.services.s3.store import settle

Params = dict[str, Any]


def _version_field(bucket: Bucket, version: ObjectVersion) -> Params:
    return {"VersionId": version.version_id} if versions.is_versioned(bucket) else {}


async def get_object_tagging(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    version = find_version(core, bucket, params["Key"], params.get("VersionId"), "GET")
    tag_set = [{"Key": key, "Value": value} for key, value in version.tags.items()]
    return {"TagSet": tag_set, **_version_field(bucket, version)}


async def _retag(
    core: S3Core, params: Params, ctx: RequestContext, tags: dict[str, str], method: str, event: str
) -> Params:
    bucket = lookup(core, params)
    key: str = params["Key"]
    version = find_version(core, bucket, key, params.get("VersionId"), method)
    updated = dataclasses.replace(version, tags=tags)
    current = core.store.versions(bucket.name, key)
    durable = core.store.set_versions(bucket.name, key, [updated if v is version else v for v in current])
    await settle([durable, core.notifier.emit(bucket, event, updated, ctx)])
    return _version_field(bucket, updated)


async def put_object_tagging(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    tagging = params.get("Tagging")
    if not isinstance(tagging, dict) or tagging.get("TagSet") is None:
        raise malformed_xml()
    tags = check_tag_set(tagging["TagSet"] or [], MAX_OBJECT_TAGS, "Object")
    return await _retag(core, params, ctx, tags, "PUT", "ObjectTagging:Put")


async def delete_object_tagging(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    return await _retag(core, params, ctx, {}, "DELETE", "ObjectTagging:Delete")
