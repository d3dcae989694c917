"""A bucket's configurations: validation, round trips, and what S3 answers when one was never set."""

from __future__ import annotations

import pytest

from headwater.services.s3.bucket_rules import ALL_USERS, canonical_id, check_tag_set, owner_grant
from headwater.services.s3.notification_config import EVENTS
from tests.services.s3.harness import ACCOUNT, OTHER, FakeSqs, S3Harness, context, run_idle

B = "bucket"


def tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs]


@pytest.mark.parametrize(
    ("tag_set", "code", "message"),
    [
        (tags(("a", "1"), ("a", "2")), "InvalidTag", "Cannot provide multiple Tags with the same key"),
        (tags(("k" * 129, "v")), "InvalidTag", "The TagKey you have provided is invalid"),
        (tags(("", "v")), "InvalidTag", "The TagKey you have provided is invalid"),
        (tags(("k", "v" * 257)), "InvalidTag", "The TagValue you have provided is invalid"),
        (tags(("a,b", "v")), "InvalidTag", "The TagKey you have provided is invalid"),
        (tags(("k", "a\tb")), "InvalidTag", "The TagValue you have provided is invalid"),
        (tags(("aws:cost", "v")), "InvalidTag", "System tags cannot be added/updated by requester"),
        (tags(*((f"k{i}", "v") for i in range(51))), "BadRequest", "Bucket tags cannot be greater than 50"),
    ],
)
def test_tag_set_refusals(tag_set: list[dict[str, str]], code: str, message: str) -> None:
    with pytest.raises(Exception) as caught:
        check_tag_set(tag_set, 50)
    assert (getattr(caught.value, "code", None), str(caught.value)) == (code, message)


def test_tag_set_accepts_s3s_characters() -> None:
    accepted = tags(("k" * 128, "v" * 256), ("Team Name", ""), ("a+b-c=d.e_f:g/h@i", "é ü 1"))
    assert len(check_tag_set(accepted, 50)) == 3
    assert len(check_tag_set(tags(*((f"k{i}", "v") for i in range(50))), 50)) == 50


def test_tagging_round_trip() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error("GetBucketTagging", Bucket=B)
        assert (error.code, error.status, error.message) == ("NoSuchTagSet", 404, "The TagSet does not exist")
        assert error.details == {"BucketName": B}
        tag_set = tags(("team", "data"), ("env", "prod"))
        assert await h.call("PutBucketTagging", Bucket=B, Tagging={"TagSet": tag_set}) == {"__status__": 204}
        assert await h.call("GetBucketTagging", Bucket=B) == {"TagSet": tag_set}
        error = await h.error("PutBucketTagging", Bucket=B, Tagging={"TagSet": tags(("a", "1"), ("a", "2"))})
        assert error.details == {"TagKey": "a"}
        assert await h.call("GetBucketTagging", Bucket=B) == {"TagSet": tag_set}  # unchanged
        assert await h.call("DeleteBucketTagging", Bucket=B) == {"__status__": 204}
        assert (await h.error("GetBucketTagging", Bucket=B)).code == "NoSuchTagSet"

    run_idle(body)


def test_versioning() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        assert await h.call("GetBucketVersioning", Bucket=B) == {}
        await h.call("PutBucketVersioning", Bucket=B, VersioningConfiguration={"Status": "Enabled"})
        assert await h.call("GetBucketVersioning", Bucket=B) == {"Status": "Enabled"}
        await h.call(
            "PutBucketVersioning",
            Bucket=B,
            VersioningConfiguration={"Status": "Suspended", "MFADelete": "Disabled"},
        )
        assert await h.call("GetBucketVersioning", Bucket=B) == {
            "Status": "Suspended",
            "MFADelete": "Disabled",
        }
        assert (await h.error("PutBucketVersioning", Bucket=B, VersioningConfiguration={})).code == (
            "IllegalVersioningConfigurationException"
        )
        bad = await h.error("PutBucketVersioning", Bucket=B, VersioningConfiguration={"Status": "Off"})
        assert bad.code == "MalformedXML"
        mfa = await h.error(
            "PutBucketVersioning",
            Bucket=B,
            VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
        )
        assert (mfa.code, mfa.status) == ("NotImplemented", 501)
        await h.create_bucket("locked", ObjectLockEnabledForBucket=True)
        error = await h.error(
            "PutBucketVersioning", Bucket="locked", VersioningConfiguration={"Status": "Suspended"}
        )
        assert (error.code, error.status) == ("InvalidBucketState", 409)

    run_idle(body)


