"""PutObject, GetObject and HeadObject through their handlers: headers and metadata, the rules
S3 enforces on writes, conditional requests, ranges, checksums and encryption at rest."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import zlib
from typing import Any

import pytest

from tests.services.s3.harness import ACCOUNT


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


@pytest.fixture
def bucket(make_bucket: Any) -> str:
    make_bucket("b")
    return "b"


def test_put_get_head_round_trip(call: Any, core: Any, clock: Any, bucket: str, body: Any, run: Any) -> None:
    data = b"hello, object store"
    expires = dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    put = call(
        "PutObject",
        Bucket=bucket,
        Key="docs/a.txt",
        Body=body(data, 4),
        ContentType="text/plain",
        CacheControl="max-age=60",
        ContentDisposition="attachment",
        ContentEncoding="gzip,aws-chunked",
        ContentLanguage="en",
        Expires=expires,
        Metadata={"Color": "blue"},
    )
    assert put == {"ETag": etag(data), "ServerSideEncryption": "AES256"}
    clock.advance(5)
    got = call("GetObject", Bucket=bucket, Key="docs/a.txt")
    assert call.read(got) == data
    for name, value in {
        "ETag": etag(data),
        "ContentLength": len(data),
        "ContentType": "text/plain",
        "CacheControl": "max-age=60",
        "ContentDisposition": "attachment",
        "ContentEncoding": "gzip",  # aws-chunked is how it travelled, not how it is stored
        "ContentLanguage": "en",
        "Expires": "Thu, 02 Jan 2031 03:04:05 GMT",
        "Metadata": {"color": "blue"},
        "AcceptRanges": "bytes",
        "ServerSideEncryption": "AES256",
    }.items():
        assert got[name] == value, name
    assert got["LastModified"].microsecond == 0  # whole seconds, as Last-Modified carries
    assert abs((dt.datetime.now(dt.UTC) - got["LastModified"]).total_seconds()) < 60
    for absent in ("VersionId", "StorageClass", "TagCount", "ContentRange", "__status__"):
        assert absent not in got
    head = call("HeadObject", Bucket=bucket, Key="docs/a.txt")
    assert "Body" not in head
    assert {k: v for k, v in got.items() if k != "Body"} == head
    # at rest the body is not the plaintext
    (version,) = core.store.versions(bucket, "docs/a.txt")

    async def at_rest() -> bytes:
        return b"".join([c async for c in core.engine.blobs.read(version.blobs[0])])

    assert run(at_rest()) != data and version.sealed_key and version.ivs


def test_defaults_and_an_empty_object(call: Any, core: Any, bucket: str, body: Any) -> None:
    put = call("PutObject", Bucket=bucket, Key="empty", Body=body(b""))
    assert put["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = call("GetObject", Bucket=bucket, Key="empty")
    assert call.read(got) == b"" and got["ContentType"] == "binary/octet-stream"
    assert list(core.engine.blobs.ids()) == []  # an empty object stores no blob
    # a body given as bytes, or none at all, works too
    call("PutObject", Bucket=bucket, Key="bytes", Body=b"raw")
    assert call.read(call("GetObject", Bucket=bucket, Key="bytes")) == b"raw"
    call("PutObject", Bucket=bucket, Key="nobody")
    assert call("HeadObject", Bucket=bucket, Key="nobody")["ContentLength"] == 0


def test_write_rules(call: Any, bucket: str, body: Any) -> None:
    too_long = call.error("PutObject", Bucket=bucket, Key="k" * 1025, Body=body(b"x"))
    assert (too_long.code, too_long.details) == (
        "KeyTooLongError",
        {"Size": "1025", "MaxSizeAllowed": "1024"},
    )
    call("PutObject", Bucket=bucket, Key="é" * 512, Body=body(b"x"))  # 1024 bytes of UTF-8: fine
    big = call.error("PutObject", Bucket=bucket, Key="m", Body=body(b"x"), Metadata={"a": "v" * 2048})
    assert (big.code, big.details["MaxSizeAllowed"]) == ("MetadataTooLarge", "2048")
    storage = call.error("PutObject", Bucket=bucket, Key="s", Body=body(b"x"), StorageClass="COLD")
    assert storage.code == "InvalidStorageClass"
    redirect = call.error("PutObject", Bucket=bucket, Key="r", Body=body(b"x"), WebsiteRedirectLocation="x")
    assert redirect.code == "InvalidRedirectLocation"
    lock = call.error("PutObject", Bucket=bucket, Key="l", Body=body(b"x"), ObjectLockMode="GOVERNANCE")
    assert (lock.code, lock.message) == ("InvalidRequest", "Bucket is missing Object Lock Configuration")
    missing = call.error("PutObject", Bucket="nope", Key="k", Body=body(b"x"))
    assert (missing.code, missing.status) == ("NoSuchBucket", 404)
    keys = [c["Key"] for c in call("ListObjectsV2", Bucket=bucket)["Contents"]]
    assert keys == ["é" * 512]


def test_storage_classes(call: Any, bucket: str, body: Any) -> None:
    call("PutObject", Bucket=bucket, Key="ia", Body=body(b"x"), StorageClass="STANDARD_IA")
    assert call("HeadObject", Bucket=bucket, Key="ia")["StorageClass"] == "STANDARD_IA"
    call("PutObject", Bucket=bucket, Key="cold", Body=body(b"x"), StorageClass="GLACIER")
    assert call("HeadObject", Bucket=bucket, Key="cold")["StorageClass"] == "GLACIER"
    archived = call.error("GetObject", Bucket=bucket, Key="cold")
    assert (archived.code, archived.status, archived.details) == (
        "InvalidObjectState",
        403,
        {"StorageClass": "GLACIER"},
    )


def test_tagging_header_and_tag_operations(call: Any, core: Any, bucket: str, body: Any, clock: Any) -> None:
    call("PutObject", Bucket=bucket, Key="t", Body=body(b"x"), Tagging="project=blue&note=two%20words")
    assert call("GetObject", Bucket=bucket, Key="t")["TagCount"] == 2
    tags = call("GetObjectTagging", Bucket=bucket, Key="t")["TagSet"]
    assert tags == [{"Key": "project", "Value": "blue"}, {"Key": "note", "Value": "two words"}]
    before = core.store.versions(bucket, "t")[0]
    clock.advance(10)
    call("PutObjectTagging", Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    after = core.store.versions(bucket, "t")
    assert len(after) == 1 and after[0].tags == {"only": "one"}
    assert after[0].last_modified_ms == before.last_modified_ms and after[0].blobs == before.blobs
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    refused = call.error("PutObjectTagging", Bucket=bucket, Key="t", Tagging={"TagSet": too_many})
    assert (refused.code, refused.message) == ("BadRequest", "Object tags cannot be greater than 10")
    assert call("DeleteObjectTagging", Bucket=bucket, Key="t") == {}
    assert call("GetObjectTagging", Bucket=bucket, Key="t")["TagSet"] == []
    duplicate = call.error("PutObject", Bucket=bucket, Key="d", Body=body(b"x"), Tagging="a=1&a=2")
    assert duplicate.code == "InvalidTag"
    long_key = call.error("PutObject", Bucket=bucket, Key="d", Body=body(b"x"), Tagging="k" * 129 + "=v")
    assert long_key.code == "InvalidTag"
    assert call.error("GetObjectTagging", Bucket=bucket, Key="nope").code == "NoSuchKey"


def test_conditional_writes_store_nothing_when_they_fail(
    call: Any, core: Any, bucket: str, body: Any
) -> None:
    first = call("PutObject", Bucket=bucket, Key="k", Body=body(b"one"), IfNoneMatch="*")
    exists = call.error("PutObject", Bucket=bucket, Key="k", Body=body(b"two"), IfNoneMatch="*")
    assert (exists.code, exists.status) == ("PreconditionFailed", 412)
    stale = call.error("PutObject", Bucket=bucket, Key="k", Body=body(b"two"), IfMatch='"0000"')
    assert stale.status == 412
    absent = call.error("PutObject", Bucket=bucket, Key="other", Body=body(b"two"), IfMatch=first["ETag"])
    assert (absent.code, absent.status) == ("NoSuchKey", 404)
    assert len(list(core.engine.blobs.ids())) == 1
    call("PutObject", Bucket=bucket, Key="k", Body=body(b"three"), IfMatch=first["ETag"])
    assert call.read(call("GetObject", Bucket=bucket, Key="k")) == b"three"


def test_checksums_are_returned_only_when_asked(call: Any, bucket: str, body: Any) -> None:
    data = b"checksummed" * 100
    put = call("PutObject", Bucket=bucket, Key="c", Body=body(data), ChecksumAlgorithm="CRC32")
    assert (put["ChecksumCRC32"], put["ChecksumType"]) == (crc32(data), "FULL_OBJECT")
    assert "ChecksumCRC32" not in call("HeadObject", Bucket=bucket, Key="c")
    enabled = call("GetObject", Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert (enabled["ChecksumCRC32"], enabled["ChecksumType"]) == (crc32(data), "FULL_OBJECT")
    ranged = call("HeadObject", Bucket=bucket, Key="c", ChecksumMode="ENABLED", Range="bytes=0-9")
    assert "ChecksumCRC32" not in ranged  # only whole-object reads carry the object's checksum
    bad = call.error("PutObject", Bucket=bucket, Key="bad", Body=body(data), ChecksumCRC32=crc32(b"no"))
    assert (bad.code, bad.message) == (
        "BadDigest",
        "The CRC32 you specified did not match the calculated checksum.",
    )
    listed = call("ListObjectsV2", Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ChecksumAlgorithm"]) for o in listed] == [("c", ["CRC32"])]


def test_ranges_and_part_numbers(call: Any, bucket: str, body: Any) -> None:
    data = bytes(range(256)) * 4
    call("PutObject", Bucket=bucket, Key="r", Body=body(data))
    part = call("GetObject", Bucket=bucket, Key="r", Range="bytes=100-199")
    assert (part["__status__"], part["ContentRange"], part["ContentLength"]) == (
        206,
        "bytes 100-199/1024",
        100,
    )
    assert call.read(part) == data[100:200]
    suffix = call("GetObject", Bucket=bucket, Key="r", Range="bytes=-24")
    assert call.read(suffix) == data[-24:]
    several = call("GetObject", Bucket=bucket, Key="r", Range="bytes=0-1,4-5")
    assert "__status__" not in several and call.read(several) == data
    unsatisfiable = call.error("GetObject", Bucket=bucket, Key="r", Range="bytes=1024-")
    assert (unsatisfiable.code, unsatisfiable.status) == ("InvalidRange", 416)
    first = call("GetObject", Bucket=bucket, Key="r", PartNumber=1)
    assert (first["__status__"], first["ContentRange"]) == (206, "bytes 0-1023/1024")
    assert call.error("GetObject", Bucket=bucket, Key="r", PartNumber=2).code == "InvalidPartNumber"


def test_conditional_reads(call: Any, bucket: str, body: Any) -> None:
    put = call("PutObject", Bucket=bucket, Key="k", Body=body(b"data"))
    not_modified = call("GetObject", Bucket=bucket, Key="k", IfNoneMatch=put["ETag"])
    assert not_modified["__status__"] == 304 and "Body" not in not_modified
    assert not_modified["ETag"] == put["ETag"]
    head = call("HeadObject", Bucket=bucket, Key="k", IfNoneMatch=put["ETag"])
    assert head["__status__"] == 304
    failed = call.error("GetObject", Bucket=bucket, Key="k", IfMatch='"other"')
    assert (failed.code, failed.status, failed.details) == (
        "PreconditionFailed",
        412,
        {"Condition": "If-Match"},
    )
    assert call.read(call("GetObject", Bucket=bucket, Key="k", IfMatch=put["ETag"])) == b"data"


def test_response_overrides(call: Any, bucket: str, body: Any) -> None:
    call("PutObject", Bucket=bucket, Key="k", Body=body(b"data"), ContentType="text/plain")
    got = call(
        "GetObject",
        Bucket=bucket,
        Key="k",
        ResponseContentType="application/json",
        ResponseContentDisposition="inline",
        ResponseCacheControl="no-cache",
    )
    assert (got["ContentType"], got["ContentDisposition"], got["CacheControl"]) == (
        "application/json",
        "inline",
        "no-cache",
    )


def test_encryption_choices(call: Any, make_bucket: Any, body: Any) -> None:
    kms_default = {
        "Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}
        ]
    }
    make_bucket("sealed", encryption=kms_default)
    put = call("PutObject", Bucket="sealed", Key="k", Body=body(b"secret"))
    assert put["ServerSideEncryption"] == "aws:kms" and put["BucketKeyEnabled"] is True
    assert put["SSEKMSKeyId"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    got = call("GetObject", Bucket="sealed", Key="k")
    assert call.read(got) == b"secret"
    assert (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", put["SSEKMSKeyId"])
    explicit = call("PutObject", Bucket="sealed", Key="s3", Body=body(b"x"), ServerSideEncryption="AES256")
    assert explicit["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in explicit
    unknown = call.error(
        "PutObject",
        Bucket="sealed",
        Key="x",
        Body=body(b"x"),
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId="alias/none",
    )
    assert (unknown.code, unknown.status) == ("KMS.NotFoundException", 400)
    no_kms = call.error("PutObject", Bucket="sealed", Key="x", Body=body(b"x"), SSEKMSKeyId="alias/aws/s3")
    assert (no_kms.code, no_kms.details["ArgumentName"]) == (
        "InvalidArgument",
        "x-amz-server-side-encryption-aws-kms-key-id",
    )
    bogus = call.error("PutObject", Bucket="sealed", Key="x", Body=body(b"x"), ServerSideEncryption="ROT13")
    assert bogus.code == "InvalidArgument"
    customer = call.error(
        "PutObject", Bucket="sealed", Key="x", Body=body(b"x"), SSECustomerAlgorithm="AES256"
    )
    assert (customer.code, customer.status) == ("AccessDenied", 403)  # SSE-C is blocked by default
    read_with_key = call.error("GetObject", Bucket="sealed", Key="k", SSECustomerAlgorithm="AES256")
    assert read_with_key.code == "InvalidRequest"


def test_acls(call: Any, make_bucket: Any, body: Any) -> None:
    make_bucket("enforced", ownership={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    call("PutObject", Bucket="enforced", Key="k", Body=body(b"x"), ACL="bucket-owner-full-control")
    refused = call.error("PutObject", Bucket="enforced", Key="k2", Body=body(b"x"), ACL="public-read")
    assert (refused.code, refused.status) == ("AccessControlListNotSupported", 400)
    acl = call("GetObjectAcl", Bucket="enforced", Key="k")
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]
    assert call("PutObjectAcl", Bucket="enforced", Key="k", ACL="private") == {}
    assert call.error("PutObjectAcl", Bucket="enforced", Key="k", ACL="public-read").code == (
        "AccessControlListNotSupported"
    )
    make_bucket("open", ownership={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    call("PutObject", Bucket="open", Key="k", Body=body(b"x"), ACL="public-read")
    assert (
        call.error("PutObject", Bucket="open", Key="k", Body=body(b"x"), ACL="everyone").code
        == "InvalidArgument"
    )


def test_get_object_attributes(call: Any, bucket: str, body: Any) -> None:
    data = b"attributes"
    call(
        "PutObject",
        Bucket=bucket,
        Key="a",
        Body=body(data),
        ChecksumAlgorithm="CRC32",
        StorageClass="STANDARD_IA",
    )
    attributes = call(
        "GetObjectAttributes",
        Bucket=bucket,
        Key="a",
        ObjectAttributes=["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"],
    )
    assert attributes["ETag"] == hashlib.md5(data).hexdigest()  # unquoted in this answer
    assert attributes["Checksum"] == {"ChecksumCRC32": crc32(data), "ChecksumType": "FULL_OBJECT"}
    assert (attributes["StorageClass"], attributes["ObjectSize"]) == ("STANDARD_IA", len(data))
    assert "ObjectParts" not in attributes  # not a multipart object
    only_size = call("GetObjectAttributes", Bucket=bucket, Key="a", ObjectAttributes=["ObjectSize"])
    assert set(only_size) == {"LastModified", "ObjectSize"}
    assert call.error("GetObjectAttributes", Bucket=bucket, Key="a", ObjectAttributes=["Color"]).code == (
        "InvalidArgument"
    )


def test_delete_object_and_delete_objects(call: Any, core: Any, bucket: str, body: Any) -> None:
    for key in "abcde":
        call("PutObject", Bucket=bucket, Key=key, Body=body(key.encode()))
    assert call("DeleteObject", Bucket=bucket, Key="a") == {}
    assert call("DeleteObject", Bucket=bucket, Key="a") == {}  # idempotent
    assert call.error("GetObject", Bucket=bucket, Key="a").code == "NoSuchKey"
    verbose = call(
        "DeleteObjects",
        Bucket=bucket,
        Delete={"Objects": [{"Key": "b"}, {"Key": "never"}, {"Key": "c", "VersionId": "bad id"}]},
    )
    assert verbose["Deleted"] == [{"Key": "b"}, {"Key": "never"}]
    assert verbose["Errors"] == [
        {
            "Key": "c",
            "Code": "InvalidArgument",
            "Message": "Invalid version id specified",
            "VersionId": "bad id",
        }
    ]
    quiet = call(
        "DeleteObjects", Bucket=bucket, Delete={"Objects": [{"Key": "c"}, {"Key": "d"}], "Quiet": True}
    )
    assert quiet == {}
    assert [o["Key"] for o in call("ListObjectsV2", Bucket=bucket)["Contents"]] == ["e"]
    assert len(list(core.engine.blobs.ids())) == 1
    too_many = call.error(
        "DeleteObjects", Bucket=bucket, Delete={"Objects": [{"Key": str(i)} for i in range(1001)]}
    )
    assert too_many.code == "MalformedXML"
    assert call.error("DeleteObjects", Bucket=bucket, Delete={"Objects": []}).code == "MalformedXML"


def test_conditional_delete(call: Any, bucket: str, body: Any) -> None:
    put = call("PutObject", Bucket=bucket, Key="k", Body=body(b"x"))
    assert call.error("DeleteObject", Bucket=bucket, Key="k", IfMatch='"0"').status == 412
    assert call.error("DeleteObject", Bucket=bucket, Key="gone", IfMatch=put["ETag"]).code == "NoSuchKey"
    assert call("DeleteObject", Bucket=bucket, Key="k", IfMatch=put["ETag"]) == {}


def test_restore_makes_an_archived_object_readable_for_a_while(
    call: Any, bucket: str, body: Any, clock: Any
) -> None:
    call("PutObject", Bucket=bucket, Key="cold", Body=body(b"frozen"), StorageClass="GLACIER")
    call("PutObject", Bucket=bucket, Key="warm", Body=body(b"x"))
    assert call.error("RestoreObject", Bucket=bucket, Key="warm", RestoreRequest={"Days": 1}).status == 403
    assert call.error("RestoreObject", Bucket=bucket, Key="cold", RestoreRequest={}).code == "MalformedXML"
    first = call("RestoreObject", Bucket=bucket, Key="cold", RestoreRequest={"Days": 2})
    assert first == {"__status__": 202}
    head = call("HeadObject", Bucket=bucket, Key="cold")
    assert (
        head["Restore"].startswith('ongoing-request="false", expiry-date="')
        and head["StorageClass"] == "GLACIER"
    )
    assert call.read(call("GetObject", Bucket=bucket, Key="cold")) == b"frozen"
    assert (
        call("RestoreObject", Bucket=bucket, Key="cold", RestoreRequest={"Days": 1}) == {}
    )  # already restored
    clock.advance(2 * 86400)
    assert call.error("GetObject", Bucket=bucket, Key="cold").code == "InvalidObjectState"


def test_object_lock_operations(call: Any, bucket: str, body: Any, make_bucket: Any) -> None:
    call("PutObject", Bucket=bucket, Key="k", Body=body(b"x"))
    missing = call.error("GetObjectRetention", Bucket=bucket, Key="k")
    assert (missing.code, missing.message) == (
        "InvalidRequest",
        "Bucket is missing Object Lock Configuration",
    )
