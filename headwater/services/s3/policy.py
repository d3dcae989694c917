"""Bucket policies: Get/Put/DeleteBucketPolicy, GetBucketPolicyStatus, and `authorize`, which the
gateway calls for every S3 request when it runs with `--auth strict`.

`authorize` maps the operation to its IAM action (ListObjectsV2 -> s3:ListBucket, HeadObject ->
s3:GetObject, UploadPart -> s3:PutObject, DeleteObjects -> s3:DeleteObject, called once per key...)
and its resource (the bucket's ARN, or the object's), then decides:
- an explicit Deny of the bucket policy that applies refuses, whoever asks;
- the bucket owner's account is allowed otherwise;
- another account needs an Allow of the policy, or a grant of the bucket's ACL (when ACLs are
  enabled): READ lists, WRITE writes and deletes objects, READ_ACP/WRITE_ACP read/write the ACL.
See policy_eval for how principals and conditions are matched (unsupported conditions never
grant access and always fence other accounts off).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3 import object_acl
from headwater.services.s3.bucket_rules import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    access_denied,
    acls_enabled,
    canonical_id,
    lookup,
    no_content,
    public_access_block,
    save,
    stored_config,
)
from headwater.services.s3.errors import s3_error
from headwater.services.s3.policy_eval import Request, evaluate, is_public_policy, malformed, parse_policy
from headwater.services.s3.records import Bucket, ObjectVersion
from headwater.services.s3.service import S3Core

# operation -> IAM action, for operations on objects (the resource is arn:aws:s3:::bucket/key)
OBJECT_ACTIONS: dict[str, str] = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "SelectObjectContent": "s3:GetObject",
    "GetObjectAttributes": "s3:GetObjectAttributes",
    "PutObject": "s3:PutObject",
    "PostObject": "s3:PutObject",
    "CopyObject": "s3:PutObject",  # the destination; the source needs s3:GetObject (a second call)
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
    "GetObjectTagging": "s3:GetObjectTagging",
    "PutObjectTagging": "s3:PutObjectTagging",
    "DeleteObjectTagging": "s3:DeleteObjectTagging",
    "GetObjectAcl": "s3:GetObjectAcl",
    "PutObjectAcl": "s3:PutObjectAcl",
    "GetObjectRetention": "s3:GetObjectRetention",
    "PutObjectRetention": "s3:PutObjectRetention",
    "GetObjectLegalHold": "s3:GetObjectLegalHold",
    "PutObjectLegalHold": "s3:PutObjectLegalHold",
    "RestoreObject": "s3:RestoreObject",
    "GetObjectTorrent": "s3:GetObjectTorrent",
}
# the action on a given version, where IAM has one
_VERSION_ACTIONS = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
}
# operation -> IAM action, for operations on the bucket (the resource is arn:aws:s3:::bucket)
BUCKET_ACTIONS: dict[str, str] = {
    "CreateBucket": "s3:CreateBucket",
    "DeleteBucket": "s3:DeleteBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketTagging": "s3:GetBucketTagging",
    "PutBucketTagging": "s3:PutBucketTagging",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketLifecycle": "s3:GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycle": "s3:PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketAcl": "s3:GetBucketAcl",
    "PutBucketAcl": "s3:PutBucketAcl",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
    "GetBucketRequestPayment": "s3:GetBucketRequestPayment",
    "PutBucketRequestPayment": "s3:PutBucketRequestPayment",
    "GetBucketLogging": "s3:GetBucketLogging",
    "PutBucketLogging": "s3:PutBucketLogging",
    "GetBucketWebsite": "s3:GetBucketWebsite",
    "PutBucketWebsite": "s3:PutBucketWebsite",
    "DeleteBucketWebsite": "s3:DeleteBucketWebsite",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "PutBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "ListBucketAnalyticsConfigurations": "s3:GetAnalyticsConfiguration",
    "ListBucketInventoryConfigurations": "s3:GetInventoryConfiguration",
    "ListBucketMetricsConfigurations": "s3:GetMetricsConfiguration",
    "ListBucketIntelligentTieringConfigurations": "s3:GetIntelligentTieringConfiguration",
}
UNAUTHENTICATED = frozenset({"OptionsObject"})  # a CORS preflight carries no credentials
# the owner alone may use these: another account with the permission is answered 405
OWNER_ONLY = frozenset({"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"})
# what a grant of the bucket's ACL allows
_ACL_GRANTS = {
    "READ": frozenset({"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}),
    "WRITE": frozenset(
        {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"}
    ),
    "READ_ACP": frozenset({"s3:GetBucketAcl"}),
    "WRITE_ACP": frozenset({"s3:PutBucketAcl"}),
}
_OBJECT_IAM = frozenset(OBJECT_ACTIONS.values()) | frozenset(_VERSION_ACTIONS.values())
_BUCKET_IAM = frozenset(BUCKET_ACTIONS.values())


def action_for(operation: str, key: str | None, version_id: str | None = None) -> tuple[str, bool]:
    """(IAM action, whether it acts on an object) for an operation."""
    if operation in OBJECT_ACTIONS:
        action = OBJECT_ACTIONS[operation]
        return (_VERSION_ACTIONS.get(action, action) if version_id else action), True
    if operation in BUCKET_ACTIONS:
        return BUCKET_ACTIONS[operation], False
    return f"s3:{operation}", key is not None


def authorize(
    core: S3Core,
    bucket: Bucket,
    operation: str,
    account: str,
    key: str | None,
    *,
    version_id: str | None = None,
    context: Mapping[str, str] | None = None,
) -> None:
    """Raises AccessDenied (403) unless `account` may do `operation` on the bucket (or its `key`).
    `context`: condition keys the gateway knows (aws:SecureTransport, aws:SourceIp, s3:prefix...)."""
    if operation in UNAUTHENTICATED:
        return
    action, on_object = action_for(operation, key, version_id)
    resource = f"arn:aws:s3:::{bucket.name}" + (f"/{key}" if on_object and key is not None else "")
    owner = account == bucket.account
    keys = {name.lower(): value for name, value in (context or {}).items()}
    keys.setdefault("aws:principalaccount", account)
    keys.setdefault("aws:principalarn", f"arn:aws:iam::{account}:root")
    keys.setdefault("aws:principaltype", "Account")
    keys.setdefault("aws:currenttime", _iso(core.now_ms()))
    keys.setdefault("aws:epochtime", str(core.now_ms() // 1000))
    request = Request(
        account=account,
        canonical=canonical_id(account),
        owner=owner,
        action=action,
        resource=resource,
        context=keys,
        restrict_public=public_access_block(bucket)["RestrictPublicBuckets"],
    )
    verdict = evaluate(bucket.configs.get("policy"), request)
    allowed = owner or verdict == "allow" or _acl_allows(bucket, account, action)
    if not allowed and on_object and key is not None:
        allowed = object_acl.allows(bucket, _object(core, bucket, key, version_id), account, action)
    if verdict == "deny" or not allowed:
        error = access_denied()
        if operation == "HeadBucket":  # S3 tells the bucket's region even to those it refuses
            error.headers["x-amz-bucket-region"] = bucket.region
        raise error
    if operation in OWNER_ONLY and not owner:
        raise s3_error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            405,
            Method={"GetBucketPolicy": "GET", "PutBucketPolicy": "PUT"}.get(operation, "DELETE"),
            ResourceType="BUCKETPOLICY",
        )


def _object(core: S3Core, bucket: Bucket, key: str, version_id: str | None) -> ObjectVersion | None:
    """The version an object request names, for its ACL (None: the operation answers the miss)."""
    listed = core.store.versions(bucket.name, key)
    if version_id is None:
        return listed[0] if listed and not listed[0].delete_marker else None
    return next((v for v in listed if v.version_id == version_id), None)


def _acl_allows(bucket: Bucket, account: str, action: str) -> bool:
    if not acls_enabled(bucket):
        return False
    ignore_public = public_access_block(bucket)["IgnorePublicAcls"]
    canonical = canonical_id(account)
    for grant in (bucket.configs.get("acl") or {}).get("Grants") or []:
        grantee = grant.get("Grantee") or {}
        public = grantee.get("URI") in (ALL_USERS, AUTHENTICATED_USERS)
        if not (grantee.get("ID") == canonical or (public and not ignore_public)):
            continue
        permission = grant.get("Permission")
        if permission == "FULL_CONTROL" or action in _ACL_GRANTS.get(str(permission), ()):
            return True
    return False


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the operations -------------------------------------------------------------------------------


async def get_policy(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    text = stored_config(bucket, "policy", "NoSuchBucketPolicy", "The bucket policy does not exist")
    return {"Policy": text}  # as given, byte for byte


async def put_policy(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    text = params.get("Policy")
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError:
            raise malformed("Policies must be valid JSON and the first byte must be '{'") from None
    if not isinstance(text, str):
        raise malformed("Policies must be valid JSON and the first byte must be '{'")
    bucket = lookup(core, params)
    parse_policy(text, bucket.name, _OBJECT_IAM, _BUCKET_IAM)
    if public_access_block(bucket)["BlockPublicPolicy"] and is_public_policy(text):
        raise s3_error(
            "AccessDenied",
            f"User: arn:aws:iam::{ctx.account}:root is not authorized to perform: s3:PutBucketPolicy on "
            f'resource: "arn:aws:s3:::{bucket.name}" because public policies are blocked by the '
            "BlockPublicPolicy block public access setting.",
            403,
        )
    await save(core, bucket, "policy", text)
    return no_content()


async def delete_policy(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    await save(core, lookup(core, params), "policy", None)
    return no_content()


async def get_policy_status(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    text = stored_config(bucket, "policy", "NoSuchBucketPolicy", "The bucket policy does not exist")
    return {"PolicyStatus": {"IsPublic": is_public_policy(text)}}


OPERATIONS = {
    "GetBucketPolicy": get_policy,
    "PutBucketPolicy": put_policy,
    "DeleteBucketPolicy": delete_policy,
    "GetBucketPolicyStatus": get_policy_status,
}