def test_encryption() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        default = {
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
            ]
        }
        assert await h.call("GetBucketEncryption", Bucket=B) == {"ServerSideEncryptionConfiguration": default}
        kms = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/data"}
        config = {"Rules": [{"ApplyServerSideEncryptionByDefault": kms, "BucketKeyEnabled": True}]}
        await h.call("PutBucketEncryption", Bucket=B, ServerSideEncryptionConfiguration=config)
        assert await h.call("GetBucketEncryption", Bucket=B) == {"ServerSideEncryptionConfiguration": config}
        plain = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
        await h.call("PutBucketEncryption", Bucket=B, ServerSideEncryptionConfiguration=plain)
        assert await h.call("GetBucketEncryption", Bucket=B) == {"ServerSideEncryptionConfiguration": default}
        for bad in (
            {"Rules": []},
            {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "ROT13"}}]},
            {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}] * 2},
        ):
            error = await h.error("PutBucketEncryption", Bucket=B, ServerSideEncryptionConfiguration=bad)
            assert error.code == "MalformedXML"
        mixed = {
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}
            ]
        }
        error = await h.error("PutBucketEncryption", Bucket=B, ServerSideEncryptionConfiguration=mixed)
        assert error.code == "InvalidArgument"
        assert await h.call("DeleteBucketEncryption", Bucket=B) == {"__status__": 204}
        assert await h.call("GetBucketEncryption", Bucket=B) == {"ServerSideEncryptionConfiguration": default}

    run_idle(body)


def test_ownership_and_public_access_block() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        assert await h.call("GetBucketOwnershipControls", Bucket=B) == {
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        }
        every = dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        )
        assert await h.call("GetPublicAccessBlock", Bucket=B) == {"PublicAccessBlockConfiguration": every}
        await h.call(
            "PutPublicAccessBlock", Bucket=B, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
        )
        assert (await h.call("GetPublicAccessBlock", Bucket=B))["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        }
        assert await h.call("DeletePublicAccessBlock", Bucket=B) == {"__status__": 204}
        error = await h.error("GetPublicAccessBlock", Bucket=B)
        assert (error.code, error.status) == ("NoSuchPublicAccessBlockConfiguration", 404)

        controls = {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        await h.call("PutBucketOwnershipControls", Bucket=B, OwnershipControls=controls)
        assert await h.call("GetBucketOwnershipControls", Bucket=B) == {"OwnershipControls": controls}
        bad = {"Rules": [{"ObjectOwnership": "Whoever"}]}
        assert (
            await h.error("PutBucketOwnershipControls", Bucket=B, OwnershipControls=bad)
        ).code == "MalformedXML"
        await h.call("PutBucketAcl", Bucket=B, ACL="public-read")
        enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        error = await h.error("PutBucketOwnershipControls", Bucket=B, OwnershipControls=enforced)
        assert error.code == "InvalidBucketAclWithObjectOwnership"
        await h.call("DeleteBucketOwnershipControls", Bucket=B)
        error = await h.error("GetBucketOwnershipControls", Bucket=B)
        assert (error.code, error.status) == ("OwnershipControlsNotFoundError", 404)

    run_idle(body)


def test_acl() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        owner = {"ID": canonical_id(ACCOUNT), "DisplayName": ACCOUNT}
        private = {"Owner": owner, "Grants": [owner_grant(ACCOUNT)]}
        assert await h.call("GetBucketAcl", Bucket=B) == private
        assert private["Grants"][0]["Permission"] == "FULL_CONTROL"
        # ACLs are disabled (BucketOwnerEnforced): only the ACL that changes nothing is accepted
        await h.call("PutBucketAcl", Bucket=B, ACL="private")
        error = await h.error("PutBucketAcl", Bucket=B, ACL="public-read")
        assert (error.code, error.message) == (
            "AccessControlListNotSupported",
            "The bucket does not allow ACLs",
        )
        assert (await h.error("PutBucketAcl", Bucket=B)).code == "MissingSecurityHeader"

        await h.call(
            "PutBucketOwnershipControls",
            Bucket=B,
            OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]},
        )
        assert (
            await h.error("PutBucketAcl", Bucket=B, ACL="public-read")
        ).code == "AccessDenied"  # BlockPublicAcls
        await h.call("DeletePublicAccessBlock", Bucket=B)
        await h.call("PutBucketAcl", Bucket=B, ACL="public-read")
        grants = (await h.call("GetBucketAcl", Bucket=B))["Grants"]
        assert grants == [
            owner_grant(ACCOUNT),
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        ]
        await h.call(
            "PutBucketAcl", Bucket=B, AccessControlPolicy={"Owner": owner, "Grants": [owner_grant(ACCOUNT)]}
        )
        assert await h.call("GetBucketAcl", Bucket=B) == private
        await h.call(
            "PutBucketAcl",
            Bucket=B,
            GrantRead=f'id="{canonical_id(OTHER)}"',
            GrantFullControl=f'id="{canonical_id(ACCOUNT)}"',
        )
        grants = (await h.call("GetBucketAcl", Bucket=B))["Grants"]
        assert {(g["Grantee"].get("ID"), g["Permission"]) for g in grants} == {
            (canonical_id(ACCOUNT), "FULL_CONTROL"),
            (canonical_id(OTHER), "READ"),
        }
        error = await h.error(
            "PutBucketAcl", Bucket=B, ACL="private", GrantRead=f'id="{canonical_id(OTHER)}"'
        )
        assert error.code == "InvalidRequest"
        error = await h.error("PutBucketAcl", Bucket=B, ACL="private", AccessControlPolicy={"Grants": []})
        assert error.code == "UnexpectedContent"

    run_idle(body)


