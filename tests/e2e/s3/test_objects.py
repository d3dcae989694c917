"""S3 objects end to end: put/get/head/delete with content headers and user metadata, keys that
need encoding, CopyObject metadata directives, DeleteObjects, object tagging, additional checksums,
Content-MD5, and the upload encodings SDKs send (boto3's default aws-chunked body with a trailing
CRC32, a plain signed body, UNSIGNED-PAYLOAD, and SigV4 signed chunks)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.support.s3 import (
    MIB,
    UNSIGNED,
    b64,
    crc32_b64,
    crc32c_b64,
    crc64nvme_b64,
    error_of,
    etag_of,
    keys_of,
    payload,
    raw,
    sha1_b64,
    sha256_b64,
    sign_v4,
    signing_key,
    xml_error,
)

BUCKET = "objects"


@pytest.fixture
def bucket(s3: Any) -> str:
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def test_put_get_head_with_content_headers_and_metadata(s3: Any, bucket: str) -> None:
    body = b"hello, object store"
    expires = dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    put = s3.put_object(
        Bucket=bucket,
        Key="docs/greeting.txt",
        Body=body,
        ContentType="text/plain; charset=utf-8",
        CacheControl="max-age=60",
        ContentDisposition='attachment; filename="greeting.txt"',
        ContentLanguage="en-GB",
        Expires=expires,
        Metadata={"Color": "blue", "owner-id": "42"},
    )
    assert put["ETag"] == etag_of(body)
    assert "VersionId" not in put  # never-versioned bucket: no x-amz-version-id
    headers = put["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-request-id"] and headers["x-amz-id-2"]

    got = s3.get_object(Bucket=bucket, Key="docs/greeting.txt")
    assert got["Body"].read() == body
    assert got["ETag"] == etag_of(body)
    assert got["ContentLength"] == len(body)
    assert got["ContentType"] == "text/plain; charset=utf-8"
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == 'attachment; filename="greeting.txt"'
    assert got["ContentLanguage"] == "en-GB"
    assert got["ExpiresString"] == "Thu, 02 Jan 2031 03:04:05 GMT"
    assert got["AcceptRanges"] == "bytes"
    # user metadata keys come back lower-cased (HTTP headers are case-insensitive)
    assert got["Metadata"] == {"color": "blue", "owner-id": "42"}
    raw_headers = got["ResponseMetadata"]["HTTPHeaders"]
    assert raw_headers["x-amz-meta-color"] == "blue"
    last_modified = parsedate_to_datetime(raw_headers["last-modified"])
    assert raw_headers["last-modified"].endswith(" GMT")
    assert got["LastModified"] == last_modified
    assert abs((dt.datetime.now(dt.UTC) - last_modified).total_seconds()) < 300
    assert "StorageClass" not in got  # STANDARD is not echoed

    head = s3.head_object(Bucket=bucket, Key="docs/greeting.txt")
    for field in ("ETag", "ContentLength", "ContentType", "CacheControl", "Metadata", "LastModified"):
        assert head[field] == got[field], field
    assert head["AcceptRanges"] == "bytes"
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [
        ("docs/greeting.txt", len(body), etag_of(body))
    ]
    assert listed[0]["LastModified"] == last_modified
    assert listed[0]["StorageClass"] == "STANDARD"


def test_empty_object_and_storage_class(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["ContentLength"] == 0 and got["Body"].read() == b""
    assert got["ContentType"] == "binary/octet-stream"  # S3's default for a PUT without one
    s3.put_object(Bucket=bucket, Key="cold", Body=b"brr", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="cold")["StorageClass"] == "STANDARD_IA"
    listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert listed == {"cold": "STANDARD_IA", "empty": "STANDARD"}


def test_overwrite_delete_and_missing_keys(s3: Any, bucket: str, endpoint: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    s3.put_object(Bucket=bucket, Key="k", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    # deleting what is not there is not an error
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204
    missing = error_of(s3.get_object, Bucket=bucket, Key="k")
    assert (missing.code, missing.status) == ("NoSuchKey", 404)
    assert missing.message == "The specified key does not exist."
    assert missing.error["Key"] == "k"
    head = error_of(s3.head_object, Bucket=bucket, Key="k")
    assert (head.code, head.status) == ("404", 404)
    # the raw error document
    response = raw(endpoint, "GET", f"/{bucket}/no/such%20key")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/xml")
    error = xml_error(response.content)
    assert error["Code"] == "NoSuchKey"
    assert error["Key"] == "no/such key"
    assert error["RequestId"] == response.headers["x-amz-request-id"]
    # HEAD errors carry no body
    head_raw = raw(endpoint, "HEAD", f"/{bucket}/no-such-key")
    assert head_raw.status_code == 404 and head_raw.content == b""


KEYS = [
    "plain",
    "with space",
    "plus+sign",
    "percent%20literal",
    "question?mark",
    "hash#tag",
    "ampersand&equals=",
    "unicode/é/中文/😀",
    "trailing/",
    "double//slash",
    "/leading-slash",
    "tilde~and'quote",
    "semi;colon:comma,",
    "[brackets]{braces}",
]


def test_keys_that_need_encoding_round_trip(s3: Any, bucket: str, endpoint: str) -> None:
    for i, key in enumerate(KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=f"body {i}".encode())
    for i, key in enumerate(KEYS):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == f"body {i}".encode(), key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(f"body {i}")
    # listing returns exactly these keys, ordered by UTF-8 bytes
    listed = keys_of(s3.list_objects_v2(Bucket=bucket))
    assert listed == sorted(KEYS, key=lambda k: k.encode())
    # an encoded slash in the raw path is part of the key, not a routing separator
    put = raw(endpoint, "PUT", f"/{bucket}/" + quote("enc/oded", safe=""), body=b"x")
    assert put.status_code == 200
    assert s3.get_object(Bucket=bucket, Key="enc/oded")["Body"].read() == b"x"
    for key in KEYS + ["enc/oded"]:
        s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object_metadata_directives(s3: Any, bucket: str) -> None:
    body = b"source bytes"
    s3.put_object(
        Bucket=bucket,
        Key="src key é",
        Body=body,
        ContentType="text/x-source",
        Metadata={"origin": "upload"},
        Tagging="stage=raw",
    )
    s3.create_bucket(Bucket="other")
    copied = s3.copy_object(Bucket="other", Key="copy", CopySource={"Bucket": bucket, "Key": "src key é"})
    assert copied["CopyObjectResult"]["ETag"] == etag_of(body)
    assert copied["CopyObjectResult"]["LastModified"].tzinfo is not None
    head = s3.head_object(Bucket="other", Key="copy")
    assert (head["ContentType"], head["Metadata"]) == ("text/x-source", {"origin": "upload"})
    assert s3.get_object_tagging(Bucket="other", Key="copy")["TagSet"] == [{"Key": "stage", "Value": "raw"}]
    assert s3.get_object(Bucket="other", Key="copy")["Body"].read() == body

    replaced = s3.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource=f"{bucket}/src key é",
        MetadataDirective="REPLACE",
        ContentType="application/json",
        Metadata={"origin": "copy", "extra": "1"},
        TaggingDirective="REPLACE",
        Tagging="stage=curated",
    )
    assert replaced["CopyObjectResult"]["ETag"] == etag_of(body)
    head = s3.head_object(Bucket=bucket, Key="replaced")
    assert (head["ContentType"], head["Metadata"]) == ("application/json", {"origin": "copy", "extra": "1"})
    assert s3.get_object_tagging(Bucket=bucket, Key="replaced")["TagSet"] == [
        {"Key": "stage", "Value": "curated"}
    ]

    # copying an object onto itself must change something
    same = error_of(s3.copy_object, Bucket=bucket, Key="replaced", CopySource=f"{bucket}/replaced")
    assert (same.code, same.status) == ("InvalidRequest", 400)
    assert "copy an object to itself without changing" in same.message
    in_place = s3.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource=f"{bucket}/replaced",
        MetadataDirective="REPLACE",
        Metadata={"touched": "yes"},
    )
    assert in_place["CopyObjectResult"]["ETag"] == etag_of(body)
    assert s3.head_object(Bucket=bucket, Key="replaced")["Metadata"] == {"touched": "yes"}

    missing = error_of(s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{bucket}/nope")
    assert (missing.code, missing.status) == ("NoSuchKey", 404)
    failed = error_of(
        s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{bucket}/replaced", CopySourceIfMatch='"0000"'
    )
    assert (failed.code, failed.status) == ("PreconditionFailed", 412)
    assert "x" not in keys_of(s3.list_objects_v2(Bucket=bucket))


def test_delete_objects_quiet_and_verbose(s3: Any, bucket: str) -> None:
    for key in ("a", "b", "c", "d", "e"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    verbose = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "never-existed"}]}
    )
    # a key that was not there is reported deleted too
    assert sorted(d["Key"] for d in verbose["Deleted"]) == ["a", "b", "never-existed"]
    assert "Errors" not in verbose
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}, {"Key": "d"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["e"]
    missing = error_of(s3.delete_objects, Bucket="no-bucket", Delete={"Objects": [{"Key": "a"}]})
    assert (missing.code, missing.status) == ("NoSuchBucket", 404)


def test_object_tagging(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="project=blue&note=two%20words")
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted(tags, key=lambda t: t["Key"]) == [
        {"Key": "note", "Value": "two words"},
        {"Key": "project", "Value": "blue"},
    ]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    put = s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "only", "Value": "one"}]
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    refused = error_of(s3.put_object_tagging, Bucket=bucket, Key="t", Tagging={"TagSet": too_many})
    assert (refused.code, refused.status) == ("BadRequest", 400)
    assert refused.message == "Object tags cannot be greater than 10"
    assert s3.delete_object_tagging(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="t")
    missing = error_of(s3.get_object_tagging, Bucket=bucket, Key="nope")
    assert (missing.code, missing.status) == ("NoSuchKey", 404)


CHECKSUMS = {
    "CRC32": crc32_b64,
    "CRC32C": crc32c_b64,
    "CRC64NVME": crc64nvme_b64,
    "SHA1": sha1_b64,
    "SHA256": sha256_b64,
}


@pytest.mark.parametrize("algorithm", sorted(CHECKSUMS))
def test_additional_checksums_stored_and_returned(s3: Any, bucket: str, algorithm: str) -> None:
    body = payload(100_000, seed=3)
    expected = CHECKSUMS[algorithm](body)
    member = f"Checksum{algorithm}"
    put = s3.put_object(Bucket=bucket, Key="sum", Body=body, ChecksumAlgorithm=algorithm)
    assert put[member] == expected
    head = s3.head_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert head[member] == expected
    got = s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert got[member] == expected
    assert got["Body"].read() == body
    # without ChecksumMode no checksum is returned
    assert member not in s3.head_object(Bucket=bucket, Key="sum")
    # a value sent up front (a header, not a trailer) that does not match the body is refused
    wrong = CHECKSUMS[algorithm](b"something else")
    bad = error_of(s3.put_object, Bucket=bucket, Key="bad", Body=body, **{member: wrong})
    assert (bad.code, bad.status) == ("BadDigest", 400)
    assert bad.message == f"The {algorithm} you specified did not match the calculated checksum."
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["sum"]


def test_content_md5(s3: Any, bucket: str) -> None:
    body = b"integrity"
    good = s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=b64(hashlib.md5(body).digest()))
    assert good["ETag"] == etag_of(body)
    mismatch = error_of(
        s3.put_object, Bucket=bucket, Key="md5-bad", Body=body, ContentMD5=b64(hashlib.md5(b"other").digest())
    )
    assert (mismatch.code, mismatch.status) == ("BadDigest", 400)
    assert mismatch.message == "The Content-MD5 you specified did not match what we received."
    malformed = error_of(s3.put_object, Bucket=bucket, Key="md5-bad", Body=body, ContentMD5="not-an-md5")
    assert (malformed.code, malformed.status) == ("InvalidDigest", 400)
    assert malformed.message == "The Content-MD5 you specified is not valid."
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["md5"]


def test_default_sdk_put_sends_a_crc32_and_expects_100_continue(s3: Any, bucket: str) -> None:
    """Over plain HTTP current boto3 signs the payload's SHA-256, adds an x-amz-checksum-crc32 header
    (a trailer only over HTTPS) and, above 1 MiB, sends Expect: 100-continue."""
    seen: list[dict[str, str]] = []
    s3.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: seen.append(dict(request.headers))
    )
    body = payload(3 * MIB + 17, seed=5)
    put = s3.put_object(Bucket=bucket, Key="big", Body=body)
    sent = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in seen[0].items()}
    assert sent["x-amz-checksum-crc32"] == crc32_b64(body)
    assert sent["expect"] == "100-continue"
    assert put["ETag"] == etag_of(body)
    assert put["ChecksumCRC32"] == crc32_b64(body)
    got = s3.get_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert got["ContentLength"] == len(body)
    assert got["ChecksumCRC32"] == crc32_b64(body)
    assert got["Body"].read() == body


def test_unsigned_payload_with_a_trailing_checksum(s3: Any, bucket: str, endpoint: str) -> None:
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER, as SDKs send uploads over HTTPS: aws-chunked framing and
    the checksum in a trailer after the last chunk, checked against the body."""
    body = payload(150_000, seed=7)
    good = put_unsigned_trailer(endpoint, bucket, "trailed", body, crc32_b64(body))
    assert good.status_code == 200, good.text
    assert good.headers["etag"] == etag_of(body)
    assert good.headers["x-amz-checksum-crc32"] == crc32_b64(body)
    got = s3.get_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumCRC32"] == crc32_b64(body)
    assert "ContentEncoding" not in got  # aws-chunked is a transfer detail, never stored
    bad = put_unsigned_trailer(endpoint, bucket, "trailed-bad", body, crc32_b64(b"not the body"))
    assert bad.status_code == 400
    error = xml_error(bad.content)
    assert error["Code"] == "BadDigest"
    assert error["Message"] == "The CRC32 you specified did not match the calculated checksum."
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["trailed"]


