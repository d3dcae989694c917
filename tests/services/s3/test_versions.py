"""Versioning: what writes and deletes do to a key under never-enabled, Enabled and Suspended
versioning, reads of delete markers and of unknown versions, and blobs given back."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.services.s3 import versions
from headwater.services.s3.records import NULL_VERSION, Bucket, ObjectVersion


def put(call: Any, body: Any, key: str, data: bytes, bucket: str = "b") -> dict[str, Any]:
    return call("PutObject", Bucket=bucket, Key=key, Body=body(data))  # type: ignore[no-any-return]


def listed(call: Any, bucket: str = "b") -> list[tuple[str, str, bool, bool]]:
    """(key, version id, is latest, is delete marker) in listing order."""
    page = call("ListObjectVersions", Bucket=bucket)
    entries = [(v, False) for v in page.get("Versions", [])] + [
        (m, True) for m in page.get("DeleteMarkers", [])
    ]
    # the two lists are interleaved in S3's document: order them back by key, then newest first
    order = {(e["Key"], e["VersionId"]): i for i, (e, _) in enumerate(entries)}
    entries.sort(
        key=lambda pair: (
            pair[0]["Key"],
            not pair[0]["IsLatest"],
            order[(pair[0]["Key"], pair[0]["VersionId"])],
        )
    )
    return [(e["Key"], e["VersionId"], e["IsLatest"], marker) for e, marker in entries]


def blob_count(core: Any) -> int:
    return len(list(core.engine.blobs.ids()))


def test_version_ids_are_unique_and_well_formed() -> None:
    enabled = Bucket("b", "1", "r", 0, versioning="Enabled")
    ids = {versions.new_version_id(enabled) for _ in range(1000)}
    assert len(ids) == 1000
    for version_id in ids:
        versions.check_version_id(version_id)
    assert versions.new_version_id(Bucket("b", "1", "r", 0)) == NULL_VERSION
    assert versions.new_version_id(Bucket("b", "1", "r", 0, versioning="Suspended")) == NULL_VERSION


def test_never_enabled_overwrites_the_null_version(call: Any, core: Any, make_bucket: Any, body: Any) -> None:
    make_bucket("b")
    first = put(call, body, "k", b"one")
    assert "VersionId" not in first  # no x-amz-version-id on a bucket never versioned
    put(call, body, "k", b"two")
    assert listed(call) == [("k", "null", True, False)]
    assert blob_count(core) == 1  # the overwritten body was released
    got = call("GetObject", Bucket="b", Key="k")
    assert call.read(got) == b"two" and "VersionId" not in got
    deleted = call("DeleteObject", Bucket="b", Key="k")
    assert deleted == {}
    assert listed(call) == [] and blob_count(core) == 0


def test_enabled_keeps_every_version_and_deletes_with_markers(
    call: Any, core: Any, make_bucket: Any, body: Any
) -> None:
    make_bucket("b", versioning="Enabled")
    v1 = put(call, body, "k", b"one")["VersionId"]
    v2 = put(call, body, "k", b"two")["VersionId"]
    assert v1 != v2 and NULL_VERSION not in (v1, v2)
    assert call.read(call("GetObject", Bucket="b", Key="k")) == b"two"
    assert call.read(call("GetObject", Bucket="b", Key="k", VersionId=v1)) == b"one"
    marker = call("DeleteObject", Bucket="b", Key="k")
    assert marker["DeleteMarker"] is True and marker["VersionId"] not in (v1, v2)
    assert listed(call) == [
        ("k", marker["VersionId"], True, True),
        ("k", v2, False, False),
        ("k", v1, False, False),
    ]
    assert blob_count(core) == 2  # a delete marker frees nothing
    # the key is gone for plain reads, with the marker's headers
    gone = call.error("GetObject", Bucket="b", Key="k")
    assert (gone.code, gone.status) == ("NoSuchKey", 404)
    assert gone.headers["x-amz-delete-marker"] == "true"
    assert gone.headers["x-amz-version-id"] == marker["VersionId"]
    assert call.error("HeadObject", Bucket="b", Key="k").status == 404
    # naming the marker's version is a 405
    not_allowed = call.error("GetObject", Bucket="b", Key="k", VersionId=marker["VersionId"])
    assert (not_allowed.code, not_allowed.status) == ("MethodNotAllowed", 405)
    assert not_allowed.headers["x-amz-delete-marker"] == "true"
    assert not_allowed.headers["Last-Modified"].endswith("GMT")
    assert call.error("HeadObject", Bucket="b", Key="k", VersionId=marker["VersionId"]).status == 405
    # old versions still read
    assert call.read(call("GetObject", Bucket="b", Key="k", VersionId=v2)) == b"two"
    # removing the marker brings the object back
    removed = call("DeleteObject", Bucket="b", Key="k", VersionId=marker["VersionId"])
    assert removed == {"VersionId": marker["VersionId"], "DeleteMarker": True}
    assert call.read(call("GetObject", Bucket="b", Key="k")) == b"two"
    # removing a version for good releases its blob
    assert call("DeleteObject", Bucket="b", Key="k", VersionId=v2) == {"VersionId": v2}
    assert blob_count(core) == 1
    assert call.read(call("GetObject", Bucket="b", Key="k")) == b"one"


def test_deleting_a_missing_key_in_a_versioned_bucket_still_adds_a_marker(
    call: Any, make_bucket: Any
) -> None:
    make_bucket("b", versioning="Enabled")
    marker = call("DeleteObject", Bucket="b", Key="never")
    assert marker["DeleteMarker"] is True
    again = call("DeleteObject", Bucket="b", Key="never")
    assert again["VersionId"] != marker["VersionId"]
    assert [entry[1] for entry in listed(call)] == [again["VersionId"], marker["VersionId"]]


def test_suspended_replaces_the_null_version_and_keeps_the_others(
    call: Any, core: Any, make_bucket: Any, body: Any, run: Any
) -> None:
    bucket = make_bucket("b")
    put(call, body, "k", b"before")  # null, written while never enabled
    enabled = make_bucket("b", versioning="Enabled")
    assert enabled.name == bucket.name
    v1 = put(call, body, "k", b"enabled")["VersionId"]
    make_bucket("b", versioning="Suspended")
    suspended = put(call, body, "k", b"suspended")
    assert "VersionId" not in suspended  # S3's PUT answer names no version while suspended...
    assert call("HeadObject", Bucket="b", Key="k")["VersionId"] == "null"  # ...reads do
    # the first null version was replaced (and its blob released); v1 stays
    assert listed(call) == [("k", "null", True, False), ("k", v1, False, False)]
    assert blob_count(core) == 2
    assert call.read(call("GetObject", Bucket="b", Key="k", VersionId="null")) == b"suspended"
    # a delete adds a null marker, replacing the null object
    marker = call("DeleteObject", Bucket="b", Key="k")
    assert marker == {"DeleteMarker": True, "VersionId": "null"}
    assert listed(call) == [("k", "null", True, True), ("k", v1, False, False)]
    assert blob_count(core) == 1
    # a new null write replaces the null marker
    put(call, body, "k", b"back")
    assert listed(call) == [("k", "null", True, False), ("k", v1, False, False)]


def test_unknown_and_malformed_version_ids(call: Any, make_bucket: Any, body: Any) -> None:
    make_bucket("b", versioning="Enabled")
    put(call, body, "k", b"x")
    malformed = call.error("GetObject", Bucket="b", Key="k", VersionId="nope")
    assert (malformed.code, malformed.status, malformed.message) == (
        "InvalidArgument",
        400,
        "Invalid version id specified",
    )
    empty = call.error("GetObject", Bucket="b", Key="k", VersionId="")
    assert empty.message == "Version id cannot be the empty string"
    unknown = call.error("GetObject", Bucket="b", Key="k", VersionId="A" * 32)
    assert (unknown.code, unknown.status) == ("NoSuchVersion", 404)
    assert unknown.details == {"Key": "k", "VersionId": "A" * 32}
    # deleting an unknown (well-formed) version is not an error
    assert call("DeleteObject", Bucket="b", Key="k", VersionId="A" * 32) == {"VersionId": "A" * 32}


@pytest.mark.parametrize("state", [None, "Enabled", "Suspended"])
def test_place_and_delete_latest_are_pure(state: str | None) -> None:
    bucket = Bucket("b", "1", "r", 0, versioning=state)
    old_null = ObjectVersion("k", NULL_VERSION, 1)
    kept = ObjectVersion("k", "X" * 32, 2)
    new = ObjectVersion("k", versions.new_version_id(bucket), 3)
    placed, dropped = versions.place(bucket, [kept, old_null], new)
    if state == "Enabled":
        assert (placed, dropped) == ([new, kept, old_null], [])
    else:
        assert (placed, dropped) == ([new, kept], [old_null])
    remaining, gone, marker = versions.delete_latest(bucket, [kept, old_null], "k", 4, "1")
    if state is None:
        assert (remaining, gone, marker) == ([], [kept, old_null], None)
    else:
        assert marker is not None and marker.delete_marker and remaining[0] is marker
        assert (marker.version_id == NULL_VERSION) is (state == "Suspended")