def test_settings_every_tool_reads() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        assert await h.call("GetBucketAccelerateConfiguration", Bucket=B) == {}
        assert await h.call("GetBucketRequestPayment", Bucket=B) == {"Payer": "BucketOwner"}
        assert await h.call("GetBucketLogging", Bucket=B) == {}
        for operation, code in (
            ("GetBucketWebsite", "NoSuchWebsiteConfiguration"),
            ("GetBucketReplication", "ReplicationConfigurationNotFoundError"),
            ("GetObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"),
            ("GetBucketCors", "NoSuchCORSConfiguration"),
            ("GetBucketLifecycleConfiguration", "NoSuchLifecycleConfiguration"),
            ("GetBucketPolicy", "NoSuchBucketPolicy"),
            ("GetBucketPolicyStatus", "NoSuchBucketPolicy"),
        ):
            error = await h.error(operation, Bucket=B)
            assert (error.code, error.status, error.details) == (code, 404, {"BucketName": B}), operation
        assert await h.call("GetBucketNotificationConfiguration", Bucket=B) == {}
        for operation in ("ListBucketAnalyticsConfigurations", "ListBucketMetricsConfigurations"):
            assert await h.call(operation, Bucket=B) == {"IsTruncated": False}
        for operation in ("GetBucketInventoryConfiguration", "DeleteBucketMetricsConfiguration"):
            error = await h.error(operation, Bucket=B, Id="x")
            assert (error.code, error.status) == ("NoSuchConfiguration", 404)

        await h.call(
            "PutBucketAccelerateConfiguration", Bucket=B, AccelerateConfiguration={"Status": "Enabled"}
        )
        assert await h.call("GetBucketAccelerateConfiguration", Bucket=B) == {"Status": "Enabled"}
        await h.create_bucket("dotted.bucket")
        error = await h.error(
            "PutBucketAccelerateConfiguration",
            Bucket="dotted.bucket",
            AccelerateConfiguration={"Status": "Enabled"},
        )
        assert error.code == "InvalidRequest"
        await h.call("PutBucketRequestPayment", Bucket=B, RequestPaymentConfiguration={"Payer": "Requester"})
        assert await h.call("GetBucketRequestPayment", Bucket=B) == {"Payer": "Requester"}
        logging = {"TargetBucket": "dotted.bucket", "TargetPrefix": "logs/"}
        await h.call("PutBucketLogging", Bucket=B, BucketLoggingStatus={"LoggingEnabled": logging})
        assert await h.call("GetBucketLogging", Bucket=B) == {"LoggingEnabled": logging}
        missing = {"LoggingEnabled": {"TargetBucket": "nowhere", "TargetPrefix": ""}}
        error = await h.error("PutBucketLogging", Bucket=B, BucketLoggingStatus=missing)
        assert error.code == "InvalidTargetBucketForLogging"
        await h.call("PutBucketLogging", Bucket=B, BucketLoggingStatus={})
        assert await h.call("GetBucketLogging", Bucket=B) == {}

        website = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}}
        await h.call("PutBucketWebsite", Bucket=B, WebsiteConfiguration=website)
        assert await h.call("GetBucketWebsite", Bucket=B) == website
        assert (
            await h.error("PutBucketWebsite", Bucket=B, WebsiteConfiguration={})
        ).code == "InvalidArgument"
        assert await h.call("DeleteBucketWebsite", Bucket=B) == {"__status__": 204}

        replication = {
            "Role": "arn:aws:iam::111122223333:role/r",
            "Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::x"}}],
        }
        assert (
            await h.error("PutBucketReplication", Bucket=B, ReplicationConfiguration=replication)
        ).code == "InvalidRequest"
        await h.call("PutBucketVersioning", Bucket=B, VersioningConfiguration={"Status": "Enabled"})
        await h.call("PutBucketReplication", Bucket=B, ReplicationConfiguration=replication)
        assert await h.call("GetBucketReplication", Bucket=B) == {"ReplicationConfiguration": replication}

        lock = {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        }
        await h.call("PutObjectLockConfiguration", Bucket=B, ObjectLockConfiguration=lock)
        assert await h.call("GetObjectLockConfiguration", Bucket=B) == {"ObjectLockConfiguration": lock}
        zero = {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}},
        }
        assert (
            await h.error("PutObjectLockConfiguration", Bucket=B, ObjectLockConfiguration=zero)
        ).code == "InvalidArgument"

    run_idle(body)


