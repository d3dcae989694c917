"""Presigned URLs and browser POST uploads end to end, fetched with a plain HTTP client (httpx):
GET and PUT, response header overrides, expiry on the server's test clock, the one-week limit, and
POST policies (fields, conditions, success_action_status, content-length-range, expiry).

boto3 presigns S3 with Signature Version 2 unless the client is configured with s3v4 (its own
backwards-compatibility default), so both query-string signatures are exercised.

Everything here runs on a server with `--auth strict` (credentials test:test): presigned requests
are only as good as the server's checking of their signature and expiry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.support.s3 import etag_of, s3_client, xml_error, xml_find_all
from tests.e2e.support.server import Server, server_fixture

BUCKET = "shared"
STRICT = "--durability fast --limits off --test-mode on --auth strict --credentials test:test"


strict_server = server_fixture("s3strict", STRICT)


@pytest.fixture
def server(strict_server: Server) -> Server:
    """This module's server (shadows the session one): strict auth, reset before each test."""
    strict_server.reset()
    return strict_server


@pytest.fixture
def endpoint(server: Server) -> str:
    return server.endpoint


@pytest.fixture
def s3(endpoint: str) -> Any:
    return s3_client(endpoint)


@pytest.fixture
def bucket(s3: Any) -> str:
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


SIGNATURES = {"s3v4": "X-Amz-Signature=", "s3": "Signature="}


@pytest.fixture(params=sorted(SIGNATURES))
def signer(request: pytest.FixtureRequest, endpoint: str, bucket: str) -> Any:
    """A client that presigns with one signature version: "s3v4" (X-Amz-*) or "s3" (V2)."""
    client = s3_client(endpoint, signature_version=request.param)
    client.signature = request.param
    return client


def test_presigned_get_and_put(s3: Any, bucket: str, signer: Any) -> None:
    put_url = signer.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": "up/loaded.txt", "ContentType": "text/plain"},
        ExpiresIn=300,
    )
    assert SIGNATURES[signer.signature] in put_url
    put = httpx.put(put_url, content=b"via presigned PUT", headers={"Content-Type": "text/plain"})
    assert put.status_code == 200, put.text
    assert put.headers["etag"] == etag_of(b"via presigned PUT")
    head = s3.head_object(Bucket=bucket, Key="up/loaded.txt")
    assert head["ContentType"] == "text/plain"

    get_url = signer.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": "up/loaded.txt",
            "ResponseContentDisposition": 'attachment; filename="x.txt"',
            "ResponseContentType": "application/x-override",
            "ResponseCacheControl": "no-store",
        },
        ExpiresIn=300,
    )
    got = httpx.get(get_url)
    assert got.status_code == 200
    assert got.content == b"via presigned PUT"
    assert got.headers["content-disposition"] == 'attachment; filename="x.txt"'
    assert got.headers["content-type"] == "application/x-override"
    assert got.headers["cache-control"] == "no-store"
    # a presigned URL for a missing key gets S3's 404 error document
    missing = httpx.get(
        signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "nope"}, ExpiresIn=60)
    )
    assert missing.status_code == 404
    assert xml_error(missing.content)["Code"] == "NoSuchKey"


def test_presigned_url_expires_on_the_server_clock(s3: Any, bucket: str, signer: Any, server: Server) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret")
    url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    assert httpx.get(url).status_code == 200
    server.advance(120)
    expired = httpx.get(url)
    assert expired.status_code == 403
    error = xml_error(expired.content)
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Request has expired")
    assert "Expires" in error and "ServerTime" in error
    if signer.signature == "s3v4":
        assert error["X-Amz-Expires"] == "60"


