"""A real botocore client talking to the codec, both addressing styles.

The HTTP layer is stubbed at botocore's ``before-send`` event, so every customization a real
client applies runs (checksums, Content-MD5, Expect, EncodingType=url, copy-source encoding, the
GetBucketLocation handler, error parsing); the request goes through `s3_target` and
`parse_request`, the fake service's result back through `serialize_response` or `serialize_error`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.config import Config
from botocore.exceptions import ClientError

from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model
from headwater.protocol.rest_xml.codec import (
    parse_request,
    request_payload,
    serialize_error,
    serialize_response,
)
from headwater.protocol.rest_xml.s3_routing import S3Target, s3_target

WHEN = dt.datetime(2009, 10, 12, 17, 50, 30, 120000, tzinfo=dt.UTC)


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data.read()

    def read(self, amt: int | None = None, **_: Any) -> bytes:
        return self._data.read(amt)


Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


class FakeS3:
    """Answers a botocore client through the codec: route, parse, call `handler`, serialize."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.calls: list[tuple[S3Target, dict[str, Any]]] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        query = parse_qsl(url.query, keep_blank_values=True)
        headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        body = request.body
        body = body.read() if hasattr(body, "read") else body or b""
        body = body.encode() if isinstance(body, str) else body
        try:
            target = s3_target(request.method, url.netloc, url.path, query, headers)
            model = operation_model("s3", target.operation)
            params = parse_request(model, target, query, headers, body)
            payload = request_payload(model)
            if payload and payload[1]:
                params[payload[0]] = body
            self.calls.append((target, params))
            status, out_headers, out = serialize_response(model, self.handler(target.operation, params))
        except AwsError as error:
            status, out_headers = error.status, [("x-amz-request-id", "REQ")]
            out = serialize_error(error.code, error.message, "REQ", "HOST", error.details)
        if out is None:
            out = self.handler(target.operation, params)["Body"]
        return AWSResponse(request.url, status, HeadersDict(out_headers), _Raw(out))


def client(fake: FakeS3, style: str) -> Any:
    session = botocore.session.get_session()
    s3 = session.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://localhost:4566",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": style}, retries={"max_attempts": 1}),
    )
    s3.meta.events.register("before-send.s3", fake)
    return s3