QUEUE = "arn:aws:sqs:us-east-1:111122223333:events"


def queue_config(
    *events: str, arn: str = QUEUE, prefix: str | None = None, suffix: str | None = None
) -> dict:
    entry: dict = {"QueueArn": arn, "Events": list(events)}
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v is not None]
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def test_notification_configuration() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        config = {"QueueConfigurations": [queue_config("s3:ObjectCreated:*", prefix="in/", suffix=".csv")]}
        await h.call("PutBucketNotificationConfiguration", Bucket=B, NotificationConfiguration=config)
        stored = await h.call("GetBucketNotificationConfiguration", Bucket=B)
        entry = stored["QueueConfigurations"][0]
        assert entry["Id"] and entry["QueueArn"] == QUEUE and entry["Events"] == ["s3:ObjectCreated:*"]
        assert entry["Filter"] == {
            "Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".csv"}]}
        }
        assert h.notifier.tests == [(B, stored)]  # the test event goes to the new destinations
        named = {"QueueConfigurations": [{**queue_config("s3:ObjectRemoved:Delete"), "Id": "mine"}]}
        await h.call("PutBucketNotificationConfiguration", Bucket=B, NotificationConfiguration=named)
        assert (await h.call("GetBucketNotificationConfiguration", Bucket=B))["QueueConfigurations"][0][
            "Id"
        ] == "mine"
        await h.call("PutBucketNotificationConfiguration", Bucket=B, NotificationConfiguration={})
        assert await h.call("GetBucketNotificationConfiguration", Bucket=B) == {}
        assert len(h.notifier.tests) == 2  # none for an empty configuration

    run_idle(body, queues=FakeSqs(QUEUE, "arn:aws:sqs:eu-west-1:111122223333:far"))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"QueueConfigurations": [queue_config("s3:ObjectCreated:Sneeze")]},
            "The event is not supported for notifications",
        ),
        (
            {
                "QueueConfigurations": [
                    {
                        **queue_config("s3:ObjectCreated:*"),
                        "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}},
                    }
                ]
            },
            "filter rule name must be either prefix or suffix",
        ),
        (
            {
                "QueueConfigurations": [
                    {
                        **queue_config("s3:ObjectCreated:*"),
                        "Filter": {
                            "Key": {
                                "FilterRules": [
                                    {"Name": "prefix", "Value": "a"},
                                    {"Name": "Prefix", "Value": "b"},
                                ]
                            }
                        },
                    }
                ]
            },
            "Cannot specify more than one prefix rule in a filter.",
        ),
        (
            {
                "QueueConfigurations": [
                    queue_config("s3:ObjectCreated:*", arn="arn:aws:sqs:us-east-1:111122223333:nope")
                ]
            },
            "Unable to validate the following destination configurations",
        ),
        (
            {
                "QueueConfigurations": [
                    queue_config("s3:ObjectCreated:*", arn="arn:aws:sqs:eu-west-1:111122223333:far")
                ]
            },
            "Unable to validate the following destination configurations",
        ),
        (
            {
                "TopicConfigurations": [
                    {"TopicArn": "arn:aws:sns:us-east-1:111122223333:t", "Events": ["s3:ObjectCreated:*"]}
                ]
            },
            "Unable to validate the following destination configurations",
        ),
        (
            {
                "QueueConfigurations": [
                    queue_config("s3:ObjectCreated:*", prefix="a/"),
                    queue_config("s3:ObjectCreated:Put", prefix="a/b"),
                ]
            },
            "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
        ),
    ],
)
def test_notification_configuration_refusals(config: dict, message: str) -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error(
            "PutBucketNotificationConfiguration", Bucket=B, NotificationConfiguration=config
        )
        assert (error.code, error.message) == ("InvalidArgument", message)
        if message.startswith("Unable"):
            assert error.details["ArgumentName1"].startswith("arn:aws:")
        assert await h.call("GetBucketNotificationConfiguration", Bucket=B) == {}
        assert h.notifier.tests == []

    run_idle(body, queues=FakeSqs(QUEUE, "arn:aws:sqs:eu-west-1:111122223333:far"))


