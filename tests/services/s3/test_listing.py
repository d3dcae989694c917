"""Listings: order, prefixes and delimiters, pagination by token and marker, EncodingType=url,
versions with delete markers, and scans that never walk more of the index than a page needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from headwater.services.s3.listing import decode_token, encode_token, successor
from headwater.services.s3.records import ObjectVersion

UNICODE_KEYS = ["a", "B", "b", "a-b", "a/b", "a0", "é", "z", "中", "\uff21", "😀", "~"]


def keys(page: dict[str, Any]) -> list[str]:
    return [entry["Key"] for entry in page.get("Contents", [])]


def prefixes(page: dict[str, Any]) -> list[str]:
    return [entry["Prefix"] for entry in page.get("CommonPrefixes", [])]


@pytest.fixture
def fill(core: Any, make_bucket: Any, run: Any) -> Any:
    """Writes keys straight into the index (no bodies): listing reads nothing else."""

    def fill(bucket: str, names: list[str], versioning: str | None = None) -> None:
        if core.store.bucket(bucket) is None:
            make_bucket(bucket, versioning=versioning)

        async def write() -> None:
            for name in names:
                version = ObjectVersion(
                    name, "null", 1_700_000_000_000, size=1, etag='"e"', owner="000000000000"
                )
                await core.store.set_versions(bucket, name, [version])

        run(write())

    return fill


def test_v2_orders_by_utf8_bytes_and_pages_by_token(call: Any, fill: Any) -> None:
    fill("b", UNICODE_KEYS)
    expected = sorted(UNICODE_KEYS, key=lambda k: k.encode())
    page = call("ListObjectsV2", Bucket="b")
    assert keys(page) == expected
    assert (page["KeyCount"], page["IsTruncated"], page["MaxKeys"], page["Prefix"]) == (12, False, 1000, "")
    assert "NextContinuationToken" not in page and "Owner" not in page["Contents"][0]
    assert page["Contents"][0]["StorageClass"] == "STANDARD"
    assert call("ListObjectsV2", Bucket="b", FetchOwner=True)["Contents"][0]["Owner"]["ID"]
    walked: list[str] = []
    token = None
    while True:
        extra = {"ContinuationToken": token} if token else {}
        page = call("ListObjectsV2", Bucket="b", MaxKeys=5, **extra)
        walked += keys(page)
        if token:
            assert page["ContinuationToken"] == token
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert walked == expected


def test_start_after_max_keys_zero_and_bad_arguments(call: Any, fill: Any) -> None:
    fill("b", [f"k{i}" for i in range(7)])
    after = call("ListObjectsV2", Bucket="b", StartAfter="k35")
    assert keys(after) == ["k4", "k5", "k6"] and after["StartAfter"] == "k35"
    empty = call("ListObjectsV2", Bucket="b", MaxKeys=0)
    assert (empty["KeyCount"], empty["IsTruncated"]) == (0, False)
    big = call("ListObjectsV2", Bucket="b", MaxKeys=5000)
    assert len(keys(big)) == 7
    bad_token = call.error("ListObjectsV2", Bucket="b", ContinuationToken="garbage!")
    assert (bad_token.code, bad_token.message) == (
        "InvalidArgument",
        "The continuation token provided is incorrect",
    )
    assert call.error("ListObjectsV2", Bucket="b", MaxKeys=-1).details["ArgumentName"] == "maxKeys"
    assert (
        call.error("ListObjectsV2", Bucket="b", EncodingType="base64").details["ArgumentName"]
        == "encoding-type"
    )
    assert call.error("ListObjectsV2", Bucket="none").code == "NoSuchBucket"


def test_delimiters_roll_up_and_never_repeat_a_prefix(call: Any, fill: Any) -> None:
    fill("b", ["photos/2024/a", "photos/2024/b", "photos/2025/c", "photos/index", "readme", "videos/x"])
    root = call("ListObjectsV2", Bucket="b", Delimiter="/")
    assert (prefixes(root), keys(root), root["KeyCount"], root["Delimiter"]) == (
        ["photos/", "videos/"],
        ["readme"],
        3,
        "/",
    )
    nested = call("ListObjectsV2", Bucket="b", Delimiter="/", Prefix="photos/")
    assert (prefixes(nested), keys(nested)) == (["photos/2024/", "photos/2025/"], ["photos/index"])
    seen: list[str] = []
    token = None
    while True:
        page = call(
            "ListObjectsV2",
            Bucket="b",
            Delimiter="/",
            MaxKeys=1,
            **({"ContinuationToken": token} if token else {}),
        )
        assert page["KeyCount"] == 1
        seen += prefixes(page) + keys(page)
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == ["photos/", "readme", "videos/"]
    assert prefixes(call("ListObjectsV2", Bucket="b", Delimiter="20", Prefix="photos/")) == ["photos/20"]


def test_v1_marker_and_next_marker(call: Any, fill: Any) -> None:
    fill("b", ["a/1", "a/2", "b", "c/1", "d", "e"])
    first = call("ListObjects", Bucket="b", MaxKeys=2)
    assert keys(first) == ["a/1", "a/2"] and first["IsTruncated"] and first["Marker"] == ""
    assert "NextMarker" not in first and first["Contents"][0]["Owner"]["ID"]
    assert keys(call("ListObjects", Bucket="b", MaxKeys=2, Marker="a/2")) == ["b", "c/1"]
    grouped = call("ListObjects", Bucket="b", Delimiter="/", MaxKeys=2)
    assert (prefixes(grouped), keys(grouped), grouped["NextMarker"]) == (["a/"], ["b"], "b")
    more = call("ListObjects", Bucket="b", Delimiter="/", MaxKeys=2, Marker="b")
    assert (prefixes(more), keys(more), more["NextMarker"]) == (["c/"], ["d"], "d")
    # a marker inside a common prefix resumes after the whole prefix
    assert prefixes(call("ListObjects", Bucket="b", Delimiter="/", Marker="a/1")) == ["c/"]


def test_encoding_type_url(call: Any, fill: Any) -> None:
    names = ["a+b.txt", "a b.txt", "100%.csv", "한글/x.txt", "ctl\x01key", "run books/x"]
    fill("b", names)
    page = call("ListObjectsV2", Bucket="b", EncodingType="url", StartAfter="100%.csv", Prefix="")
    assert page["EncodingType"] == "url" and page["StartAfter"] == "100%25.csv"
    assert keys(page) == ["a%20b.txt", "a%2Bb.txt", "ctl%01key", "run%20books/x", "%ED%95%9C%EA%B8%80/x.txt"]
    grouped = call("ListObjectsV2", Bucket="b", EncodingType="url", Delimiter="/", Prefix="")
    assert prefixes(grouped) == ["run%20books/", "%ED%95%9C%EA%B8%80/"]
    v1 = call("ListObjects", Bucket="b", EncodingType="url", Prefix="a ", Marker="a")
    assert (v1["Prefix"], v1["Marker"], keys(v1)) == ("a%20", "a", ["a%20b.txt"])


def test_delete_markers_hide_keys_from_object_listings(call: Any, make_bucket: Any, body: Any) -> None:
    make_bucket("v", versioning="Enabled")
    for key in ("gone/x", "kept"):
        call("PutObject", Bucket="v", Key=key, Body=body(b"x"))
    call("DeleteObject", Bucket="v", Key="gone/x")
    assert keys(call("ListObjectsV2", Bucket="v")) == ["kept"]
    assert prefixes(call("ListObjectsV2", Bucket="v", Delimiter="/")) == []


def test_list_object_versions_pages_by_key_and_version(call: Any, make_bucket: Any, body: Any) -> None:
    make_bucket("v", versioning="Enabled")
    written: dict[str, list[str]] = {}
    for key in ("a", "b", "c"):
        for n in range(3):
            written.setdefault(key, []).insert(
                0, call("PutObject", Bucket="v", Key=key, Body=body(b"%d" % n))["VersionId"]
            )
    marker = call("DeleteObject", Bucket="v", Key="b")["VersionId"]
    written["b"].insert(0, marker)
    everything = [(k, v) for k in ("a", "b", "c") for v in written[k]]
    whole = call("ListObjectVersions", Bucket="v")
    assert [m["VersionId"] for m in whole["DeleteMarkers"]] == [marker]
    assert whole["DeleteMarkers"][0]["IsLatest"] is True
    latest = {v["Key"]: v["VersionId"] for v in whole["Versions"] if v["IsLatest"]}
    assert latest == {"a": written["a"][0], "c": written["c"][0]}
    walked: list[tuple[str, str]] = []
    markers: dict[str, str] = {}
    while True:
        page = call("ListObjectVersions", Bucket="v", MaxKeys=2, **markers)
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        assert len(entries) == 2 or not page["IsTruncated"]
        walked += sorted(((e["Key"], e["VersionId"]) for e in entries), key=everything.index)
        if not page["IsTruncated"]:
            break
        markers = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    assert walked == everything
    no_key = call.error("ListObjectVersions", Bucket="v", VersionIdMarker=marker)
    assert no_key.message == "A version-id marker cannot be specified without a key marker."


def test_tokens_and_successors() -> None:
    for marker in ["", "plain", "😀/é", "a\x00b"]:
        assert decode_token(encode_token(marker)) == marker
    assert successor("a/") == "a0"
    assert successor("a\U0010ffff") == "b"
    assert successor("\U0010ffff") is None


def test_a_page_reads_only_what_it_returns(call: Any, core: Any, fill: Any, monkeypatch: Any) -> None:
    fill("b", [f"logs/{i:05d}" for i in range(5000)] + ["readme", "z/1"] + [f"m{i:04d}" for i in range(3000)])
    original = core.store.entries
    yielded = 0

    def counting(*args: Any, **kwargs: Any) -> Iterator[Any]:
        nonlocal yielded
        for entry in original(*args, **kwargs):
            yielded += 1
            yield entry

    monkeypatch.setattr(core.store, "entries", counting)
    root = call("ListObjectsV2", Bucket="b", Delimiter="/", MaxKeys=3)
    assert (prefixes(root), keys(root)) == (["logs/"], ["m0000", "m0001"])
    assert yielded < 10  # jumped over the 5,000 keys under logs/
    yielded = 0
    token = call("ListObjectsV2", Bucket="b", MaxKeys=1000, StartAfter="logs/01000")["NextContinuationToken"]
    page = call("ListObjectsV2", Bucket="b", MaxKeys=1000, ContinuationToken=token)
    assert keys(page)[0] == "logs/02001"
    assert yielded <= 2 * 1001 + 2
