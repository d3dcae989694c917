"""CopyObject: directives, sources by version, conditions, the self-copy rule, and re-encryption."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

import pytest

from headwater.services.s3.copy import parse_copy_source


@pytest.fixture
def source(call: Any, make_bucket: Any, body: Any) -> dict[str, Any]:
    make_bucket("src", versioning="Enabled")
    make_bucket("dst")
    return call(  # type: ignore[no-any-return]
        "PutObject",
        Bucket="src",
        Key="a key/é",
        Body=body(b"source bytes" * 1000, 1000),
        ContentType="text/x-source",
        CacheControl="max-age=1",
        Metadata={"origin": "upload"},
        Tagging="stage=raw",
        ChecksumAlgorithm="SHA256",
        StorageClass="STANDARD_IA",
    )


def test_parse_copy_source() -> None:
    assert parse_copy_source("b/k") == ("b", "k", None)
    assert parse_copy_source("/b/dir/k%3Fx%20y") == ("b", "dir/k?x y", None)
    assert parse_copy_source(quote("b/ké") + "?versionId=abc") == ("b", "ké", "abc")
    for bad in ("", "bucket-only", "/b/"):
        with pytest.raises(Exception, match="Copy Source"):
            parse_copy_source(bad)


def test_copy_keeps_metadata_and_tags_by_default(call: Any, source: dict[str, Any]) -> None:
    copied = call("CopyObject", Bucket="dst", Key="copy", CopySource=quote("src/a key/é"))
    data = b"source bytes" * 1000
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert copied["CopyObjectResult"]["LastModified"].tzinfo is not None
    assert copied["CopySourceVersionId"] == source["VersionId"]
    assert "VersionId" not in copied  # the destination is not versioned
    assert copied["CopyObjectResult"]["ChecksumSHA256"] == source["ChecksumSHA256"]  # same algorithm
    got = call("GetObject", Bucket="dst", Key="copy")
    assert call.read(got) == data
    assert (got["ContentType"], got["CacheControl"], got["Metadata"]) == (
        "text/x-source",
        "max-age=1",
        {"origin": "upload"},
    )
    assert "StorageClass" not in got  # the storage class is the request's, STANDARD by default
    assert call("GetObjectTagging", Bucket="dst", Key="copy")["TagSet"] == [{"Key": "stage", "Value": "raw"}]


def test_replace_directives(call: Any, source: dict[str, Any]) -> None:
    call(
        "CopyObject",
        Bucket="dst",
        Key="replaced",
        CopySource="src/a key/é",
        MetadataDirective="REPLACE",
        Metadata={"origin": "copy"},
        TaggingDirective="REPLACE",
        Tagging="stage=curated",
    )
    head = call("HeadObject", Bucket="dst", Key="replaced")
    assert (head["ContentType"], head["Metadata"]) == ("binary/octet-stream", {"origin": "copy"})
    assert "CacheControl" not in head
    assert call("GetObjectTagging", Bucket="dst", Key="replaced")["TagSet"] == [
        {"Key": "stage", "Value": "curated"}
    ]
    bad = call.error("CopyObject", Bucket="dst", Key="x", CopySource="src/a key/é", MetadataDirective="MOVE")
    assert (bad.code, bad.details["ArgumentName"]) == ("InvalidArgument", "x-amz-metadata-directive")


def test_copy_onto_itself_must_change_something(call: Any, source: dict[str, Any]) -> None:
    same = call.error("CopyObject", Bucket="src", Key="a key/é", CopySource="src/a key/é")
    assert same.code == "InvalidRequest"
    assert same.message.startswith(
        "This copy request is illegal because it is trying to copy an object to itself"
    )
    touched = call(
        "CopyObject",
        Bucket="src",
        Key="a key/é",
        CopySource="src/a key/é",
        MetadataDirective="REPLACE",
        Metadata={"touched": "yes"},
    )
    assert touched["VersionId"] != source["VersionId"]
    assert call("HeadObject", Bucket="src", Key="a key/é")["Metadata"] == {"touched": "yes"}
    # restoring an older version onto the same key is a change
    restored = call(
        "CopyObject", Bucket="src", Key="a key/é", CopySource=f"src/a key/é?versionId={source['VersionId']}"
    )
    assert restored["CopySourceVersionId"] == source["VersionId"]
    assert call("HeadObject", Bucket="src", Key="a key/é")["Metadata"] == {"origin": "upload"}


def test_copy_source_errors_and_conditions(call: Any, source: dict[str, Any]) -> None:
    assert call.error("CopyObject", Bucket="dst", Key="x", CopySource="src/nope").code == "NoSuchKey"
    assert call.error("CopyObject", Bucket="dst", Key="x", CopySource="nobucket/k").code == "NoSuchBucket"
    assert call.error("CopyObject", Bucket="dst", Key="x", CopySource="src/a key/é?versionId=bad").code == (
        "InvalidArgument"
    )
    failed = call.error(
        "CopyObject", Bucket="dst", Key="x", CopySource="src/a key/é", CopySourceIfMatch='"0"'
    )
    assert (failed.code, failed.status) == ("PreconditionFailed", 412)
    assert "Contents" not in call("ListObjectsV2", Bucket="dst")
    call("CopyObject", Bucket="dst", Key="x", CopySource="src/a key/é", CopySourceIfNoneMatch='"0"')


def test_copy_re_encrypts_under_the_destination_settings(
    call: Any, core: Any, make_bucket: Any, body: Any, source: dict[str, Any]
) -> None:
    copied = call(
        "CopyObject", Bucket="dst", Key="kms", CopySource="src/a key/é", ServerSideEncryption="aws:kms"
    )
    assert copied["ServerSideEncryption"] == "aws:kms" and copied["SSEKMSKeyId"]
    source_version = core.store.versions("src", "a key/é")[0]
    copy_version = core.store.versions("dst", "kms")[0]
    assert copy_version.sealed_key != source_version.sealed_key
    assert call.read(call("GetObject", Bucket="dst", Key="kms")) == b"source bytes" * 1000


def test_archived_sources_cannot_be_copied(call: Any, make_bucket: Any, body: Any) -> None:
    make_bucket("cold")
    call("PutObject", Bucket="cold", Key="k", Body=body(b"x"), StorageClass="DEEP_ARCHIVE")
    error = call.error("CopyObject", Bucket="cold", Key="k2", CopySource="cold/k")
    assert (error.code, error.status) == ("InvalidObjectState", 403)