def store(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    key = params.get("Key")
    results: dict[str, dict[str, Any]] = {
        "PutObject": {"ETag": '"etag"', "VersionId": "v1"},
        "GetObject": {
            "Body": b"hello",
            "ContentLength": 5,
            "ETag": '"etag"',
            "LastModified": WHEN,
            "Metadata": {"color": "blue"},
        },
        "HeadObject": {"ContentLength": 5, "LastModified": WHEN, "ContentType": "text/plain"},
        "ListObjectsV2": {
            "Name": params["Bucket"],
            "KeyCount": 1,
            "IsTruncated": False,
            "Contents": [{"Key": "a b/é", "Size": 5, "LastModified": WHEN}],
        },
        "CreateMultipartUpload": {"Bucket": params["Bucket"], "Key": key, "UploadId": "up-1"},
        "UploadPart": {"ETag": '"p1"'},
        "CompleteMultipartUpload": {
            "Bucket": params["Bucket"],
            "Key": key,
            "ETag": '"m-1"',
            "Location": "here",
        },
        "CopyObject": {"CopyObjectResult": {"ETag": '"c"', "LastModified": WHEN}},
        "GetBucketLocation": {"LocationConstraint": "eu-west-1"},
        "DeleteObject": {},
        "PutBucketVersioning": {},
    }
    if operation == "GetObject" and key == "missing":
        raise AwsError("NoSuchKey", "The specified key does not exist.", 404, details={"Key": key})
    if operation == "DeleteObjects":
        return {"Deleted": [{"Key": o["Key"]} for o in params["Delete"]["Objects"]]}
    return results[operation]


@pytest.fixture(params=["path", "virtual"])
def s3(request: pytest.FixtureRequest) -> tuple[Any, FakeS3]:
    fake = FakeS3(store)
    return client(fake, request.param), fake


def test_client_objects(s3: tuple[Any, FakeS3]) -> None:
    c, fake = s3
    put = c.put_object(
        Bucket="bkt",
        Key="dir/a b+c%.txt",
        Body=b"hello",
        Metadata={"Color": "blue"},
        ContentType="text/plain",
    )
    assert (put["ETag"], put["VersionId"]) == ('"etag"', "v1")
    target, params = fake.calls[-1]
    assert target == S3Target("PutObject", "bkt", "dir/a b+c%.txt")
    assert params["Body"] == b"hello"
    assert params["Metadata"] == {"color": "blue"}  # S3 keeps metadata keys lower-case
    assert params["ContentType"] == "text/plain"
    got = c.get_object(Bucket="bkt", Key="dir/a b+c%.txt")
    assert got["Body"].read() == b"hello"
    assert (got["ContentLength"], got["Metadata"], got["LastModified"]) == (
        5,
        {"color": "blue"},
        WHEN.replace(microsecond=0),
    )
    head = c.head_object(Bucket="bkt", Key="k")
    assert head["ContentType"] == "text/plain"
    assert c.delete_object(Bucket="bkt", Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_client_listing(s3: tuple[Any, FakeS3]) -> None:
    c, fake = s3
    listing = c.list_objects_v2(Bucket="bkt", Prefix="a b/", Delimiter="/")
    assert listing["Contents"][0]["Key"] == "a b/é"
    target, params = fake.calls[-1]
    assert target.operation == "ListObjectsV2"
    assert params == {"Bucket": "bkt", "Prefix": "a b/", "Delimiter": "/", "EncodingType": "url"}


def test_client_multipart(s3: tuple[Any, FakeS3]) -> None:
    c, fake = s3
    upload = c.create_multipart_upload(Bucket="bkt", Key="big", Metadata={"a": "1"})["UploadId"]
    assert fake.calls[-1][1]["Metadata"] == {"a": "1"}
    part = c.upload_part(Bucket="bkt", Key="big", UploadId=upload, PartNumber=1, Body=b"x" * 10)
    assert fake.calls[-1][0].operation == "UploadPart"
    assert fake.calls[-1][1]["PartNumber"] == 1
    done = c.complete_multipart_upload(
        Bucket="bkt",
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    assert done["ETag"] == '"m-1"'
    assert fake.calls[-1][1]["MultipartUpload"] == {"Parts": [{"ETag": '"p1"', "PartNumber": 1}]}


def test_client_copy_delete_and_bucket_calls(s3: tuple[Any, FakeS3]) -> None:
    c, fake = s3
    copied = c.copy_object(Bucket="bkt", Key="dst", CopySource={"Bucket": "src", "Key": "a b/é"})
    assert copied["CopyObjectResult"]["ETag"] == '"c"'
    assert fake.calls[-1][0].operation == "CopyObject"
    assert fake.calls[-1][1]["CopySource"] == "src/a%20b/%C3%A9"  # as sent: the service decodes it
    deleted = c.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "x"}, {"Key": "y&z"}]})
    assert [d["Key"] for d in deleted["Deleted"]] == ["x", "y&z"]
    assert c.get_bucket_location(Bucket="bkt")["LocationConstraint"] == "eu-west-1"
    c.put_bucket_versioning(Bucket="bkt", VersioningConfiguration={"Status": "Enabled"})
    assert fake.calls[-1][1]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_client_errors(s3: tuple[Any, FakeS3]) -> None:
    c, _ = s3
    with pytest.raises(ClientError) as caught:
        c.get_object(Bucket="bkt", Key="missing")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"], error["Key"]) == (
        "NoSuchKey",
        "The specified key does not exist.",
        "missing",
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
