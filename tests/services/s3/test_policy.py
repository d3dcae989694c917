"""Bucket policies: the document checks, GetBucketPolicy's round trip, and `authorize`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.s3.bucket_rules import canonical_id
from headwater.services.s3.policy import action_for, authorize
from headwater.services.s3.policy_eval import conditions_hold, glob_match, is_public_policy
from tests.services.s3.harness import ACCOUNT, OTHER, S3Harness, context, run_idle

B = "shared-data"
THIRD = "777788889999"


def policy(*statements: dict[str, Any], version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


def allow(
    principal: Any = "*", action: Any = "s3:GetObject", resource: Any = f"arn:aws:s3:::{B}/*", **extra: Any
) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def deny(
    principal: Any = "*", action: Any = "s3:*", resource: Any = f"arn:aws:s3:::{B}/*", **extra: Any
) -> dict:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource, **extra}


MALFORMED = [
    ("", "Policies must be valid JSON and the first byte must be '{'"),
    ("[]", "Policies must be valid JSON and the first byte must be '{'"),
    ('{"Statement": ', "Policies must be valid JSON and the first byte must be '{'"),
    (' x{"Statement": []}', "Policies must be valid JSON and the first byte must be '{'"),
    (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
    (policy(allow(), version="2020-01-01"), "The policy must contain a valid version string"),
    (policy({k: v for k, v in allow().items() if k != "Effect"}), "Missing required field Effect"),
    (policy(allow(Effect="Maybe")), "Invalid effect: Maybe"),
    (policy({k: v for k, v in allow().items() if k != "Principal"}), "Missing required field Principal"),
    (policy(allow(principal={"AWS": "not-an-account"})), "Invalid principal in policy"),
    (policy(allow(principal={"Robot": "x"})), "Invalid principal in policy"),
    (policy({k: v for k, v in allow().items() if k != "Action"}), "Missing required field Action"),
    (policy(allow(action="sqs:SendMessage")), "Policy has invalid action"),
    (policy({k: v for k, v in allow().items() if k != "Resource"}), "Missing required field Resource"),
    (policy(allow(resource="arn:aws:s3:::another-bucket/*")), "Policy has invalid resource"),
    (policy(allow(resource="shared-data")), "Policy has invalid resource"),
    (policy(allow(resource=f"arn:aws:s3:::{B}")), "Action does not apply to any resource(s) in statement"),
    (policy(allow(action="s3:ListBucket")), "Action does not apply to any resource(s) in statement"),
    ("{" + " " * 21_000 + "}", "Policy exceeds the maximum allowed document size."),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_policies(text: str, message: str) -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error("PutBucketPolicy", Bucket=B, Policy=text)
        assert (error.code, error.status, error.message) == ("MalformedPolicy", 400, message)

    run_idle(body)


ACCEPTED = [
    policy(allow(principal={"AWS": OTHER})),
    policy(allow(principal={"AWS": [f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{OTHER}:user/alice"]})),
    policy(allow(principal={"Service": "logging.s3.amazonaws.com"}, action="s3:PutObject")),
    policy(
        allow(
            principal={"CanonicalUser": canonical_id(OTHER)},
            action=["s3:Get*", "s3:List*"],
            resource=[f"arn:aws:s3:::{B}", f"arn:aws:s3:::{B}/*"],
        )
    ),
    policy(allow(principal={"AWS": OTHER}, action="s3:ListBucket", resource=f"arn:aws:s3:::{B}")),
    policy(allow(principal={"AWS": OTHER}, action="*", resource="*")),
    policy(allow(principal={"AWS": OTHER}, resource="arn:aws:s3:::shared-*/*")),
    policy(
        deny(principal={"AWS": OTHER}, Condition={"Bool": {"aws:SecureTransport": "false"}}),
        version="2008-10-17",
    ),
    json.dumps({"Statement": allow(principal={"AWS": OTHER})}),  # one statement, not a list; no Version
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_policies_come_back_as_given(text: str) -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        await h.call("DeletePublicAccessBlock", Bucket=B)
        assert await h.call("PutBucketPolicy", Bucket=B, Policy=text) == {"__status__": 204}
        assert await h.call("GetBucketPolicy", Bucket=B) == {"Policy": text}

    run_idle(body)


def test_policy_round_trip_and_status() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error("GetBucketPolicy", Bucket=B)
        assert (error.code, error.status, error.message) == (
            "NoSuchBucketPolicy",
            404,
            "The bucket policy does not exist",
        )
        private = policy(allow(principal={"AWS": OTHER}))
        await h.call("PutBucketPolicy", Bucket=B, Policy=private.encode())
        assert await h.call("GetBucketPolicyStatus", Bucket=B) == {"PolicyStatus": {"IsPublic": False}}
        public = policy(allow())
        error = await h.error(
            "PutBucketPolicy", Bucket=B, Policy=public
        )  # BlockPublicPolicy is on by default
        assert (error.code, error.status) == ("AccessDenied", 403)
        assert "BlockPublicPolicy" in error.message
        assert await h.call("GetBucketPolicy", Bucket=B) == {"Policy": private}
        await h.call(
            "PutPublicAccessBlock", Bucket=B, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
        )
        await h.call("PutBucketPolicy", Bucket=B, Policy=public)
        assert await h.call("GetBucketPolicyStatus", Bucket=B) == {"PolicyStatus": {"IsPublic": True}}
        assert await h.call("DeleteBucketPolicy", Bucket=B) == {"__status__": 204}
        assert (await h.error("GetBucketPolicy", Bucket=B)).code == "NoSuchBucketPolicy"

    run_idle(body)


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        (allow(), True),
        (allow(principal={"AWS": "*"}), True),
        (allow(principal={"AWS": ["*"]}), True),
        (allow(principal={"AWS": OTHER}), False),
        (allow(Condition={"StringEquals": {"aws:SourceAccount": OTHER}}), False),
        (allow(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), False),
        (allow(Condition={"StringLike": {"aws:SourceArn": "arn:aws:*"}}), True),
        (allow(Condition={"StringNotEquals": {"aws:SourceAccount": OTHER}}), True),
        (deny(), False),
    ],
)
def test_public_policies(statement: dict, public: bool) -> None:
    assert is_public_policy(policy(statement)) is public


@pytest.mark.parametrize(
    ("operation", "key", "version", "expected"),
    [
        ("ListObjectsV2", None, None, ("s3:ListBucket", False)),
        ("ListObjects", None, None, ("s3:ListBucket", False)),
        ("HeadBucket", None, None, ("s3:ListBucket", False)),
        ("ListObjectVersions", None, None, ("s3:ListBucketVersions", False)),
        ("HeadObject", "k", None, ("s3:GetObject", True)),
        ("GetObject", "k", "v1", ("s3:GetObjectVersion", True)),
        ("UploadPart", "k", None, ("s3:PutObject", True)),
        ("CompleteMultipartUpload", "k", None, ("s3:PutObject", True)),
        ("DeleteObjects", "k", None, ("s3:DeleteObject", True)),
        ("DeleteObject", "k", "v1", ("s3:DeleteObjectVersion", True)),
        ("DeleteBucketCors", None, None, ("s3:PutBucketCORS", False)),
        ("GetBucketLifecycleConfiguration", None, None, ("s3:GetLifecycleConfiguration", False)),
        ("GetBucketEncryption", None, None, ("s3:GetEncryptionConfiguration", False)),
        ("SomethingNew", None, None, ("s3:SomethingNew", False)),
    ],
)
def test_actions(operation: str, key: str | None, version: str | None, expected: tuple[str, bool]) -> None:
    assert action_for(operation, key, version) == expected


def test_glob() -> None:
    assert glob_match("s3:Get*", "s3:GetObject")
    assert glob_match("S3:get*", "s3:GetObject", fold=True)
    assert not glob_match("S3:get*", "s3:GetObject")
    assert glob_match("arn:aws:s3:::b/logs/??/*", "arn:aws:s3:::b/logs/01/x.gz")
    assert not glob_match("arn:aws:s3:::b/logs/??/*", "arn:aws:s3:::b/logs/001/x.gz")


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"aws:PrincipalAccount": OTHER}}, {"aws:principalaccount": OTHER}, True),
        (
            {"StringEquals": {"aws:PrincipalAccount": [ACCOUNT, THIRD]}},
            {"aws:principalaccount": OTHER},
            False,
        ),
        ({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice/"}, True),
        ({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice/"}, False),
        (
            {"StringEqualsIgnoreCase": {"aws:PrincipalType": "account"}},
            {"aws:principaltype": "Account"},
            True,
        ),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:securetransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {}, None),  # always there on AWS: unknown here
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:sourceip": "10.1.2.3"}, True),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:sourceip": "10.1.2.3"}, False),
        ({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, {}, False),  # absent key: no match
        ({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}, {}, True),  # ... and the negation holds
        ({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, {}, True),
        ({"Null": {"aws:SourceVpc": "true"}}, {}, True),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"}, True),
        ({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:currenttime": "x"}, None),
        (
            {"ForAnyValue:StringEquals": {"aws:PrincipalAccount": OTHER}},
            {"aws:principalaccount": OTHER},
            True,
        ),
    ],
)
def test_conditions(condition: dict, context: dict, expected: bool | None) -> None:
    assert conditions_hold(condition, context) is expected


# (policy statements, caller account, operation, key) -> allowed?
EVALUATION = [
    ([], ACCOUNT, "GetObject", "k", True),  # the owner needs no policy
    ([], OTHER, "GetObject", "k", False),
    ([allow(principal={"AWS": OTHER})], OTHER, "GetObject", "k", True),
    ([allow(principal={"AWS": OTHER})], OTHER, "HeadObject", "k", True),
    ([allow(principal={"AWS": OTHER})], OTHER, "PutObject", "k", False),
    ([allow(principal={"AWS": OTHER})], THIRD, "GetObject", "k", False),
    ([allow(principal={"AWS": f"arn:aws:iam::{OTHER}:root"})], OTHER, "GetObject", "k", True),
    ([allow(principal={"AWS": f"arn:aws:iam::{OTHER}:user/alice"})], OTHER, "GetObject", "k", False),
    ([allow(principal={"CanonicalUser": canonical_id(OTHER)})], OTHER, "GetObject", "k", True),
    ([allow(principal={"AWS": "*"})], THIRD, "GetObject", "k", True),
    ([allow(principal={"Service": "s3.amazonaws.com"})], OTHER, "GetObject", "k", False),
    ([allow(principal={"AWS": OTHER}, action="s3:*")], OTHER, "UploadPart", "k", True),
    ([allow(principal={"AWS": OTHER}, action="s3:Put*")], OTHER, "CompleteMultipartUpload", "k", True),
    (
        [allow(principal={"AWS": OTHER}, resource=f"arn:aws:s3:::{B}/public/*")],
        OTHER,
        "GetObject",
        "public/a",
        True,
    ),
    (
        [allow(principal={"AWS": OTHER}, resource=f"arn:aws:s3:::{B}/public/*")],
        OTHER,
        "GetObject",
        "private/a",
        False,
    ),
    (
        [allow(principal={"AWS": OTHER}, action="s3:ListBucket", resource=f"arn:aws:s3:::{B}")],
        OTHER,
        "ListObjectsV2",
        None,
        True,
    ),
    (
        [allow(principal={"AWS": OTHER}, action="s3:ListBucket", resource=f"arn:aws:s3:::{B}")],
        OTHER,
        "HeadBucket",
        None,
        True,
    ),
    (
        [allow(principal={"AWS": OTHER})],
        OTHER,
        "ListObjectsV2",
        None,
        False,
    ),  # an object ARN grants no listing
    ([allow(principal={"AWS": OTHER}, action="s3:DeleteObject")], OTHER, "DeleteObjects", "k", True),
    (
        [deny(principal={"AWS": ACCOUNT})],
        ACCOUNT,
        "GetObject",
        "k",
        False,
    ),  # an explicit Deny binds the owner
    ([deny(principal="*", resource=f"arn:aws:s3:::{B}/locked/*")], ACCOUNT, "GetObject", "open/k", True),
    ([allow(principal={"AWS": OTHER}), deny(principal={"AWS": OTHER})], OTHER, "GetObject", "k", False),
    (
        [deny(principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/x"})],
        ACCOUNT,
        "GetObject",
        "k",
        False,
    ),  # safe side
    (
        [
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ACCOUNT},
                "Action": "s3:*",
                "Resource": f"arn:aws:s3:::{B}/*",
            }
        ],
        OTHER,
        "GetObject",
        "k",
        False,
    ),
    (
        [
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ACCOUNT},
                "Action": "s3:*",
                "Resource": f"arn:aws:s3:::{B}/*",
            }
        ],
        ACCOUNT,
        "GetObject",
        "k",
        True,
    ),
    (
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OTHER},
                "NotAction": "s3:DeleteObject",
                "Resource": f"arn:aws:s3:::{B}/*",
            }
        ],
        OTHER,
        "GetObject",
        "k",
        True,
    ),
    (
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OTHER},
                "NotAction": "s3:DeleteObject",
                "Resource": f"arn:aws:s3:::{B}/*",
            }
        ],
        OTHER,
        "DeleteObject",
        "k",
        False,
    ),
    (
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OTHER},
                "Action": "s3:GetObject",
                "NotResource": f"arn:aws:s3:::{B}/secret/*",
            }
        ],
        OTHER,
        "GetObject",
        "k",
        True,
    ),
    (
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OTHER},
                "Action": "s3:GetObject",
                "NotResource": f"arn:aws:s3:::{B}/secret/*",
            }
        ],
        OTHER,
        "GetObject",
        "secret/k",
        False,
    ),
    # conditions
    (
        [allow(principal="*", Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})],
        OTHER,
        "GetObject",
        "k",
        True,
    ),
    (
        [allow(principal="*", Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})],
        THIRD,
        "GetObject",
        "k",
        False,
    ),
    (
        [allow(principal={"AWS": OTHER}, Condition={"Bool": {"aws:SecureTransport": "true"}})],
        OTHER,
        "GetObject",
        "k",
        False,
    ),  # unknown: no grant
    (
        [deny(Condition={"Bool": {"aws:SecureTransport": "false"}})],
        ACCOUNT,
        "GetObject",
        "k",
        True,
    ),  # unknown: not for the owner
    (
        [allow(principal={"AWS": OTHER}), deny(Condition={"Bool": {"aws:SecureTransport": "false"}})],
        OTHER,
        "GetObject",
        "k",
        False,
    ),
    (
        [
            allow(
                principal={"AWS": OTHER},
                Condition={"DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}},
            )
        ],
        OTHER,
        "GetObject",
        "k",
        False,
    ),
]


@pytest.mark.parametrize(("statements", "account", "operation", "key", "allowed"), EVALUATION)
def test_evaluation(
    statements: list[dict], account: str, operation: str, key: str | None, allowed: bool
) -> None:
    async def body(h: S3Harness) -> None:
        bucket = (await h.create_bucket(B)).with_config("public_access_block", None)
        if statements:
            bucket = bucket.with_config("policy", policy(*statements))
        try:
            authorize(h.core, bucket, operation, account, key)
        except AwsError as error:
            assert (error.code, error.status, error.message) == ("AccessDenied", 403, "Access Denied")
            assert not allowed
        else:
            assert allowed

    run_idle(body)


def test_authorize_with_conditions_the_gateway_knows() -> None:
    async def body(h: S3Harness) -> None:
        bucket = (await h.create_bucket(B)).with_config(
            "policy", policy(deny(Condition={"Bool": {"aws:SecureTransport": "false"}}))
        )
        authorize(h.core, bucket, "GetObject", ACCOUNT, "k", context={"aws:SecureTransport": "true"})
        with pytest.raises(AwsError):
            authorize(h.core, bucket, "GetObject", ACCOUNT, "k", context={"aws:SecureTransport": "false"})

    run_idle(body)


def test_authorize_special_cases() -> None:
    async def body(h: S3Harness) -> None:
        bucket = await h.create_bucket(B)
        authorize(h.core, bucket, "OptionsObject", OTHER, "k")  # preflights carry no credentials
        with pytest.raises(AwsError) as caught:
            authorize(h.core, bucket, "HeadBucket", OTHER, None)
        assert caught.value.headers == {"x-amz-bucket-region": "us-east-1"}
        grant = bucket.with_config(
            "policy", policy(allow(principal={"AWS": OTHER}, action="s3:*", resource=f"arn:aws:s3:::{B}"))
        )
        with pytest.raises(AwsError) as caught:
            authorize(h.core, grant, "PutBucketPolicy", OTHER, None)  # the owner's alone, even when granted
        assert (caught.value.code, caught.value.status) == ("MethodNotAllowed", 405)
        authorize(h.core, grant, "GetBucketTagging", OTHER, None)

    run_idle(body)


def test_bucket_acl_grants() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B, ObjectOwnership="ObjectWriter")
        await h.call("DeletePublicAccessBlock", Bucket=B)
        await h.call(
            "PutBucketAcl",
            Bucket=B,
            GrantRead=f'id="{canonical_id(OTHER)}"',
            GrantFullControl=f'id="{canonical_id(ACCOUNT)}"',
        )
        bucket = h.get(B)
        authorize(h.core, bucket, "ListObjectsV2", OTHER, None)
        with pytest.raises(AwsError):
            authorize(h.core, bucket, "PutObject", OTHER, "k")
        with pytest.raises(AwsError):
            authorize(h.core, bucket, "ListObjectsV2", THIRD, None)
        await h.call("PutBucketAcl", Bucket=B, ACL="public-read-write")
        authorize(h.core, h.get(B), "PutObject", THIRD, "k")
        await h.call(
            "PutPublicAccessBlock", Bucket=B, PublicAccessBlockConfiguration={"IgnorePublicAcls": True}
        )
        with pytest.raises(AwsError):
            authorize(h.core, h.get(B), "PutObject", THIRD, "k")
        # ACLs disabled: grants count no more
        await h.call("DeletePublicAccessBlock", Bucket=B)
        await h.call("PutBucketAcl", Bucket=B, ACL="private")
        await h.call(
            "PutBucketOwnershipControls",
            Bucket=B,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        )
        with pytest.raises(AwsError):
            authorize(h.core, h.get(B), "ListObjectsV2", OTHER, None)

    run_idle(body)


def test_restrict_public_buckets() -> None:
    async def body(h: S3Harness) -> None:
        bucket = (await h.create_bucket(B)).with_config("policy", policy(allow()))
        unrestricted = bucket.with_config("public_access_block", {"RestrictPublicBuckets": False})
        authorize(h.core, unrestricted, "GetObject", OTHER, "k")
        with pytest.raises(AwsError):
            authorize(h.core, bucket, "GetObject", OTHER, "k")  # new buckets restrict public policies

    run_idle(body)


def test_other_account_calls_in_open_mode_are_not_checked_by_handlers() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        await h.call("DeletePublicAccessBlock", Bucket=B)
        text = policy(allow())
        assert await h.call("PutBucketPolicy", context(OTHER), Bucket=B, Policy=text) == {"__status__": 204}

    run_idle(body)
