"""S3 buckets end to end (boto3, path style): create/head/list/delete, the LocationConstraint rules,
ListBuckets pagination, and the bucket subresources (tagging, policy, default encryption, CORS with
a browser's preflight)."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.support.s3 import error_of, raw, s3_client, xml_error


def test_create_head_list_delete(s3: Any) -> None:
    created = s3.create_bucket(Bucket="alpha")
    assert created["Location"] == "/alpha"
    head = s3.head_bucket(Bucket="alpha")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert head["BucketRegion"] == "us-east-1"
    listed = s3.list_buckets()
    assert [b["Name"] for b in listed["Buckets"]] == ["alpha"]
    assert listed["Buckets"][0]["CreationDate"].tzinfo is not None
    assert listed["Owner"]["ID"]
    assert "ContinuationToken" not in listed
    deleted = s3.delete_bucket(Bucket="alpha")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    # HEAD has no body: botocore reports the bare status as the code
    missing = error_of(s3.head_bucket, Bucket="alpha")
    assert (missing.code, missing.status) == ("404", 404)
    gone = error_of(s3.delete_bucket, Bucket="alpha")
    assert (gone.code, gone.status) == ("NoSuchBucket", 404)
    assert gone.message == "The specified bucket does not exist"
    assert gone.error["BucketName"] == "alpha"
    assert s3.list_buckets()["Buckets"] == []


def test_recreating_an_owned_bucket(s3: Any, endpoint: str) -> None:
    # us-east-1 keeps its legacy answer: 200 OK for a bucket you already own...
    s3.create_bucket(Bucket="legacy")
    again = s3.create_bucket(Bucket="legacy")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    # ...every other region says BucketAlreadyOwnedByYou (409)
    eu = s3_client(endpoint, "eu-west-1")
    config = {"LocationConstraint": "eu-west-1"}
    eu.create_bucket(Bucket="owned-eu", CreateBucketConfiguration=config)
    owned = error_of(eu.create_bucket, Bucket="owned-eu", CreateBucketConfiguration=config)
    assert (owned.code, owned.status) == ("BucketAlreadyOwnedByYou", 409)
    assert (
        owned.message == "Your previous request to create the named bucket succeeded and you already own it."
    )
    assert owned.error["BucketName"] == "owned-eu"


def test_location_constraint_rules(s3: Any, endpoint: str) -> None:
    eu = s3_client(endpoint, "eu-west-1")
    eu.create_bucket(Bucket="in-ireland", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket="in-ireland")["LocationConstraint"] == "eu-west-1"
    assert eu.head_bucket(Bucket="in-ireland")["BucketRegion"] == "eu-west-1"
    s3.create_bucket(Bucket="in-virginia")
    # us-east-1 is the empty LocationConstraint (botocore parses it as None)
    assert s3.get_bucket_location(Bucket="in-virginia")["LocationConstraint"] is None
    regions = {b["Name"]: b.get("BucketRegion") for b in s3.list_buckets()["Buckets"]}
    assert regions == {"in-ireland": "eu-west-1", "in-virginia": "us-east-1"}
    only_eu = s3.list_buckets(BucketRegion="eu-west-1")["Buckets"]
    assert [b["Name"] for b in only_eu] == ["in-ireland"]

    # us-east-1 must never be given as a LocationConstraint
    invalid = error_of(
        s3.create_bucket,
        Bucket="explicit-use1",
        CreateBucketConfiguration={"LocationConstraint": "us-east-1"},
    )
    assert (invalid.code, invalid.status) == ("InvalidLocationConstraint", 400)
    assert invalid.message == "The specified location-constraint is not valid"
    # a constraint that is not the region the request was signed for
    oregon = s3_client(endpoint, "us-west-2")
    mismatch = error_of(
        oregon.create_bucket, Bucket="mismatch", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    assert (mismatch.code, mismatch.status) == ("IllegalLocationConstraintException", 400)
    assert mismatch.message == (
        "The eu-west-1 location constraint is incompatible for the region specific endpoint this request was sent to."
    )
    # outside us-east-1 the constraint cannot be left out
    unspecified = error_of(eu.create_bucket, Bucket="unspecified")
    assert (unspecified.code, unspecified.status) == ("IllegalLocationConstraintException", 400)
    assert unspecified.message == (
        "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
    )
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {"in-ireland", "in-virginia"}


def test_invalid_bucket_names(s3: Any) -> None:
    # each passes botocore's client-side pattern, so the server must judge it
    for name in ("UpperCase", "ab", "192.168.5.4", "two..dots", "-leading-dash", "a" * 64):
        invalid = error_of(s3.create_bucket, Bucket=name)
        assert (invalid.code, invalid.status) == ("InvalidBucketName", 400), name
        assert invalid.message == "The specified bucket is not valid.", name
    assert s3.list_buckets()["Buckets"] == []


def test_list_buckets_pagination(s3: Any) -> None:
    names = ["pg-c", "pg-a", "other", "pg-e", "pg-b", "pg-d"]
    for name in names:
        s3.create_bucket(Bucket=name)
    first = s3.list_buckets(MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == ["other", "pg-a"]
    token = first["ContinuationToken"]
    second = s3.list_buckets(MaxBuckets=2, ContinuationToken=token)
    assert [b["Name"] for b in second["Buckets"]] == ["pg-b", "pg-c"]
    third = s3.list_buckets(MaxBuckets=2, ContinuationToken=second["ContinuationToken"])
    assert [b["Name"] for b in third["Buckets"]] == ["pg-d", "pg-e"]
    assert "ContinuationToken" not in third
    prefixed = s3.list_buckets(Prefix="pg-", MaxBuckets=3)
    assert [b["Name"] for b in prefixed["Buckets"]] == ["pg-a", "pg-b", "pg-c"]
    assert prefixed["Prefix"] == "pg-"
    rest = s3.list_buckets(Prefix="pg-", MaxBuckets=3, ContinuationToken=prefixed["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["pg-d", "pg-e"]
    # the paginator drives the same tokens
    pages = s3.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 4})
    assert [b["Name"] for page in pages for b in page["Buckets"]] == sorted(names)


def test_bucket_tagging(s3: Any) -> None:
    s3.create_bucket(Bucket="tagged")
    none = error_of(s3.get_bucket_tagging, Bucket="tagged")
    assert (none.code, none.status) == ("NoSuchTagSet", 404)
    assert none.message == "The TagSet does not exist"
    tags = [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "data"}]
    put = s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": tags})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = s3.get_bucket_tagging(Bucket="tagged")["TagSet"]
    assert sorted(got, key=lambda t: t["Key"]) == tags
    duplicate = error_of(
        s3.put_bucket_tagging,
        Bucket="tagged",
        Tagging={"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]},
    )
    assert (duplicate.code, duplicate.status) == ("InvalidTag", 400)
    assert s3.delete_bucket_tagging(Bucket="tagged")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(s3.get_bucket_tagging, Bucket="tagged").code == "NoSuchTagSet"
    assert error_of(s3.get_bucket_tagging, Bucket="nope").code == "NoSuchBucket"


def test_bucket_policy_round_trip(s3: Any) -> None:
    s3.create_bucket(Bucket="governed")
    none = error_of(s3.get_bucket_policy, Bucket="governed")
    assert (none.code, none.status) == ("NoSuchBucketPolicy", 404)
    assert none.message == "The bucket policy does not exist"
    # a service principal (server access logging): not a public policy, so no block applies
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::governed/logs/*",
            }
        ],
    }
    put = s3.put_bucket_policy(Bucket="governed", Policy=json.dumps(policy))
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert json.loads(s3.get_bucket_policy(Bucket="governed")["Policy"]) == policy
    malformed = error_of(s3.put_bucket_policy, Bucket="governed", Policy="{not json")
    assert (malformed.code, malformed.status) == ("MalformedPolicy", 400)
    assert json.loads(s3.get_bucket_policy(Bucket="governed")["Policy"]) == policy
    assert s3.delete_bucket_policy(Bucket="governed")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(s3.get_bucket_policy, Bucket="governed").code == "NoSuchBucketPolicy"


def test_default_encryption(s3: Any) -> None:
    s3.create_bucket(Bucket="sealed")
    # since 2023 every bucket has SSE-S3 as its base level of encryption
    default = s3.get_bucket_encryption(Bucket="sealed")["ServerSideEncryptionConfiguration"]["Rules"]
    assert default[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.put_object(Bucket="sealed", Key="before", Body=b"x")["ServerSideEncryption"] == "AES256"
    rules = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]
    put = s3.put_bucket_encryption(Bucket="sealed", ServerSideEncryptionConfiguration={"Rules": rules})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = s3.get_bucket_encryption(Bucket="sealed")["ServerSideEncryptionConfiguration"]["Rules"]
    assert got == rules
    written = s3.put_object(Bucket="sealed", Key="after", Body=b"y")
    assert written["ServerSideEncryption"] == "AES256"
    for key in ("before", "after"):
        assert s3.head_object(Bucket="sealed", Key=key)["ServerSideEncryption"] == "AES256"
        assert s3.get_object(Bucket="sealed", Key=key)["ServerSideEncryption"] == "AES256"
    assert s3.delete_bucket_encryption(Bucket="sealed")["ResponseMetadata"]["HTTPStatusCode"] == 204
    reset = s3.get_bucket_encryption(Bucket="sealed")["ServerSideEncryptionConfiguration"]["Rules"]
    assert reset[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    # an object-level request for SSE-S3 is echoed
    explicit = s3.put_object(Bucket="sealed", Key="explicit", Body=b"z", ServerSideEncryption="AES256")
    assert explicit["ServerSideEncryption"] == "AES256"


CORS_RULES = [
    {
        "ID": "uploads",
        "AllowedOrigins": ["http://app.example.com"],
        "AllowedMethods": ["GET", "PUT"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag", "x-amz-request-id"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


def preflight(endpoint: str, path: str, origin: str | None, method: str, headers: str = "") -> Any:
    request_headers = {"Access-Control-Request-Method": method}
    if origin is not None:
        request_headers["Origin"] = origin
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    # browsers send preflights unsigned
    return raw(endpoint, "OPTIONS", path, headers=request_headers, sign=False)


def test_cors_configuration_and_preflight(s3: Any, endpoint: str) -> None:
    s3.create_bucket(Bucket="web")
    s3.put_object(Bucket="web", Key="index.html", Body=b"<html/>", ContentType="text/html")
    none = error_of(s3.get_bucket_cors, Bucket="web")
    assert (none.code, none.status) == ("NoSuchCORSConfiguration", 404)
    assert none.message == "The CORS configuration does not exist"
    disabled = preflight(endpoint, "/web/index.html", "http://app.example.com", "GET")
    assert disabled.status_code == 403
    assert "CORS is not enabled for this bucket" in xml_error(disabled.content)["Message"]

    s3.put_bucket_cors(Bucket="web", CORSConfiguration={"CORSRules": CORS_RULES})
    assert s3.get_bucket_cors(Bucket="web")["CORSRules"] == CORS_RULES

    # a matching specific origin: echoed, with the rule's methods, headers, max age
    allowed = preflight(
        endpoint, "/web/index.html", "http://app.example.com", "PUT", "content-type, x-amz-meta-a"
    )
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["access-control-allow-origin"] == "http://app.example.com"
    assert allowed.headers["access-control-allow-methods"] == "GET, PUT"
    assert allowed.headers["access-control-allow-headers"] == "content-type, x-amz-meta-a"
    assert allowed.headers["access-control-max-age"] == "600"
    assert allowed.headers["access-control-expose-headers"] == "ETag, x-amz-request-id"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    vary = {v.strip() for v in allowed.headers["vary"].split(",")}
    assert {"Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"} <= vary
    # the wildcard rule answers any origin with "*" and no credentials
    anyone = preflight(endpoint, "/web/index.html", "http://elsewhere.test", "GET")
    assert anyone.status_code == 200
    assert anyone.headers["access-control-allow-origin"] == "*"
    assert anyone.headers["access-control-allow-methods"] == "GET"
    assert "access-control-allow-credentials" not in anyone.headers
    # no rule allows DELETE: refused
    refused = preflight(endpoint, "/web/index.html", "http://app.example.com", "DELETE")
    assert refused.status_code == 403
    assert "This CORS request is not allowed" in xml_error(refused.content)["Message"]
    # a preflight without an Origin is a bad request
    no_origin = preflight(endpoint, "/web/index.html", None, "GET")
    assert no_origin.status_code == 400

    # the actual (signed) request carries the CORS response headers too
    actual = raw(endpoint, "GET", "/web/index.html", headers={"Origin": "http://app.example.com"})
    assert actual.status_code == 200
    assert actual.headers["access-control-allow-origin"] == "http://app.example.com"
    assert actual.headers["access-control-expose-headers"] == "ETag, x-amz-request-id"

    assert s3.delete_bucket_cors(Bucket="web")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(s3.get_bucket_cors, Bucket="web").code == "NoSuchCORSConfiguration"
