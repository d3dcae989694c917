"""GetObjectAttributes, and the object ACL operations (GetObjectAcl/PutObjectAcl; the rules are
object_acl's)."""

from __future__ import annotations

import dataclasses
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3 import object_acl, versions
from headwater.services.s3.bucket_rules import acl_from_policy, acls_enabled, is_owner_only, lookup, owner_of
from headwater.services.s3.errors import invalid_argument, invalid_request, s3_error
from headwater.services.s3.object_read import find_version
from headwater.services.s3.service import S3Core

Params = dict[str, Any]

ATTRIBUTES = ("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize")


async def get_object_attributes(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    wanted = params.get("ObjectAttributes") or []
    if isinstance(wanted, str):
        wanted = [part.strip() for part in wanted.split(",")]
    wanted = [name.strip() for name in wanted if name and name.strip()]
    if not wanted:
        raise invalid_request(
            "The x-amz-object-attributes header specifying the attributes to be retrieved is either "
            "missing or empty"
        )
    for name in wanted:
        if name not in ATTRIBUTES:
            raise invalid_argument("Invalid attribute name specified.", "x-amz-object-attributes", name)
    version = find_version(core, bucket, params["Key"], params.get("VersionId"), "GET")
    result: Params = {"LastModified": versions.stamp(version.last_modified_ms)}
    if versions.is_versioned(bucket):
        result["VersionId"] = version.version_id
    if "ETag" in wanted:
        result["ETag"] = version.etag.strip('"')  # unquoted here, unlike everywhere else
    if "Checksum" in wanted and version.checksums:
        # a composite checksum is shown without its "-<parts>" suffix here (GetObject keeps it)
        composite = version.checksum_type == "COMPOSITE"
        checksum: Params = {
            f"Checksum{alg}": value.rsplit("-", 1)[0] if composite else value
            for alg, value in version.checksums.items()
        }
        if version.checksum_type:
            checksum["ChecksumType"] = version.checksum_type
        result["Checksum"] = checksum
    if "ObjectParts" in wanted and version.part_sizes:
        result["ObjectParts"] = _parts(version.part_sizes, params)
    if "StorageClass" in wanted:
        result["StorageClass"] = version.storage_class
    if "ObjectSize" in wanted:
        result["ObjectSize"] = version.size
    return result


def _parts(sizes: tuple[int, ...], params: Params) -> Params:
    marker = int(params.get("PartNumberMarker") or 0)
    max_parts = int(params.get("MaxParts") or 1000)
    numbers = [n for n in range(1, len(sizes) + 1) if n > marker]
    page = numbers[:max_parts]
    parts: Params = {
        "TotalPartsCount": len(sizes),
        "PartNumberMarker": marker,
        "MaxParts": max_parts,
        "IsTruncated": len(numbers) > len(page),
        "Parts": [{"PartNumber": n, "Size": sizes[n - 1]} for n in page],
    }
    if page:
        parts["NextPartNumberMarker"] = page[-1]
    return parts


async def get_object_acl(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    version = find_version(core, bucket, params["Key"], params.get("VersionId"), "GET")
    owner = version.owner or bucket.account
    return {"Owner": owner_of(owner), "Grants": object_acl.grants_of(bucket, version)}


async def put_object_acl(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    """Replaces the ACL of the version named, in place (no new version, as in S3)."""
    bucket = lookup(core, params)
    key: str = params["Key"]
    version = find_version(core, bucket, key, params.get("VersionId"), "PUT")
    document = params.get("AccessControlPolicy")
    sent = object_acl.requested(params)
    if sent and document:
        raise s3_error("UnexpectedContent", "This request does not support content")
    owner = version.owner or bucket.account
    if sent:
        object_acl.check(bucket, params)
        _, grants = object_acl.resolve(bucket, sent, owner)
    elif document:
        listed = acl_from_policy(document)
        object_acl.check_grants(bucket, listed)
        grants = tuple(listed) if acls_enabled(bucket) and not _default(listed, owner) else ()
    else:
        raise object_acl.missing_acl()
    updated = dataclasses.replace(version, acl=grants)
    current = core.store.versions(bucket.name, key)
    await core.store.set_versions(bucket.name, key, [updated if v is version else v for v in current])
    return {"VersionId": version.version_id} if versions.is_versioned(bucket) else {}


def _default(grants: list[dict[str, Any]], owner: str) -> bool:
    return len(grants) == 1 and is_owner_only(grants, owner)
