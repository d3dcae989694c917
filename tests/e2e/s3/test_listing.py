"""S3 listings end to end: ListObjectsV2 and ListObjects (v1) order by UTF-8 bytes, prefixes,
delimiters and CommonPrefixes, MaxKeys, continuation tokens, StartAfter, Marker/NextMarker, and
EncodingType=url (percent-encoded UTF-8, '/' kept)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.support.s3 import keys_of, prefixes_of

BUCKET = "listing"


@pytest.fixture
def bucket(s3: Any) -> str:
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def put_all(s3: Any, bucket: str, keys: list[str]) -> None:
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")


# Code-point (= UTF-8 byte) order differs from UTF-16 order for U+FF21 against U+1F600, and from a
# case-insensitive or locale order for "B" < "a".
UNICODE_KEYS = ["a", "B", "b", "a-b", "a/b", "a0", "é", "z", "中", "\uff21", "😀", "~"]


def test_v2_orders_keys_by_utf8_bytes(s3: Any, bucket: str) -> None:
    put_all(s3, bucket, UNICODE_KEYS)
    expected = sorted(UNICODE_KEYS, key=lambda k: k.encode())
    assert expected.index("\uff21") < expected.index("😀")
    got = s3.list_objects_v2(Bucket=bucket)
    assert keys_of(got) == expected
    assert got["KeyCount"] == len(expected)
    assert got["IsTruncated"] is False
    assert got["Name"] == bucket and got["MaxKeys"] == 1000
    assert "NextContinuationToken" not in got
    entry = got["Contents"][0]
    assert entry["Size"] == 1 and entry["StorageClass"] == "STANDARD"
    assert entry["ETag"] == '"9dd4e461268c8034f5c8564e155c67a6"'
    assert "Owner" not in entry  # v2 lists owners only with FetchOwner
    assert s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]["Owner"]["ID"]
    assert keys_of(s3.list_objects(Bucket=bucket)) == expected
    # paging one key at a time walks the same order
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1})
    assert [key for page in pages for key in keys_of(page)] == expected


def test_delimiter_and_common_prefixes(s3: Any, bucket: str) -> None:
    put_all(
        s3,
        bucket,
        [
            "photos/2024/a.jpg",
            "photos/2024/b.jpg",
            "photos/2025/c.jpg",
            "photos/index.html",
            "readme",
            "videos/x.mp4",
        ],
    )
    root = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert prefixes_of(root) == ["photos/", "videos/"]
    assert keys_of(root) == ["readme"]
    assert root["KeyCount"] == 3 and root["Delimiter"] == "/"
    photos = s3.list_objects_v2(Bucket=bucket, Prefix="photos/", Delimiter="/")
    assert prefixes_of(photos) == ["photos/2024/", "photos/2025/"]
    assert keys_of(photos) == ["photos/index.html"]
    assert photos["Prefix"] == "photos/"
    # MaxKeys counts keys and common prefixes together; a prefix never repeats across pages
    seen: list[tuple[str, str]] = []
    token: str | None = None
    while True:
        page = s3.list_objects_v2(
            Bucket=bucket, Delimiter="/", MaxKeys=1, **({"ContinuationToken": token} if token else {})
        )
        assert page["KeyCount"] == 1
        seen += [("prefix", p) for p in prefixes_of(page)] + [("key", k) for k in keys_of(page)]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == [("prefix", "photos/"), ("key", "readme"), ("prefix", "videos/")]
    # any string can delimit
    dashed = s3.list_objects_v2(Bucket=bucket, Delimiter="2", Prefix="photos/")
    assert prefixes_of(dashed) == ["photos/2"]
    assert keys_of(dashed) == ["photos/index.html"]
    none = s3.list_objects_v2(Bucket=bucket, Prefix="nothing/")
    assert none["KeyCount"] == 0 and "Contents" not in none and none["IsTruncated"] is False


def test_v2_continuation_tokens_and_start_after(s3: Any, bucket: str) -> None:
    keys = [f"k{i}" for i in range(7)]
    put_all(s3, bucket, keys)
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=3)
    assert keys_of(first) == ["k0", "k1", "k2"]
    assert first["IsTruncated"] is True and first["KeyCount"] == 3 and first["MaxKeys"] == 3
    token = first["NextContinuationToken"]
    second = s3.list_objects_v2(Bucket=bucket, MaxKeys=3, ContinuationToken=token)
    assert keys_of(second) == ["k3", "k4", "k5"]
    assert second["ContinuationToken"] == token
    third = s3.list_objects_v2(Bucket=bucket, MaxKeys=3, ContinuationToken=second["NextContinuationToken"])
    assert keys_of(third) == ["k6"]
    assert third["IsTruncated"] is False and "NextContinuationToken" not in third
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="k3")
    assert keys_of(after) == ["k4", "k5", "k6"] and after["StartAfter"] == "k3"
    # StartAfter need not be an existing key
    assert keys_of(s3.list_objects_v2(Bucket=bucket, StartAfter="k35")) == ["k4", "k5", "k6"]
    assert keys_of(s3.list_objects_v2(Bucket=bucket, StartAfter="k6")) == []
    # a key written after a token was issued, but sorting after it, is still reached
    s3.put_object(Bucket=bucket, Key="k55", Body=b"x")
    again = s3.list_objects_v2(Bucket=bucket, MaxKeys=3, ContinuationToken=token)
    assert keys_of(again) == ["k3", "k4", "k5"]
    rest = s3.list_objects_v2(Bucket=bucket, MaxKeys=3, ContinuationToken=again["NextContinuationToken"])
    assert keys_of(rest) == ["k55", "k6"]


# S3 percent-encodes each UTF-8 byte outside the unreserved set and leaves "/" alone. Whether a space
# comes back as "+" or "%20" is not pinned: SDKs decode both (botocore with unquote_plus).
ENCODED = {
    "a+b.txt": ["a%2Bb.txt"],
    "a b.txt": ["a+b.txt", "a%20b.txt"],
    "100%.csv": ["100%25.csv"],
    "한글/x.txt": ["%ED%95%9C%EA%B8%80/x.txt"],
    "run books/x.txt": ["run+books/x.txt", "run%20books/x.txt"],
    "ctl\x01key": ["ctl%01key"],
}


def test_encoding_type_url(s3: Any, bucket: str) -> None:
    put_all(s3, bucket, list(ENCODED))
    ordered = sorted(ENCODED, key=lambda k: k.encode())
    # botocore asks for url encoding by itself and decodes: the keys come back as stored
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ordered
    # asked for explicitly, botocore leaves the values as S3 encoded them
    encoded = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    assert encoded["EncodingType"] == "url"
    got = keys_of(encoded)
    assert len(got) == len(ordered)
    for key, value in zip(ordered, got, strict=True):
        assert value in ENCODED[key], (key, value)
    grouped = s3.list_objects_v2(Bucket=bucket, EncodingType="url", Delimiter="/")
    assert grouped["Delimiter"] == "/"
    first, second = prefixes_of(grouped)
    assert first in ("run+books/", "run%20books/") and second == "%ED%95%9C%EA%B8%80/"
    v1 = s3.list_objects(Bucket=bucket, EncodingType="url", Prefix="a")
    assert v1["EncodingType"] == "url"
    assert keys_of(v1)[1] == "a%2Bb.txt" and keys_of(v1)[0] in ENCODED["a b.txt"]


def test_v1_marker_and_next_marker(s3: Any, bucket: str) -> None:
    put_all(s3, bucket, ["a/1", "a/2", "b", "c/1", "d", "e"])
    first = s3.list_objects(Bucket=bucket, MaxKeys=2)
    assert keys_of(first) == ["a/1", "a/2"]
    assert first["IsTruncated"] is True
    assert first["Marker"] == ""
    # without a delimiter S3 sends no NextMarker: the last key is the next marker
    assert "NextMarker" not in first
    second = s3.list_objects(Bucket=bucket, MaxKeys=2, Marker="a/2")
    assert keys_of(second) == ["b", "c/1"] and second["Marker"] == "a/2"
    last = s3.list_objects(Bucket=bucket, MaxKeys=2, Marker="c/1")
    assert keys_of(last) == ["d", "e"] and last["IsTruncated"] is False
    # with a delimiter NextMarker names the last key or common prefix of the page
    grouped = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert prefixes_of(grouped) == ["a/"] and keys_of(grouped) == ["b"]
    assert grouped["IsTruncated"] is True and grouped["NextMarker"] == "b"
    more = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker=grouped["NextMarker"])
    assert prefixes_of(more) == ["c/"] and keys_of(more) == ["d"]
    assert more["NextMarker"] == "d"
    end = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker="d")
    assert keys_of(end) == ["e"] and end["IsTruncated"] is False
    # v1 always lists owners
    assert first["Contents"][0]["Owner"]["ID"]
    pages = s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 4})
    assert [k for page in pages for k in keys_of(page)] == ["a/1", "a/2", "b", "c/1", "d", "e"]