def test_notification_configurations_that_do_not_overlap() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        config = {
            "QueueConfigurations": [
                queue_config("s3:ObjectCreated:*", prefix="a/"),
                queue_config("s3:ObjectCreated:*", prefix="b/"),
                queue_config("s3:ObjectRemoved:*", prefix="a/"),
                queue_config("s3:ObjectCreated:*", prefix="c/", suffix=".csv"),
                queue_config("s3:ObjectCreated:*", prefix="c/", suffix=".json"),
            ]
        }
        await h.call("PutBucketNotificationConfiguration", Bucket=B, NotificationConfiguration=config)
        assert len((await h.call("GetBucketNotificationConfiguration", Bucket=B))["QueueConfigurations"]) == 5
        skip = {
            "TopicConfigurations": [
                {"TopicArn": "arn:aws:sns:us-east-1:1:t", "Events": ["s3:ObjectCreated:*"]}
            ]
        }
        await h.call(
            "PutBucketNotificationConfiguration",
            Bucket=B,
            NotificationConfiguration=skip,
            SkipDestinationValidation=True,
        )
        assert "TopicConfigurations" in await h.call("GetBucketNotificationConfiguration", Bucket=B)

    run_idle(body, queues=FakeSqs(QUEUE))


def test_event_names() -> None:
    assert {
        "s3:ObjectCreated:*",
        "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:LifecycleExpiration:Delete",
    } <= EVENTS
    assert "s3:TestEvent" not in EVENTS and "s3:ObjectCreated" not in EVENTS


def test_another_accounts_bucket_is_addressable_in_open_mode() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        assert await h.call("GetBucketVersioning", context(OTHER), Bucket=B) == {}

    run_idle(body)
