"""S3 errors end to end, as S3's XML: the document (`<Error>` with Code, Message, the resource's
element, RequestId = x-amz-request-id, HostId = x-amz-id-2, no namespace, application/xml), HEAD
errors without a body, and the codes, statuses and messages of the common client errors. The
operation-specific ones (multipart, ranges, conditions, versions, configurations) are asserted in
the files of their areas too."""

from __future__ import annotations

import hashlib
import http.client
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.support.s3 import UNSIGNED, b64, error_of, raw, s3_client, sign_v4, xml_error

BUCKET = "errs"


@pytest.fixture
def bucket(s3: Any) -> str:
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="present", Body=b"here")
    return BUCKET


def test_error_document_shape(bucket: str, endpoint: str) -> None:
    for path, code, element in (
        (f"/{bucket}/missing%20key", "NoSuchKey", ("Key", "missing key")),
        ("/no-such-bucket/key", "NoSuchBucket", ("BucketName", "no-such-bucket")),
        ("/no-such-bucket", "NoSuchBucket", ("BucketName", "no-such-bucket")),
    ):
        response = raw(endpoint, "GET", path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/xml")
        assert response.content.startswith(b"<?xml")
        error = xml_error(response.content)  # root <Error>, no namespace
        assert error["Code"] == code
        assert error[element[0]] == element[1]
        assert error["RequestId"] == response.headers["x-amz-request-id"]
        assert error["HostId"] == response.headers["x-amz-id-2"]
    head = raw(endpoint, "HEAD", "/no-such-bucket/key")
    assert head.status_code == 404 and head.content == b""
    assert head.headers["x-amz-request-id"]


def test_bucket_errors(s3: Any, bucket: str, endpoint: str) -> None:
    not_empty = error_of(s3.delete_bucket, Bucket=bucket)
    assert (not_empty.code, not_empty.status) == ("BucketNotEmpty", 409)
    assert not_empty.message.rstrip(".") == "The bucket you tried to delete is not empty"
    assert not_empty.error["BucketName"] == bucket
    eu = s3_client(endpoint, "eu-west-1")
    eu.create_bucket(Bucket="eu-errs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    owned = error_of(
        eu.create_bucket, Bucket="eu-errs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    assert (owned.code, owned.status) == ("BucketAlreadyOwnedByYou", 409)
    # the bucket namespace is global: another account cannot have the name
    other_account = s3_client(endpoint, access_key="111111111111")
    taken = error_of(other_account.create_bucket, Bucket=bucket)
    assert (taken.code, taken.status) == ("BucketAlreadyExists", 409)
    assert taken.message == (
        "The requested bucket name is not available. The bucket namespace is shared by all users of the "
        "system. Please select a different name and try again."
    )
    missing = error_of(s3.list_objects_v2, Bucket="no-such-bucket")
    assert (missing.code, missing.status) == ("NoSuchBucket", 404)


def test_object_request_errors(s3: Any, bucket: str) -> None:
    too_long = error_of(s3.put_object, Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert (too_long.code, too_long.status) == ("KeyTooLongError", 400)
    assert too_long.message.rstrip(".") == "Your key is too long"
    assert (
        s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")["ResponseMetadata"]["HTTPStatusCode"] == 200
    )

    big_metadata = {f"m{i}": "v" * 200 for i in range(11)}  # over the 2 KB of user metadata
    metadata = error_of(s3.put_object, Bucket=bucket, Key="meta", Body=b"x", Metadata=big_metadata)
    assert (metadata.code, metadata.status) == ("MetadataTooLarge", 400)
    assert metadata.message == "Your metadata headers exceed the maximum allowed metadata size."

    storage = error_of(s3.put_object, Bucket=bucket, Key="sc", Body=b"x", StorageClass="NOT_A_CLASS")
    assert (storage.code, storage.status) == ("InvalidStorageClass", 400)
    assert storage.message == "The storage class you specified is not valid"

    long_tag = error_of(
        s3.put_object_tagging,
        Bucket=bucket,
        Key="present",
        Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]},
    )
    assert (long_tag.code, long_tag.status) == ("InvalidTag", 400)

    too_many = error_of(
        s3.delete_objects, Bucket=bucket, Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]}
    )
    assert (too_many.code, too_many.status) == ("MalformedXML", 400)
    assert s3.get_object(Bucket=bucket, Key="present")["Body"].read() == b"here"


def test_malformed_xml_bodies(bucket: str, endpoint: str) -> None:
    for method, query, body in (
        ("PUT", {"tagging": ""}, b"<Tagging><TagSet><Tag><Key>a</Key>"),
        ("PUT", {"versioning": ""}, b"not xml at all"),
        ("POST", {"delete": ""}, b"<Delete><Object></Delete>"),
    ):
        # these operations require a Content-MD5 (or checksum): send a correct one
        headers = {"Content-MD5": b64(hashlib.md5(body).digest()), "Content-Type": "application/xml"}
        response = raw(endpoint, method, f"/{bucket}", query=query, body=body, headers=headers)
        assert response.status_code == 400, (query, response.text)
        assert xml_error(response.content)["Code"] == "MalformedXML", query


def test_method_and_length_errors(bucket: str, endpoint: str) -> None:
    patched = raw(endpoint, "PATCH", f"/{bucket}/present", body=b"x")
    assert patched.status_code == 405
    error = xml_error(patched.content)
    assert error["Code"] == "MethodNotAllowed"
    assert error["Message"] == "The specified method is not allowed against this resource."
    assert error["Method"] == "PATCH"

    # HTTP chunked transfer encoding (not aws-chunked) is refused: S3 needs the length up front
    headers, _, _ = sign_v4("PUT", endpoint, f"/{bucket}/streamed", {}, UNSIGNED)

    def body() -> Iterator[bytes]:
        yield b"part one, "
        yield b"part two"

    chunked = httpx.put(f"{endpoint}/{bucket}/streamed", content=body(), headers=headers)
    assert chunked.status_code == 501
    error = xml_error(chunked.content)
    assert (error["Code"], error["Header"]) == ("NotImplemented", "Transfer-Encoding")
    assert error["Message"] == "A header you provided implies functionality that is not implemented"

    # a PUT with no Content-Length at all
    port = urlsplit(endpoint).port
    headers, _, _ = sign_v4("PUT", endpoint, f"/{bucket}/unsized", {"connection": "close"}, UNSIGNED)
    request = f"PUT /{bucket}/unsized HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode() + b"\r\n")
        answer = http.client.HTTPResponse(sock, method="PUT")
        answer.begin()
        assert answer.status == 411
        error = xml_error(answer.read())
    assert error["Code"] == "MissingContentLength"
    assert error["Message"] == "You must provide the Content-Length HTTP header."
    assert error_of(s3_client(endpoint).head_object, Bucket=bucket, Key="unsized").status == 404
