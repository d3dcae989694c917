"""GetObjectAttributes, and object ACLs (GetObjectAcl/PutObjectAcl).

Objects keep no ACL of their own: every object belongs to its writer with FULL_CONTROL, which is
what S3 answers for buckets that enforce bucket-owner ownership (the default since 2023). A
PutObjectAcl that asks for that is accepted; a wider one is refused where the bucket disables ACLs
and accepted (but not kept) where it enables them.
"""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3 import versions
from headwater.services.s3.bucket_rules import (
    acl_error,
    acl_from_policy,
    acls_enabled,
    is_owner_only,
    lookup,
    owner_grant,
    owner_of,
)
from headwater.services.s3.errors import invalid_argument, invalid_request, s3_error
from headwater.services.s3.object_read import find_version
from headwater.services.s3.object_write import check_acl
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
    return {"Owner": owner_of(owner), "Grants": [owner_grant(owner)]}


async def put_object_acl(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    find_version(core, bucket, params["Key"], params.get("VersionId"), "PUT")
    document = params.get("AccessControlPolicy")
    has_headers = params.get("ACL") is not None or any(params.get(name) for name in _GRANTS)
    if has_headers and document:
        raise s3_error("UnexpectedContent", "This request does not support content")
    if has_headers:
        check_acl(bucket, params)
        return {}
    if not document:
        raise s3_error(
            "MissingSecurityHeader",
            "Your request was missing a required header",
            MissingHeaderName="x-amz-acl",
        )
    grants = acl_from_policy(document)
    if not acls_enabled(bucket) and not is_owner_only(grants, bucket.account):
        raise acl_error()
    return {}


_GRANTS = ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP")