def test_presigned_url_longer_than_a_week_is_refused(s3: Any, bucket: str, endpoint: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3_client(endpoint, signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801
    )
    refused = httpx.get(url)
    assert refused.status_code == 400
    error = xml_error(refused.content)
    assert error["Code"] == "AuthorizationQueryParametersError"
    assert "X-Amz-Expires must be less than a week" in error["Message"]


def test_tampered_presigned_urls_are_refused(s3: Any, bucket: str, signer: Any, endpoint: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_object(Bucket=bucket, Key="other", Body=b"y")
    url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    for response in (
        httpx.get(url.replace(f"/{bucket}/k?", f"/{bucket}/other?")),  # another key
        httpx.put(url, content=b"z"),  # another method
    ):
        assert response.status_code == 403
        assert xml_error(response.content)["Code"] == "SignatureDoesNotMatch"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    stranger = s3_client(endpoint, access_key="AKIDUNKNOWN", signature_version=signer.signature)
    unknown = httpx.get(stranger.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}))
    assert unknown.status_code == 403
    error = xml_error(unknown.content)
    assert error["Code"] == "InvalidAccessKeyId"
    assert error["Message"] == "The AWS Access Key Id you provided does not exist in our records."


def post_form(s3: Any, bucket: str, **overrides: Any) -> dict[str, Any]:
    fields = {"success_action_status": "201", "Content-Type": "image/png", "x-amz-meta-who": "browser"}
    conditions: list[Any] = [
        {"success_action_status": "201"},
        ["starts-with", "$key", "uploads/"],
        ["content-length-range", 1, 1024],
        {"Content-Type": "image/png"},
        {"x-amz-meta-who": "browser"},
    ]
    return s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields=overrides.get("fields", fields),
        Conditions=overrides.get("conditions", conditions),
        ExpiresIn=overrides.get("expires", 300),
    )


def post(
    form: dict[str, Any], data: bytes, filename: str = "pic.png", **field_changes: str
) -> httpx.Response:
    fields = {**form["fields"], **field_changes}
    # S3 wants the file as the last form field; httpx writes data fields before files
    return httpx.post(form["url"], data=fields, files={"file": (filename, data, "image/png")})


def test_browser_post_upload(s3: Any, bucket: str, endpoint: str) -> None:
    form = post_form(s3_client(endpoint, signature_version="s3v4"), bucket)
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    created = post(form, b"\x89PNG fake image")
    assert created.status_code == 201, created.text
    assert xml_find_all(created.content, "Key") == ["uploads/pic.png"]  # ${filename} substituted
    assert xml_find_all(created.content, "Bucket") == [bucket]
    assert xml_find_all(created.content, "ETag") == [etag_of(b"\x89PNG fake image")]
    assert xml_find_all(created.content, "Location")[0].endswith("pic.png")
    assert created.headers["etag"] == etag_of(b"\x89PNG fake image")
    head = s3.head_object(Bucket=bucket, Key="uploads/pic.png")
    assert (head["ContentType"], head["Metadata"]) == ("image/png", {"who": "browser"})
    assert s3.get_object(Bucket=bucket, Key="uploads/pic.png")["Body"].read() == b"\x89PNG fake image"

    # without success_action_status the answer is 204 No Content (and boto3's default V2 policy)
    plain = s3.generate_presigned_post(bucket, "plain/${filename}", ExpiresIn=300)
    assert "signature" in plain["fields"] and "AWSAccessKeyId" in plain["fields"]
    answered = httpx.post(plain["url"], data=plain["fields"], files={"file": ("a.txt", b"abc", "text/plain")})
    assert answered.status_code == 204 and answered.content == b""
    assert s3.get_object(Bucket=bucket, Key="plain/a.txt")["Body"].read() == b"abc"


def test_browser_post_policy_is_enforced(s3: Any, bucket: str, endpoint: str, server: Server) -> None:
    form = post_form(s3_client(endpoint, signature_version="s3v4"), bucket)
    too_big = post(form, b"x" * 2048)
    assert too_big.status_code == 400
    assert xml_error(too_big.content)["Code"] == "EntityTooLarge"
    outside = post(form, b"x", key="elsewhere/pic.png")
    assert outside.status_code == 403
    error = xml_error(outside.content)
    assert error["Code"] == "AccessDenied"
    assert error["Message"].startswith("Invalid according to Policy: Policy Condition failed")
    wrong_type = post(form, b"x", **{"Content-Type": "text/html"})
    assert wrong_type.status_code == 403
    server.advance(600)
    expired = post(form, b"x")
    assert expired.status_code == 403
    error = xml_error(expired.content)
    assert (error["Code"], error["Message"]) == (
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
