"""Browser POST uploads: forms built by hand and by boto3's generate_presigned_post."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config as BotoConfig

from headwater.protocol.errors import AwsError
from headwater.services.context import RawResponse
from headwater.services.s3 import post_upload
from headwater.services.s3.post_form import PostForm
from tests.services.s3.harness import CTX, FakeBody, S3Harness, run

BOUNDARY = "----HeadwaterFormBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def form(
    fields: list[tuple[str, str]],
    file: bytes | None,
    *,
    filename: str = "photo.jpg",
    after: list[tuple[str, str]] | None = None,
) -> bytes:
    parts = []
    for name, value in fields:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    if file is not None:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        parts.append(head.encode() + file + b"\r\n")
    for name, value in after or []:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


async def post(h: S3Harness, payload: bytes, chunk: int = 7, content_type: str = CONTENT_TYPE) -> RawResponse:
    params = {"Bucket": "bkt", "Body": FakeBody(payload, chunk), "ContentType": content_type}
    result = await post_upload.OPERATIONS["PostObject"](h.core, params, CTX)
    assert isinstance(result, RawResponse)
    return result


async def post_error(h: S3Harness, payload: bytes, content_type: str = CONTENT_TYPE) -> AwsError:
    with pytest.raises(AwsError) as caught:
        await post(h, payload, content_type=content_type)
    return caught.value


def policy_fields(conditions: list[Any], expires_in: float = 3600) -> dict[str, str]:
    expiration = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + expires_in))
    policy = base64.b64encode(
        json.dumps({"expiration": expiration, "conditions": conditions}).encode()
    ).decode()
    return {"policy": policy, "AWSAccessKeyId": "AKID", "signature": "unchecked-in-open-mode"}


# -- a form built by hand -----------------------------------------------------------------------------


def test_hand_built_form_with_201_answer_stores_fields_and_emits() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>data</Value></Tag></TagSet></Tagging>"
        payload = form(
            [
                ("key", "uploads/${filename}"),
                ("Content-Type", "image/jpeg"),
                ("x-amz-meta-Camera", "x100"),
                ("Cache-Control", "max-age=60"),
                ("tagging", tagging),
                ("success_action_status", "201"),
            ],
            b"\xff\xd8 jpeg bytes \r\n--not-a-boundary",
        )
        answer = await post(h, payload)
        assert answer.status == 201
        etag = '"' + hashlib.md5(b"\xff\xd8 jpeg bytes \r\n--not-a-boundary").hexdigest() + '"'
        document = ET.fromstring(answer.body)
        assert document.tag == "PostResponse"
        assert {child.tag: child.text for child in document} == {
            "Location": "http://localhost:4566/bkt/uploads%2Fphoto.jpg",
            "Bucket": "bkt",
            "Key": "uploads/photo.jpg",
            "ETag": etag,
        }
        headers = dict(answer.headers)
        assert headers["ETag"] == etag and headers["Content-Type"] == "application/xml"
        version = h.core.store.latest("bkt", "uploads/photo.jpg")
        assert version is not None
        assert version.content_type == "image/jpeg"
        assert version.metadata == {"camera": "x100"}
        assert version.tags == {"team": "data"}
        assert version.headers["CacheControl"] == "max-age=60"
        assert await h.read("uploads/photo.jpg") == b"\xff\xd8 jpeg bytes \r\n--not-a-boundary"
        assert [(e[1], e[2].key) for e in h.emitted] == [("ObjectCreated:Post", "uploads/photo.jpg")]

    run(test)


def test_success_statuses_and_redirects() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket(versioning="Enabled")
        default = await post(h, form([("key", "a")], b"1"))
        assert default.status == 204 and default.body == b""
        headers = dict(default.headers)
        assert headers["Location"] == "http://localhost:4566/bkt/a"
        assert headers["x-amz-version-id"] == h.core.store.latest("bkt", "a").version_id  # type: ignore[union-attr]
        assert headers["x-amz-server-side-encryption"] == "AES256"
        assert (await post(h, form([("key", "b"), ("success_action_status", "200")], b"2"))).status == 200
        assert (await post(h, form([("key", "c"), ("success_action_status", "302")], b"3"))).status == 204
        redirected = await post(
            h,
            form(
                [("key", "d/${filename}"), ("success_action_redirect", "https://example.com/done?x=1")], b"4"
            ),
        )
        assert redirected.status == 303
        target = urlsplit(dict(redirected.headers)["Location"])
        assert (target.netloc, target.path) == ("example.com", "/done")
        assert parse_qs(target.query) == {
            "x": ["1"],
            "bucket": ["bkt"],
            "key": ["d/photo.jpg"],
            "etag": ['"' + hashlib.md5(b"4").hexdigest() + '"'],
        }

    run(test)


def test_fields_after_the_file_are_ignored() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        payload = form([("key", "k")], b"body", after=[("x-amz-meta-late", "1"), ("key", "other")])
        await post(h, payload)
        version = h.core.store.latest("bkt", "k")
        assert version is not None and version.metadata == {}
        assert h.core.store.latest("bkt", "other") is None

    run(test)


def test_malformed_forms_are_refused() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        no_file = await post_error(h, form([("key", "k")], None))
        assert (no_file.code, no_file.message) == (
            "InvalidArgument",
            "POST requires exactly one file upload per request.",
        )
        no_key = await post_error(h, form([("acl", "private")], b"x"))
        assert (no_key.code, no_key.details["ArgumentName"]) == ("InvalidArgument", "key")
        wrong_type = await post_error(
            h, form([("key", "k")], b"x"), content_type="application/x-www-form-urlencoded"
        )
        assert (wrong_type.code, wrong_type.status) == ("PreconditionFailed", 412)
        truncated = form([("key", "k")], b"x" * 1000)[:-200]
        cut = await post_error(h, truncated)
        assert cut.code == "MalformedPOSTRequest"
        big_fields = await post_error(h, form([("key", "k"), ("x-ignore-pad", "p" * 21_000)], b"x"))
        assert big_fields.code == "MaxPostPreDataLengthExceeded"
        assert big_fields.details == {"MaxPostPreDataLengthBytes": "20480"}
        assert list(h.core.engine.blobs.ids()) == []
        assert h.core.store.latest("bkt", "k") is None

    run(test)


def test_policy_size_range_is_checked_after_the_file_and_leaves_nothing() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        fields = policy_fields(
            [{"bucket": "bkt"}, ["starts-with", "$key", "in/"], ["content-length-range", 5, 10]]
        )
        small = await post_error(h, form([("key", "in/a"), *fields.items()], b"1234"))
        assert (small.code, small.details["MinSizeAllowed"]) == ("EntityTooSmall", "5")
        large = await post_error(h, form([("key", "in/a"), *fields.items()], b"x" * 11))
        assert large.code == "EntityTooLarge"
        outside = await post_error(h, form([("key", "out/a"), *fields.items()], b"123456"))
        assert (outside.code, outside.status) == ("AccessDenied", 403)
        assert list(h.core.engine.blobs.ids()) == []
        assert (await post(h, form([("key", "in/a"), *fields.items()], b"123456"))).status == 204

    run(test)


def test_an_expired_policy_is_refused() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        fields = policy_fields([{"bucket": "bkt"}, ["starts-with", "$key", ""]], expires_in=-60)
        error = await post_error(h, form([("key", "k"), *fields.items()], b"x"))
        assert (error.code, error.message) == ("AccessDenied", "Invalid according to Policy: Policy expired.")

    run(test)


# -- boto3's generate_presigned_post ------------------------------------------------------------------


def presigned(secret: str, **kwargs: Any) -> dict[str, Any]:
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://localhost:4566",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=secret,
        config=BotoConfig(signature_version="s3v4"),
    )
    return client.generate_presigned_post("bkt", **kwargs)  # type: ignore[no-any-return]


STRICT: dict[str, Any] = {"auth": "strict", "credentials": {"AKIDEXAMPLE": "real-secret"}}


def test_boto3_presigned_post_uploads_with_strict_auth() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        post_form = presigned(
            "real-secret",
            Key="user/${filename}",
            Fields={
                "Content-Type": "text/plain",
                "x-amz-meta-origin": "browser",
                "success_action_status": "201",
            },
            Conditions=[
                ["starts-with", "$key", "user/"],
                {"Content-Type": "text/plain"},
                {"x-amz-meta-origin": "browser"},
                {"success_action_status": "201"},
                ["content-length-range", 1, 1024 * 1024],
            ],
        )
        assert "x-amz-signature" in post_form["fields"]
        payload = form(list(post_form["fields"].items()), b"hello from a form", filename="notes.txt")
        answer = await post(h, payload, chunk=64)
        assert answer.status == 201
        version = h.core.store.latest("bkt", "user/notes.txt")
        assert version is not None
        assert (version.content_type, version.metadata) == ("text/plain", {"origin": "browser"})
        assert await h.read("user/notes.txt") == b"hello from a form"

    run(test, **STRICT)


def test_boto3_presigned_post_with_a_wrong_secret_or_none_is_refused_in_strict_mode() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        forged = presigned("wrong-secret", Key="k")
        error = await post_error(h, form(list(forged["fields"].items()), b"x"))
        assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
        anonymous = await post_error(h, form([("key", "k")], b"x"))
        assert (anonymous.code, anonymous.status) == ("AccessDenied", 403)
        assert list(h.core.engine.blobs.ids()) == []

    run(test, **STRICT)


# -- the form reader ----------------------------------------------------------------------------------


def test_the_file_streams_in_pieces_as_the_body_arrives() -> None:
    async def main() -> None:
        content = bytes(range(256)) * 4096  # 1 MiB
        body = FakeBody(form([("key", "k"), ("acl", "private")], content, after=[("x", "y")]), 64 * 1024)
        reader = PostForm(BOUNDARY.encode(), body)
        await reader.read_fields()
        assert reader.fields == {"key": "k", "acl": "private"}
        assert (reader.filename, reader.file_content_type) == ("photo.jpg", "image/jpeg")
        assert body.consumed < len(content) // 2  # the fields were read without reading the file
        pieces = [piece async for piece in reader.file()]
        assert b"".join(pieces) == content
        assert len(pieces) > 10 and max(map(len, pieces)) <= 64 * 1024
        await reader.drain()
        assert reader.fields == {"key": "k", "acl": "private"}

    asyncio.run(main())


def test_utf8_filenames_are_substituted_into_the_key() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        await post(h, form([("key", "${filename}")], b"x", filename="café ☕.txt"))
        assert h.core.store.latest("bkt", "café ☕.txt") is not None

    run(test)