def test_signed_and_unsigned_payloads(s3: Any, bucket: str, endpoint: str) -> None:
    body = b"signed payload " * 100
    # raw() signs with the body's SHA-256 as x-amz-content-sha256
    plain = raw(endpoint, "PUT", f"/{bucket}/signed", body=body, headers={"Content-Type": "text/plain"})
    assert plain.status_code == 200, plain.text
    assert plain.headers["etag"] == etag_of(body)
    unsigned = httpx.put(
        f"{endpoint}/{bucket}/unsigned",
        content=body,
        headers=unsigned_headers(endpoint, bucket, "unsigned"),
    )
    assert unsigned.status_code == 200, unsigned.text
    for key in ("signed", "unsigned"):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body


def test_sigv4_signed_chunks(s3: Any, bucket: str, endpoint: str) -> None:
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD, as the Java and Go SDKs send it: each chunk carries a
    signature chained from the header signature."""
    body = payload(200_000, seed=9)
    response = put_signed_chunks(endpoint, bucket, "streamed", body, chunk_size=64 * 1024)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == etag_of(body)
    got = s3.get_object(Bucket=bucket, Key="streamed")
    assert got["ContentLength"] == len(body)
    assert "ContentEncoding" not in got
    assert got["Body"].read() == body


def unsigned_headers(endpoint: str, bucket: str, key: str) -> dict[str, str]:
    headers, _, _ = sign_v4("PUT", endpoint, f"/{bucket}/{key}", {}, UNSIGNED)
    return headers


def put_signed_chunks(endpoint: str, bucket: str, key: str, body: bytes, chunk_size: int) -> httpx.Response:
    now = dt.datetime.now(dt.UTC)
    chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)] + [b""]
    empty_hash = hashlib.sha256(b"").hexdigest()

    def framed(previous: str, scope: str, amz_date: str) -> bytes:
        out = bytearray()
        for chunk in chunks:
            to_sign = "\n".join(
                [
                    "AWS4-HMAC-SHA256-PAYLOAD",
                    amz_date,
                    scope,
                    previous,
                    empty_hash,
                    hashlib.sha256(chunk).hexdigest(),
                ]
            )
            previous = hmac.new(signing_key(amz_date[:8]), to_sign.encode(), hashlib.sha256).hexdigest()
            out += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + chunk + b"\r\n"
        return bytes(out)

    # the encoded length is signed, so frame once with a dummy signature to learn it
    encoded_length = len(framed("0" * 64, "s", now.strftime("%Y%m%dT%H%M%SZ")))
    extra = {
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(body)),
        "content-length": str(encoded_length),
    }
    headers, seed, scope = sign_v4(
        "PUT", endpoint, f"/{bucket}/{key}", extra, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", now
    )
    content = framed(seed, scope, headers["x-amz-date"])
    assert len(content) == encoded_length
    return httpx.put(f"{endpoint}/{bucket}/{key}", content=content, headers=headers, timeout=30)


def put_unsigned_trailer(endpoint: str, bucket: str, key: str, body: bytes, crc32: str) -> httpx.Response:
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    content = b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks)
    content += b"0\r\n" + f"x-amz-checksum-crc32:{crc32}\r\n\r\n".encode()
    extra = {
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(body)),
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-sdk-checksum-algorithm": "CRC32",
        "content-length": str(len(content)),
    }
    headers, _, _ = sign_v4("PUT", endpoint, f"/{bucket}/{key}", extra, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    return httpx.put(f"{endpoint}/{bucket}/{key}", content=content, headers=headers, timeout=30)
