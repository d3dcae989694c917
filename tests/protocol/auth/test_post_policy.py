"""Browser POST policies as boto3's generate_presigned_post writes them (SigV4 and the default SigV2)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config

from headwater.protocol.auth.post_policy import PostPolicy, check_fields, check_size
from headwater.protocol.errors import AwsError

AK = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SECRETS = {AK: SECRET}


def client(v4: bool) -> Any:
    config = Config(signature_version="s3v4") if v4 else None
    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://localhost:4566",
        aws_access_key_id=AK,
        aws_secret_access_key=SECRET,
        config=config,
    )


def presign(
    v4: bool = True, key: str = "uploads/${filename}", expires: int = 600, **kwargs: Any
) -> dict[str, str]:
    post = client(v4).generate_presigned_post("bkt", key, ExpiresIn=expires, **kwargs)
    return dict(post["fields"])


def check(fields: dict[str, str], secrets: dict[str, str] | None = SECRETS, **kwargs: Any) -> PostPolicy:
    kwargs.setdefault("now", time.time())
    kwargs.setdefault("bucket", "bkt")
    return check_fields(
        fields, kwargs.pop("bucket"), kwargs.pop("now"), None if secrets is None else secrets.get, **kwargs
    )


def expect(code: str, status: int, fields: dict[str, str], **kwargs: Any) -> AwsError:
    with pytest.raises(AwsError) as caught:
        check(fields, **kwargs)
    assert (caught.value.code, caught.value.status) == (code, status), caught.value.message
    return caught.value


FORM = {
    "Fields": {"acl": "public-read", "x-amz-meta-owner": "eric", "Content-Type": "image/png"},
    "Conditions": [
        {"acl": "public-read"},
        {"x-amz-meta-owner": "eric"},
        ["starts-with", "$Content-Type", "image/"],
        ["content-length-range", 10, 1000],
    ],
}


@pytest.mark.parametrize("v4", [True, False])
def test_a_boto3_form_passes(v4: bool) -> None:
    fields = presign(v4, **FORM)
    assert ("x-amz-signature" in fields) is v4 and ("signature" in fields) is not v4
    policy = check(fields, filename="cat.png")
    assert policy == PostPolicy(AK, "us-east-1" if v4 else None, "uploads/cat.png", 10, 1000)
    check_size(policy, 10)
    check_size(policy, 1000)


@pytest.mark.parametrize(
    ("size", "code", "details"),
    [
        (1001, "EntityTooLarge", {"ProposedSize": "1001", "MaxSizeAllowed": "1000"}),
        (9, "EntityTooSmall", {"ProposedSize": "9", "MinSizeAllowed": "10"}),
    ],
)
def test_content_length_range(size: int, code: str, details: dict[str, str]) -> None:
    policy = check(presign(**FORM), filename="a")
    with pytest.raises(AwsError) as caught:
        check_size(policy, size)
    assert (caught.value.code, caught.value.status, caught.value.details) == (code, 400, details)


def test_no_range_no_size_limit() -> None:
    check_size(check(presign()), 5 * 1024**3)


@pytest.mark.parametrize("v4", [True, False])
def test_expired_policy(v4: bool) -> None:
    fields = presign(v4, expires=60)
    check(fields, now=time.time() + 30)
    error = expect("AccessDenied", 403, fields, now=time.time() + 120)
    assert error.message == "Invalid according to Policy: Policy expired."


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"acl": "private"}, '["eq", "$acl", "public-read"]'),
        ({"x-amz-meta-owner": "mallory"}, '["eq", "$x-amz-meta-owner", "eric"]'),
        ({"Content-Type": "text/html"}, '["starts-with", "$Content-Type", "image/"]'),
        ({"Content-Type": "image/png,text/html"}, '["starts-with", "$Content-Type", "image/"]'),
        ({"key": "elsewhere/x"}, '["starts-with", "$key", "uploads/"]'),
    ],
)
def test_failed_conditions(change: dict[str, str], failed: str) -> None:
    fields = presign(**FORM)
    fields.update(change)
    error = expect("AccessDenied", 403, fields, secrets=None)
    assert error.message == "Invalid according to Policy: Policy Condition failed: " + failed


def test_the_bucket_condition_is_the_url_bucket() -> None:
    error = expect("AccessDenied", 403, presign(), bucket="other")
    assert error.message == 'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "bkt"]'


def test_field_names_are_case_insensitive_and_lists_of_content_types_pass() -> None:
    fields = presign(**FORM)
    fields["content-type"] = fields.pop("Content-Type")
    fields["CONTENT-TYPE"] = "ignored duplicate"
    check(fields)
    fields["content-type"] = "image/png, image/jpeg"
    check(fields, secrets=None)


def test_extra_fields() -> None:
    fields = presign(**FORM)
    error = expect("AccessDenied", 403, {**fields, "x-amz-meta-other": "x"}, secrets=None)
    assert error.message == "Invalid according to Policy: Extra input fields: x-amz-meta-other"
    check({**fields, "bucket": "bkt"}, secrets=None)  # boto3's policy names the bucket
    check({**fields, "x-ignore-submit": "Upload", "X-Ignore-Other": "y"}, secrets=None)


def test_signature_checks() -> None:
    fields = presign()
    tampered = {**fields, "x-amz-signature": "0" * 64}
    error = expect("SignatureDoesNotMatch", 403, tampered)
    assert error.details["StringToSign"] == fields["policy"]
    assert error.details["AWSAccessKeyId"] == AK
    assert check(tampered, secrets=None).access_key == AK  # open mode identifies without verifying
    error = expect("InvalidAccessKeyId", 403, fields, secrets={})
    assert error.details == {"AWSAccessKeyId": AK}
    v2 = presign(v4=False)
    expect("SignatureDoesNotMatch", 403, {**v2, "signature": "AAAA"})
    # The policy is what is signed: a policy swapped for a more lenient one fails the signature.
    lenient = base64.b64encode(
        json.dumps({"expiration": "2999-01-01T00:00:00Z", "conditions": []}).encode()
    ).decode()
    expect("SignatureDoesNotMatch", 403, {**fields, "policy": lenient})


def test_an_unsigned_form_is_anonymous_and_needs_only_a_key() -> None:
    assert check({"key": "k/${filename}", "Content-Type": "x"}, filename="f.txt") == PostPolicy(
        None, None, "k/f.txt"
    )


@pytest.mark.parametrize(
    ("remove", "name"),
    [
        ("key", "key"),
        ("policy", "policy"),
        ("x-amz-credential", "x-amz-credential"),
        ("x-amz-date", "x-amz-date"),
    ],
)
def test_missing_fields(remove: str, name: str) -> None:
    fields = presign()
    del fields[remove]
    error = expect("InvalidArgument", 400, fields)
    assert (
        error.message
        == f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
    )
    assert error.details == {"ArgumentName": name, "ArgumentValue": ""}


def test_a_policy_without_a_signature() -> None:
    expect("InvalidArgument", 400, {"key": "k", "policy": "e30="})


def _signed(document: Any) -> dict[str, str]:
    """A SigV4 form around an arbitrary policy document (open mode: only the policy matters)."""
    raw = document if isinstance(document, str) else base64.b64encode(json.dumps(document).encode()).decode()
    return {
        "key": "k",
        "policy": raw,
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": f"{AK}/20240101/us-east-1/s3/aws4_request",
        "x-amz-date": "20240101T000000Z",
        "x-amz-signature": "0" * 64,
    }


COVER = [
    {"key": "k"},
    {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
    ["starts-with", "$x-amz-credential", ""],
    ["starts-with", "$x-amz-date", ""],
]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not base64!", "Invalid Policy: Invalid Base64 Encoding."),
        (base64.b64encode(b"{not json").decode(), "Invalid Policy: Invalid JSON."),
        (base64.b64encode(b"[1]").decode(), "Invalid Policy: Invalid JSON."),
        ({"conditions": []}, "Invalid Policy: Policy missing expiration."),
        (
            {"expiration": "tomorrow", "conditions": []},
            "Invalid Policy: Invalid 'expiration' value: 'tomorrow'",
        ),
        ({"expiration": "2999-01-01T00:00:00.000Z"}, "Invalid Policy: Policy missing conditions."),
    ],
)
def test_invalid_policy_documents(document: Any, message: str) -> None:
    error = expect("InvalidPolicyDocument", 400, _signed(document), secrets=None)
    assert error.message == message


@pytest.mark.parametrize(
    "condition",
    [
        ["content-length-range", "a", 5],
        ["content-length-range", 5, 1],
        ["eq", "key", "k"],  # no '$'
        ["matches", "$key", "k"],
        ["eq", "$key", 5],
        {"key": "k", "acl": "x"},
        "key",
    ],
)
def test_conditions_s3_cannot_interpret_fail(condition: Any) -> None:
    document = {"expiration": "2999-01-01T00:00:00.000Z", "conditions": [*COVER, condition]}
    error = expect("AccessDenied", 403, _signed(document), secrets=None)
    assert error.message.startswith("Invalid according to Policy: Policy Condition failed: ")


def test_string_range_bounds_and_empty_prefixes() -> None:
    document = {
        "expiration": "2999-01-01T00:00:00Z",
        "conditions": [
            *COVER,
            ["content-length-range", "0", "5"],
            ["starts-with", "$success_action_status", ""],
        ],
    }
    policy = check({**_signed(document), "success_action_status": "201"}, secrets=None)
    assert (policy.min_size, policy.max_size) == (0, 5)
