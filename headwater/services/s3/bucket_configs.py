"""A bucket's configurations: tagging, versioning, default encryption, ownership controls, Block
Public Access, ACL, and the settings tools read on every bucket (accelerate, request payment,
logging, website, replication, object lock, analytics/inventory/metrics lists).

Each is stored under `Bucket.configs` as the parameter dict S3 takes, and read back as S3 answers
for a bucket that never set it: a default value where S3 has one (encryption: SSE-S3; request
payment: BucketOwner; accelerate and logging: empty) and S3's "not found" error otherwise.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3.bucket_rules import (
    OWNERSHIPS,
    PUBLIC_ACCESS_SETTINGS,
    access_denied,
    acl_error,
    acl_from_params,
    acl_from_policy,
    acls_enabled,
    check_tag_set,
    is_owner_only,
    is_public_acl,
    lookup,
    no_content,
    not_found,
    owner_grant,
    owner_of,
    public_access_block,
    save,
    stored_config,
)
from headwater.services.s3.errors import invalid_argument, invalid_request, malformed_xml, s3_error
from headwater.services.s3.service import S3Core

Params = dict[str, Any]
DEFAULT_ENCRYPTION = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
}
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


# -- tagging --------------------------------------------------------------------------------------


async def get_tagging(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    tagging = stored_config(bucket, "tagging", "NoSuchTagSet", "The TagSet does not exist")
    if not tagging["TagSet"]:  # an empty PutBucketTagging leaves no tag set behind
        raise not_found("NoSuchTagSet", "The TagSet does not exist", bucket.name)
    return {"TagSet": tagging["TagSet"]}


async def put_tagging(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    tag_set = (params.get("Tagging") or {}).get("TagSet")
    if tag_set is None:
        raise malformed_xml()
    tags = check_tag_set(tag_set, 50)
    bucket = lookup(core, params)
    await save(core, bucket, "tagging", {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    return no_content()


async def delete_tagging(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    await save(core, lookup(core, params), "tagging", None)
    return no_content()


# -- versioning -----------------------------------------------------------------------------------


async def get_versioning(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    if bucket.versioning is None:
        return {}  # never versioned: S3 answers an empty VersioningConfiguration
    result: Params = {"Status": bucket.versioning}
    if bucket.configs.get("mfa_delete"):
        result["MFADelete"] = bucket.configs["mfa_delete"]
    return result


async def put_versioning(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    config = params.get("VersioningConfiguration") or {}
    status, mfa_delete = config.get("Status"), config.get("MFADelete")
    if status is None and mfa_delete is None:
        raise s3_error("IllegalVersioningConfigurationException", "The Versioning element must be specified")
    if status not in (None, "Enabled", "Suspended") or mfa_delete not in (None, "Enabled", "Disabled"):
        raise malformed_xml()
    if mfa_delete == "Enabled" or params.get("MFA"):
        # MFA delete needs an account's root credentials and an MFA device: not emulated
        raise s3_error(
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
            501,
            Header="x-amz-mfa",
        )
    bucket = lookup(core, params)
    if status == "Suspended" and bucket.configs.get("object_lock"):
        raise s3_error(
            "InvalidBucketState",
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be "
            "changed.",
            409,
        )
    if mfa_delete is not None:
        bucket = bucket.with_config("mfa_delete", mfa_delete)
    if status is not None:
        bucket = dataclasses.replace(bucket, versioning=status)
    await core.store.put_bucket(bucket)
    return {}


# -- default encryption ---------------------------------------------------------------------------


async def get_encryption(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    # every bucket is encrypted since 2023: without a configuration of its own, SSE-S3
    return {"ServerSideEncryptionConfiguration": bucket.configs.get("encryption") or DEFAULT_ENCRYPTION}


async def put_encryption(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    rules = (params.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    if len(rules) != 1:
        raise malformed_xml()
    rule = rules[0]
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = default.get("SSEAlgorithm")
    if algorithm not in SSE_ALGORITHMS:
        raise malformed_xml()
    if default.get("KMSMasterKeyID") and algorithm == "AES256":
        raise invalid_argument(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
            "ApplyServerSideEncryptionByDefault",
        )
    stored: Params = {
        "ApplyServerSideEncryptionByDefault": {
            name: default[name] for name in ("SSEAlgorithm", "KMSMasterKeyID") if default.get(name)
        },
        "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
    }
    if rule.get("BlockedEncryptionTypes"):
        stored["BlockedEncryptionTypes"] = rule["BlockedEncryptionTypes"]
    await save(core, lookup(core, params), "encryption", {"Rules": [stored]})
    return {}


async def delete_encryption(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    await save(core, lookup(core, params), "encryption", None)  # back to the SSE-S3 default
    return no_content()


# -- ownership controls and Block Public Access ---------------------------------------------------


async def get_ownership(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    controls = stored_config(
        bucket, "ownership", "OwnershipControlsNotFoundError", "The bucket ownership controls were not found"
    )
    return {"OwnershipControls": controls}


async def put_ownership(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    rules = (params.get("OwnershipControls") or {}).get("Rules") or []
    if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIPS:
        raise malformed_xml()
    bucket = lookup(core, params)
    acl = (bucket.configs.get("acl") or {}).get("Grants") or []
    if rules[0]["ObjectOwnership"] == "BucketOwnerEnforced" and not is_owner_only(acl, bucket.account):
        raise s3_error(
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        )
    await save(core, bucket, "ownership", {"Rules": [{"ObjectOwnership": rules[0]["ObjectOwnership"]}]})
    return {}


async def delete_ownership(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    await save(core, lookup(core, params), "ownership", None)
    return no_content()


async def get_public_access_block(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    if bucket.configs.get("public_access_block") is None:
        raise not_found(
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
            bucket.name,
        )
    return {"PublicAccessBlockConfiguration": public_access_block(bucket)}


async def put_public_access_block(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    config = params.get("PublicAccessBlockConfiguration")
    if config is None:
        raise malformed_xml()
    settings = {name: bool(config.get(name, False)) for name in PUBLIC_ACCESS_SETTINGS}
    await save(core, lookup(core, params), "public_access_block", settings)
    return {}


async def delete_public_access_block(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    await save(core, lookup(core, params), "public_access_block", None)
    return no_content()


# -- access control list --------------------------------------------------------------------------


async def get_acl(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    stored = bucket.configs.get("acl") if acls_enabled(bucket) else None
    grants = stored["Grants"] if stored else [owner_grant(bucket.account)]
    return {"Owner": owner_of(bucket.account), "Grants": grants}


async def put_acl(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    grants = acl_from_params(params, bucket.account)
    document = params.get("AccessControlPolicy")
    if grants is not None and document:
        raise s3_error("UnexpectedContent", "This request does not support content")
    if grants is None:
        if not document:
            raise s3_error(
                "MissingSecurityHeader",
                "Your request was missing a required header",
                MissingHeaderName="x-amz-acl",
            )
        grants = acl_from_policy(document)
    if not acls_enabled(bucket):
        # with ACLs disabled S3 accepts only the ACL that changes nothing
        if not is_owner_only(grants, bucket.account):
            raise acl_error()
        return {}
    if is_public_acl(grants) and public_access_block(bucket)["BlockPublicAcls"]:
        raise access_denied()
    await save(core, bucket, "acl", None if is_owner_only(grants, bucket.account) else {"Grants": grants})
    return {}


# -- settings read by tools on every bucket -------------------------------------------------------


async def get_accelerate(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    status = lookup(core, params).configs.get("accelerate")
    return {"Status": status} if status else {}


async def put_accelerate(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    status = (params.get("AccelerateConfiguration") or {}).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise malformed_xml()
    bucket = lookup(core, params)
    if "." in bucket.name:
        raise invalid_request(
            "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names"
        )
    await save(core, bucket, "accelerate", status)
    return {}


async def get_request_payment(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    return {"Payer": lookup(core, params).configs.get("request_payment") or "BucketOwner"}


async def put_request_payment(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    payer = (params.get("RequestPaymentConfiguration") or {}).get("Payer")
    if payer not in ("Requester", "BucketOwner"):
        raise malformed_xml()
    await save(core, lookup(core, params), "request_payment", payer)
    return {}


async def get_logging(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    logging = lookup(core, params).configs.get("logging")
    return {"LoggingEnabled": logging} if logging else {}


async def put_logging(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    enabled = (params.get("BucketLoggingStatus") or {}).get("LoggingEnabled")
    bucket = lookup(core, params)
    if enabled:
        target = enabled.get("TargetBucket")
        if not target or enabled.get("TargetPrefix") is None:
            raise malformed_xml()
        target_bucket = core.store.bucket(target)
        if target_bucket is None:
            raise s3_error(
                "InvalidTargetBucketForLogging",
                "The target bucket for logging does not exist",
                TargetBucket=target,
            )
        if target_bucket.region != bucket.region:
            raise s3_error(
                "CrossLocationLoggingProhibitted",
                "Cross S3 location logging not allowed. ",
                403,
                SourceBucketLocation=bucket.region,
                TargetBucketLocation=target_bucket.region,
            )
    await save(core, bucket, "logging", enabled or None)  # access_log.py delivers the records
    return {}


async def get_website(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    website = stored_config(
        bucket,
        "website",
        "NoSuchWebsiteConfiguration",
        "The specified bucket does not have a website configuration",
    )
    return dict(website)


async def put_website(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    website = params.get("WebsiteConfiguration") or {}
    if not website.get("RedirectAllRequestsTo") and not (website.get("IndexDocument") or {}).get("Suffix"):
        raise invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            "IndexDocument",
        )
    await save(core, lookup(core, params), "website", website)  # stored: no website is served
    return {}


async def delete_website(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    await save(core, lookup(core, params), "website", None)
    return no_content()


async def get_replication(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    replication = stored_config(
        bucket,
        "replication",
        "ReplicationConfigurationNotFoundError",
        "The replication configuration was not found",
    )
    return {"ReplicationConfiguration": replication}


async def put_replication(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    config = params.get("ReplicationConfiguration") or {}
    if not config.get("Role") or not config.get("Rules"):
        raise malformed_xml()
    bucket = lookup(core, params)
    if bucket.versioning != "Enabled":
        raise invalid_request(
            "Versioning must be 'Enabled' on the bucket to apply a replication configuration"
        )
    await save(core, bucket, "replication", config)  # stored: nothing is replicated
    return {}


async def delete_replication(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    await save(core, lookup(core, params), "replication", None)
    return no_content()


async def get_object_lock(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    lock = stored_config(
        bucket,
        "object_lock",
        "ObjectLockConfigurationNotFoundError",
        "Object Lock configuration does not exist for this bucket",
    )
    return {"ObjectLockConfiguration": lock}


async def put_object_lock(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    config = params.get("ObjectLockConfiguration")
    if config is None:
        raise s3_error("MissingRequestBodyError", "Request Body is empty")
    if config.get("ObjectLockEnabled") != "Enabled":
        raise malformed_xml()
    retention = (config.get("Rule") or {}).get("DefaultRetention")
    if config.get("Rule") is not None:
        retention = retention or {}
        days, years = retention.get("Days"), retention.get("Years")
        if retention.get("Mode") not in ("GOVERNANCE", "COMPLIANCE") or (days is None) == (years is None):
            raise malformed_xml()
        period = days if days is not None else years
        if not isinstance(period, int) or period <= 0:
            raise invalid_argument(
                "Default retention period must be a positive integer value.",
                "Days" if days is not None else "Years",
                str(period),
            )
    bucket = lookup(core, params)
    if bucket.versioning != "Enabled":
        raise s3_error(
            "InvalidBucketState",
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
            409,
        )
    await save(core, bucket, "object_lock", config)
    return {}


async def list_nothing(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    """Analytics, metrics and intelligent-tiering configurations: none, ever (inventory.py keeps
    inventory configurations)."""
    lookup(core, params)
    return {"IsTruncated": False}


async def no_such_configuration(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    raise not_found("NoSuchConfiguration", "The specified configuration does not exist.", bucket.name)


OPERATIONS = {
    "GetBucketTagging": get_tagging,
    "PutBucketTagging": put_tagging,
    "DeleteBucketTagging": delete_tagging,
    "GetBucketVersioning": get_versioning,
    "PutBucketVersioning": put_versioning,
    "GetBucketEncryption": get_encryption,
    "PutBucketEncryption": put_encryption,
    "DeleteBucketEncryption": delete_encryption,
    "GetBucketOwnershipControls": get_ownership,
    "PutBucketOwnershipControls": put_ownership,
    "DeleteBucketOwnershipControls": delete_ownership,
    "GetPublicAccessBlock": get_public_access_block,
    "PutPublicAccessBlock": put_public_access_block,
    "DeletePublicAccessBlock": delete_public_access_block,
    "GetBucketAcl": get_acl,
    "PutBucketAcl": put_acl,
    "GetBucketAccelerateConfiguration": get_accelerate,
    "PutBucketAccelerateConfiguration": put_accelerate,
    "GetBucketRequestPayment": get_request_payment,
    "PutBucketRequestPayment": put_request_payment,
    "GetBucketLogging": get_logging,
    "PutBucketLogging": put_logging,
    "GetBucketWebsite": get_website,
    "PutBucketWebsite": put_website,
    "DeleteBucketWebsite": delete_website,
    "GetBucketReplication": get_replication,
    "PutBucketReplication": put_replication,
    "DeleteBucketReplication": delete_replication,
    "GetObjectLockConfiguration": get_object_lock,
    "PutObjectLockConfiguration": put_object_lock,
    "ListBucketAnalyticsConfigurations": list_nothing,
    "ListBucketMetricsConfigurations": list_nothing,
    "ListBucketIntelligentTieringConfigurations": list_nothing,
    **{
        f"{verb}Bucket{kind}Configuration": no_such_configuration
        for verb in ("Get", "Delete")
        for kind in ("Analytics", "Metrics", "IntelligentTiering")
    },
}
