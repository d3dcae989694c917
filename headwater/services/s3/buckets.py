"""Buckets: create, head, delete, list, locate; and the operation table of every bucket operation.

Bucket names are global: one name, one owner, whatever the account or region asking. New buckets
get S3's defaults since April 2023 stored as real configurations: object ownership
BucketOwnerEnforced (ACLs disabled) and all four Block Public Access settings on, so that reading
them answers what S3 answers and deleting them behaves as on S3.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3 import (
    bucket_configs,
    cors,
    inventory,
    lifecycle_rules,
    notification_config,
    policy,
)
from headwater.services.s3.bucket_rules import (
    DEFAULT_REGION,
    OWNERSHIPS,
    PUBLIC_ACCESS_SETTINGS,
    acl_from_params,
    bucket_arn,
    bucket_region,
    check_bucket_name,
    check_namespace,
    check_tag_set,
    is_owner_only,
    is_public_acl,
    is_valid_bucket_name,
    lookup,
    no_content,
    owner_of,
)
from headwater.services.s3.errors import invalid_argument, not_implemented, s3_error
from headwater.services.s3.metrics import NS as METRICS_NS
from headwater.services.s3.records import Bucket
from headwater.services.s3.service import S3Core
from headwater.services.s3.store import settle

MAX_BUCKETS = 10_000
_LIST_PARAMS = ("MaxBuckets", "ContinuationToken", "Prefix", "BucketRegion")


async def create_bucket(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name = params.get("Bucket") or ""
    check_bucket_name(name)
    config = params.get("CreateBucketConfiguration") or {}
    if config.get("Location") or config.get("Bucket"):
        raise not_implemented("CreateBucketConfiguration")  # directory buckets are another product
    region = bucket_region(ctx.region, config.get("LocationConstraint"))
    namespace = check_namespace(name, params.get("BucketNamespace"), ctx.account, region)
    tags = check_tag_set(config["Tags"], 50) if config.get("Tags") else None
    ownership = params.get("ObjectOwnership")
    if ownership is not None and ownership not in OWNERSHIPS:
        raise invalid_argument(
            f"Invalid x-amz-object-ownership header: {ownership}", "x-amz-object-ownership", ownership
        )
    grants = acl_from_params(params, ctx.account)
    if grants is not None and not is_owner_only(grants, ctx.account):
        if (ownership or "BucketOwnerEnforced") == "BucketOwnerEnforced":
            raise s3_error(
                "InvalidBucketAclWithObjectOwnership",
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            )
        if is_public_acl(grants):  # Block Public Access is on from the start
            raise s3_error(
                "InvalidBucketAclWithBlockPublicAccessError",
                "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
            )

    existing = core.store.bucket(name)
    if existing is not None:
        if existing.account != ctx.account:
            raise s3_error(
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared by all users "
                "of the system. Please select a different name and try again.",
                409,
                BucketName=name,
            )
        if existing.region != DEFAULT_REGION or ctx.region != DEFAULT_REGION:
            raise s3_error(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                409,
                BucketName=name,
            )
        # North Virginia's legacy: re-creating your own bucket succeeds and resets its ACL
        await core.store.put_bucket(existing.with_config("acl", _acl_config(grants, ctx.account)))
        return {"Location": f"/{name}", "BucketArn": bucket_arn(name)}

    lock = params.get("ObjectLockEnabledForBucket") in (True, "true", "True")
    configs: dict[str, Any] = {
        "ownership": {"Rules": [{"ObjectOwnership": ownership or "BucketOwnerEnforced"}]},
        "public_access_block": dict.fromkeys(PUBLIC_ACCESS_SETTINGS, True),
    }
    if namespace is not None:
        configs["namespace"] = namespace
    if config.get("LocationConstraint") == "EU":
        configs["location"] = "EU"
    if tags:
        configs["tagging"] = {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    if lock:
        configs["object_lock"] = {"ObjectLockEnabled": "Enabled"}
    if (acl := _acl_config(grants, ctx.account)) is not None:
        configs["acl"] = acl
    bucket = Bucket(
        name=name,
        account=ctx.account,
        region=region,
        created_ms=core.now_ms(),
        versioning="Enabled" if lock else None,  # Object Lock needs versioning: S3 turns it on
        configs={},
    )
    for key, value in configs.items():
        bucket = bucket.with_config(key, value)
    await core.store.put_bucket(bucket)
    location = f"/{name}" if region == DEFAULT_REGION else _virtual_host_url(name, ctx)
    return {"Location": location, "BucketArn": bucket_arn(name)}


def _acl_config(grants: list[dict[str, Any]] | None, account: str) -> dict[str, Any] | None:
    return None if grants is None or is_owner_only(grants, account) else {"Grants": grants}


def _virtual_host_url(name: str, ctx: RequestContext) -> str:
    # S3 answers http://<bucket>.s3.amazonaws.com/ outside us-east-1: the same, on our host
    host = ctx.host.removeprefix(f"{name}.")
    return f"{ctx.scheme}://{name}.{host}/"


async def head_bucket(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    return {"BucketRegion": bucket.region, "AccessPointAlias": False, "BucketArn": bucket_arn(bucket.name)}


async def delete_bucket(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    if core.store.object_count(bucket.name):
        message = "The bucket you tried to delete is not empty"
        if bucket.versioning is not None:
            message += ". You must delete all versions in the bucket."
        raise s3_error("BucketNotEmpty", message, 409, BucketName=bucket.name)
    # S3 deletes a bucket whose multipart uploads are still in progress: they go with it
    uploads = core.store.uploads(bucket.name)
    writes = [core.store.drop_upload(bucket.name, upload.upload_id) for upload in uploads]
    writes.append(core.store.drop_bucket(bucket.name))
    parts = [part.blob_id for upload in uploads for part in upload.parts.values()]
    await core.store.release(settle(writes), parts)
    core.metrics.forget(METRICS_NS, (("BucketName", bucket.name),))
    return no_content()


async def list_buckets(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    prefix = params.get("Prefix") or ""
    region = params.get("BucketRegion")
    limit = params.get("MaxBuckets")
    if limit is not None and not (isinstance(limit, int) and 1 <= limit <= MAX_BUCKETS):
        raise invalid_argument(
            f"Argument max-buckets must be an integer between 1 and {MAX_BUCKETS}", "max-buckets", str(limit)
        )
    token = params.get("ContinuationToken")
    after = _token_name(token) if token is not None else None
    mine = [
        bucket
        for bucket in core.store.buckets()
        if bucket.account == ctx.account
        and bucket.name.startswith(prefix)
        and (region is None or bucket.region == region)
        and (after is None or bucket.name > after)
    ]
    # with any of the paging parameters S3 answers pages (10,000 at most)
    paged = any(params.get(name) is not None for name in _LIST_PARAMS)
    page = mine[: limit or MAX_BUCKETS] if paged else mine
    result: dict[str, Any] = {
        "Buckets": [_bucket_entry(bucket) for bucket in page],
        "Owner": owner_of(ctx.account),
    }
    if len(page) < len(mine):
        result["ContinuationToken"] = base64.urlsafe_b64encode(page[-1].name.encode()).decode().rstrip("=")
    if prefix:
        result["Prefix"] = prefix
    return result


def _bucket_entry(bucket: Bucket) -> dict[str, Any]:
    return {
        "Name": bucket.name,
        "CreationDate": dt.datetime.fromtimestamp(bucket.created_ms / 1000, dt.UTC),
        "BucketRegion": bucket.region,
        "BucketArn": bucket_arn(bucket.name),
    }


def _token_name(token: str) -> str:
    try:
        name = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        name = ""
    if not is_valid_bucket_name(name):
        raise invalid_argument("The continuation token provided is incorrect", "continuation-token", token)
    return name


async def get_bucket_location(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    if bucket.configs.get("location"):
        return {"LocationConstraint": bucket.configs["location"]}
    # a us-east-1 bucket has no constraint: the codec renders the empty element
    return {"LocationConstraint": None if bucket.region == DEFAULT_REGION else bucket.region}


OPERATIONS = {
    "CreateBucket": create_bucket,
    "HeadBucket": head_bucket,
    "DeleteBucket": delete_bucket,
    "ListBuckets": list_buckets,
    "GetBucketLocation": get_bucket_location,
    **bucket_configs.OPERATIONS,
    **cors.OPERATIONS,
    **inventory.OPERATIONS,
    **lifecycle_rules.OPERATIONS,
    **notification_config.OPERATIONS,
    **policy.OPERATIONS,
}
