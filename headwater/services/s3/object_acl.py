"""Object ACLs: what a write's x-amz-acl / x-amz-grant-* headers or a PutObjectAcl grant, who owns
the object, and what the grants let other accounts do.

Theory of operation
-------------------
A bucket's object ownership decides whether object ACLs exist at all. With BucketOwnerEnforced
(S3's default since 2023) they are disabled: the bucket owner owns every object and any ACL but the
owner's full control is AccessControlListNotSupported. With ObjectWriter the writer owns what it
writes; with BucketOwnerPreferred the bucket owner takes ownership when the writer grants it
`bucket-owner-full-control`. Either way the ACL is kept on the version (`ObjectVersion.acl`, the
full grant list; empty for the default "owner has FULL_CONTROL"), returned by GetObjectAcl and
read by the access checks (`allows`): READ lets a grantee get the object, READ_ACP read its ACL,
WRITE_ACP replace it, FULL_CONTROL all three. Block Public Access applies: BlockPublicAcls refuses
a public grant (AllUsers/AuthenticatedUsers), IgnorePublicAcls makes stored ones count for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.s3.bucket_rules import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    acl_error,
    acl_from_params,
    acls_enabled,
    canonical_id,
    group_grant,
    is_owner_only,
    is_public_acl,
    owner_grant,
    public_access_block,
)
from headwater.services.s3.errors import invalid_argument, invalid_request, s3_error
from headwater.services.s3.records import Bucket, ObjectVersion

Grants = tuple[dict[str, Any], ...]

CANNED = frozenset(
    [
        "private",
        "public-read",
        "public-read-write",
        "authenticated-read",
        "aws-exec-read",
        "bucket-owner-read",
        "bucket-owner-full-control",
    ]
)
_OWNER_ONLY_CANNED = frozenset({"private", "bucket-owner-full-control"})
MEMBERS = ("ACL", "GrantFullControl", "GrantRead", "GrantReadACP", "GrantWriteACP", "GrantWrite")
# the IAM actions each object permission allows
_ALLOWS = {
    "READ": frozenset({"s3:GetObject", "s3:GetObjectVersion"}),
    "READ_ACP": frozenset({"s3:GetObjectAcl", "s3:GetObjectVersionAcl"}),
    "WRITE_ACP": frozenset({"s3:PutObjectAcl", "s3:PutObjectVersionAcl"}),
}
_ALLOWS["FULL_CONTROL"] = frozenset().union(*_ALLOWS.values())


def requested(params: Mapping[str, Any]) -> dict[str, str]:
    """The ACL members a request sent (kept with an upload until it completes)."""
    return {name: str(params[name]) for name in MEMBERS if params.get(name) is not None}


def check(bucket: Bucket, params: Mapping[str, Any]) -> None:
    """What S3 refuses of a request's ACL headers, before anything is written."""
    canned = params.get("ACL")
    if canned is not None:
        if canned not in CANNED:
            raise invalid_argument("Invalid canned ACL", "x-amz-acl", str(canned))
        if canned not in _OWNER_ONLY_CANNED and not acls_enabled(bucket):
            raise acl_error()
        grant_only = {name: value for name, value in params.items() if name != "ACL"}
        if acl_from_params(grant_only, bucket.account) is not None:
            raise invalid_request("Specifying both Canned ACLs and Header Grants is not allowed")
        if canned in ("public-read", "public-read-write", "authenticated-read"):
            _check_public(bucket, True)
        return
    grants = acl_from_params(params, bucket.account)
    if grants is not None:
        check_grants(bucket, grants)


def check_grants(bucket: Bucket, grants: Sequence[Mapping[str, Any]]) -> None:
    if not acls_enabled(bucket) and not is_owner_only(grants, bucket.account):
        raise acl_error()
    _check_public(bucket, is_public_acl(grants))


def _check_public(bucket: Bucket, public: bool) -> None:
    if public and public_access_block(bucket)["BlockPublicAcls"]:
        raise s3_error("AccessDenied", "Access Denied", 403)


def resolve(bucket: Bucket, acl: Mapping[str, str], writer: str) -> tuple[str, Grants]:
    """(owner account, grants to keep) of an object written by `writer` with these ACL members."""
    canned = acl.get("ACL")
    if not acls_enabled(bucket):
        return bucket.account, ()
    preferred = _ownership(bucket) == "BucketOwnerPreferred"
    owner = bucket.account if preferred and canned == "bucket-owner-full-control" else writer
    if canned is not None:
        return owner, canned_grants(canned, owner, bucket.account)
    grants = acl_from_params(acl, owner)
    return owner, tuple(grants) if grants is not None else ()


def canned_grants(canned: str, owner: str, bucket_owner: str) -> Grants:
    grants = [owner_grant(owner)]
    if canned in ("public-read", "public-read-write"):
        grants.append(group_grant(ALL_USERS, "READ"))
    if canned == "public-read-write":
        grants.append(group_grant(ALL_USERS, "WRITE"))
    if canned == "authenticated-read":
        grants.append(group_grant(AUTHENTICATED_USERS, "READ"))
    if canned in ("bucket-owner-read", "bucket-owner-full-control") and bucket_owner != owner:
        permission = "READ" if canned == "bucket-owner-read" else "FULL_CONTROL"
        grants.append({**owner_grant(bucket_owner), "Permission": permission})
    return tuple(grants) if len(grants) > 1 else ()


def _ownership(bucket: Bucket) -> str:
    rules = (bucket.configs.get("ownership") or {}).get("Rules") or [{}]
    return str(rules[0].get("ObjectOwnership") or "ObjectWriter")


def grants_of(bucket: Bucket, version: ObjectVersion) -> list[dict[str, Any]]:
    """The object's ACL as GetObjectAcl shows it."""
    owner = version.owner or bucket.account
    if not acls_enabled(bucket) or not version.acl:
        return [owner_grant(owner)]
    return [dict(grant) for grant in version.acl]


def allows(bucket: Bucket, version: ObjectVersion | None, account: str, action: str) -> bool:
    """Whether the object's owner or its ACL lets `account` do `action` (an object IAM action)."""
    if version is None or not acls_enabled(bucket):
        return False
    if (version.owner or bucket.account) == account and action in _ALLOWS["FULL_CONTROL"]:
        return True  # a writer owns its objects on ObjectWriter buckets
    ignore_public = public_access_block(bucket)["IgnorePublicAcls"]
    canonical = canonical_id(account)
    for grant in version.acl:
        grantee = grant.get("Grantee") or {}
        public = grantee.get("URI") in (ALL_USERS, AUTHENTICATED_USERS)
        applies = grantee.get("ID") == canonical or (public and not ignore_public)
        if applies and action in _ALLOWS.get(str(grant.get("Permission")), ()):
            return True
    return False


def missing_acl() -> AwsError:
    return s3_error(
        "MissingSecurityHeader", "Your request was missing a required header", MissingHeaderName="x-amz-acl"
    )
