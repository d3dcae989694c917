"""S3 versioning end to end: Enabled and Suspended buckets, version ids on writes, GET/HEAD by
versionId, delete markers (404 with x-amz-delete-marker, 405 when addressed), ListObjectVersions
with its markers, versioned CopyObject and DeleteObjects."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.support.s3 import error_of, etag_of, keys_of

BUCKET = "versioned"


@pytest.fixture
def bucket(s3: Any) -> str:
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def enable(s3: Any, bucket: str, status: str = "Enabled") -> None:
    put = s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200


def versions(
    s3: Any, bucket: str, **params: Any
) -> tuple[list[tuple[str, str, bool]], list[tuple[str, str, bool]]]:
    """(versions, delete markers) as (key, version id, is latest), in S3's order."""
    got = s3.list_object_versions(Bucket=bucket, **params)
    return (
        [(v["Key"], v["VersionId"], v["IsLatest"]) for v in got.get("Versions", [])],
        [(m["Key"], m["VersionId"], m["IsLatest"]) for m in got.get("DeleteMarkers", [])],
    )


def test_versions_delete_markers_and_suspension(s3: Any, bucket: str) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"before versioning")
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert len({v1, v2, "null"}) == 3
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == v2
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    old = s3.get_object(Bucket=bucket, Key="k", VersionId="null")
    assert old["Body"].read() == b"before versioning" and old["VersionId"] == "null"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=v1)["ETag"] == etag_of(b"one")
    listed, markers = versions(s3, bucket)
    assert listed == [("k", v2, True), ("k", v1, False), ("k", "null", False)]
    assert markers == []
    detail = s3.list_object_versions(Bucket=bucket)["Versions"][0]
    assert detail["ETag"] == etag_of(b"two") and detail["Size"] == 3 and detail["StorageClass"] == "STANDARD"

    # a delete without a version id adds a delete marker
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert marker not in (v1, v2, "null")
    hidden = error_of(s3.get_object, Bucket=bucket, Key="k")
    assert (hidden.code, hidden.status) == ("NoSuchKey", 404)
    assert hidden.headers["x-amz-delete-marker"] == "true"
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == []
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v2)["Body"].read() == b"two"
    addressed = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=marker)
    assert (addressed.code, addressed.status) == ("MethodNotAllowed", 405)
    assert addressed.headers["x-amz-delete-marker"] == "true"
    head = error_of(s3.head_object, Bucket=bucket, Key="k", VersionId=marker)
    assert head.status == 405
    listed, markers = versions(s3, bucket)
    assert listed == [("k", v2, False), ("k", v1, False), ("k", "null", False)]
    assert markers == [("k", marker, True)]

    # removing the marker brings the previous version back
    undone = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert undone["DeleteMarker"] is True and undone["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    # deleting a version for good
    gone = s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert gone["VersionId"] == v2 and "DeleteMarker" not in gone
    assert s3.get_object(Bucket=bucket, Key="k")["VersionId"] == v1
    missing = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=v2)
    assert (missing.code, missing.status) == ("NoSuchVersion", 404)
    assert missing.message == "The specified version does not exist."

    # suspended: new writes get the "null" version, replacing the existing null version
    enable(s3, bucket, "Suspended")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"suspended")
    assert "VersionId" not in put  # AWS's PUT answer in a suspended bucket names no version...
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == "null"  # ...reads do
    listed, _ = versions(s3, bucket)
    assert listed == [("k", "null", True), ("k", v1, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"suspended"
    # a bucket holding only old versions and markers is still not empty
    s3.delete_object(Bucket=bucket, Key="k")
    not_empty = error_of(s3.delete_bucket, Bucket=bucket)
    assert (not_empty.code, not_empty.status) == ("BucketNotEmpty", 409)


def test_list_object_versions_pages_and_groups(s3: Any, bucket: str) -> None:
    enable(s3, bucket)
    ids: dict[str, list[str]] = {}
    for key in ("a", "b", "dir/c"):
        for n in range(2):
            ids.setdefault(key, []).append(
                s3.put_object(Bucket=bucket, Key=key, Body=f"{key}{n}".encode())["VersionId"]
            )
    first = s3.list_object_versions(Bucket=bucket, MaxKeys=3)
    assert [(v["Key"], v["VersionId"]) for v in first["Versions"]] == [
        ("a", ids["a"][1]),
        ("a", ids["a"][0]),
        ("b", ids["b"][1]),
    ]
    assert first["IsTruncated"] is True
    assert (first["NextKeyMarker"], first["NextVersionIdMarker"]) == ("b", ids["b"][1])
    rest = s3.list_object_versions(
        Bucket=bucket, KeyMarker=first["NextKeyMarker"], VersionIdMarker=first["NextVersionIdMarker"]
    )
    assert [(v["Key"], v["VersionId"]) for v in rest["Versions"]] == [
        ("b", ids["b"][0]),
        ("dir/c", ids["dir/c"][1]),
        ("dir/c", ids["dir/c"][0]),
    ]
    assert rest["IsTruncated"] is False
    # a KeyMarker alone starts after every version of that key
    after_a = s3.list_object_versions(Bucket=bucket, KeyMarker="a")
    assert [v["Key"] for v in after_a["Versions"]] == ["b", "b", "dir/c", "dir/c"]
    grouped = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["dir/"]
    assert {v["Key"] for v in grouped["Versions"]} == {"a", "b"}
    only_dir = s3.list_object_versions(Bucket=bucket, Prefix="dir/")
    assert [v["VersionId"] for v in only_dir["Versions"]] == list(reversed(ids["dir/c"]))
    paged = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1})
    assert sum(len(page.get("Versions", [])) for page in paged) == 6


def test_versioned_copy_and_delete_objects(s3: Any, bucket: str) -> None:
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="src", Body=b"first")["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"second")
    copied = s3.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1}
    )
    assert copied["CopySourceVersionId"] == v1
    assert copied["VersionId"] not in (v1, "null")
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"first"

    result = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "src", "VersionId": v1}, {"Key": "dst"}]}
    )
    by_key = {d["Key"]: d for d in result["Deleted"]}
    assert by_key["src"]["VersionId"] == v1
    assert by_key["dst"]["DeleteMarker"] is True
    marker = by_key["dst"]["DeleteMarkerVersionId"]
    _, markers = versions(s3, bucket)
    assert markers == [("dst", marker, True)]
    assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == ["dst", "src"]
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["src"]
