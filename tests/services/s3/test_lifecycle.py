"""Lifecycle: configuration checks and round trip, and expiry applied by the core's (test) clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from headwater.services.s3 import lifecycle
from headwater.services.s3.lifecycle_rules import DAY_MS, after_days
from tests.services.s3.harness import S3Harness, run_idle

B = "logs-bucket"


def rule(expiration: dict | None = None, *, prefix: str = "", status: str = "Enabled", **extra: Any) -> dict:
    result: dict[str, Any] = {
        "ID": extra.pop("ID", "r1"),
        "Status": status,
        "Filter": extra.pop("Filter", {"Prefix": prefix}),
    }
    if expiration is not None:
        result["Expiration"] = expiration
    return result | extra


def midnight(days_from_now: int = 0) -> dt.datetime:
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + dt.timedelta(days=days_from_now)


MALFORMED = [
    [],
    [rule({"Days": 1}, status="On")],
    [{**rule({"Days": 1}), "Prefix": "a/"}],  # Prefix and Filter
    [{k: v for k, v in rule({"Days": 1}).items() if k != "Filter"}],  # neither
    [rule({"Days": 1}, Filter={"Prefix": "a/", "Tag": {"Key": "k", "Value": "v"}})],  # two conditions, no And
    [rule({"Days": 1, "Date": midnight(3)})],
    [rule({"Days": 1, "ExpiredObjectDeleteMarker": True})],
    [rule({})],
    [rule({"Days": 1})] * 1001,
]
INVALID = [
    ([rule({"Days": 0})], "InvalidArgument", "'Days' for Expiration action must be a positive integer"),
    ([rule({"Days": -3})], "InvalidArgument", "'Days' for Expiration action must be a positive integer"),
    (
        [rule({"Date": midnight(3) + dt.timedelta(hours=1)})],
        "InvalidArgument",
        "'Date' must be at midnight GMT",
    ),
    (
        [rule({"Days": 1}, ID="x" * 256)],
        "InvalidArgument",
        "ID length should not exceed allowed limit of 255",
    ),
    (
        [rule({"Days": 1}), rule({"Days": 2})],
        "InvalidArgument",
        "Rule ID must be unique. Found same ID for more than one rule",
    ),
    ([rule(None)], "InvalidRequest", "At least one action needs to be specified in a rule"),
    (
        [rule(None, NoncurrentVersionExpiration={"NoncurrentDays": 0})],
        "InvalidArgument",
        "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
    ),
    (
        [rule(None, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 0})],
        "InvalidArgument",
        "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
    ),
    (
        [
            rule(
                None,
                Filter={"Tag": {"Key": "k", "Value": "v"}},
                AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1},
            )
        ],
        "InvalidRequest",
        "AbortIncompleteMultipartUpload cannot be specified with Tags.",
    ),
    (
        [rule({"ExpiredObjectDeleteMarker": True}, Filter={"Tag": {"Key": "k", "Value": "v"}})],
        "InvalidRequest",
        "ExpiredObjectDeleteMarker cannot be specified with Tag filters",
    ),
    ([rule({"Days": 1}, Filter={"Tag": {"Key": "aws:x", "Value": "v"}})], "InvalidTag", None),
    (
        [rule({"Days": 1}, Filter={"ObjectSizeGreaterThan": 100, "ObjectSizeLessThan": 50})],
        "MalformedXML",
        None,
    ),
    (
        [rule({"Days": 1}, Filter={"And": {"ObjectSizeGreaterThan": 100, "ObjectSizeLessThan": 50}})],
        "InvalidArgument",
        None,
    ),
]


@pytest.mark.parametrize("rules", MALFORMED)
def test_malformed_configurations(rules: list[dict]) -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error(
            "PutBucketLifecycleConfiguration", Bucket=B, LifecycleConfiguration={"Rules": rules}
        )
        assert error.code == "MalformedXML"

    run_idle(body)


@pytest.mark.parametrize(("rules", "code", "message"), INVALID)
def test_invalid_configurations(rules: list[dict], code: str, message: str | None) -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error(
            "PutBucketLifecycleConfiguration", Bucket=B, LifecycleConfiguration={"Rules": rules}
        )
        assert error.code == code
        if message:
            assert error.message == message

    run_idle(body)


def test_round_trip() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error("GetBucketLifecycleConfiguration", Bucket=B)
        assert (error.code, error.status, error.message) == (
            "NoSuchLifecycleConfiguration",
            404,
            "The lifecycle configuration does not exist",
        )
        date = midnight(10)
        rules = [
            rule({"Days": 30}, prefix="logs/", ID="logs"),
            rule(
                {"Date": date},
                ID="dated",
                Filter={"And": {"Prefix": "tmp/", "Tags": [{"Key": "t", "Value": "1"}]}},
            ),
            {"Status": "Disabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
            rule(None, ID="mpu", AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7}),
            rule(
                None,
                ID="old",
                NoncurrentVersionExpiration={"NoncurrentDays": 3, "NewerNoncurrentVersions": 2},
            ),
            rule(None, ID="cold", Transitions=[{"Days": 30, "StorageClass": "GLACIER"}]),
        ]
        put = await h.call(
            "PutBucketLifecycleConfiguration", Bucket=B, LifecycleConfiguration={"Rules": rules}
        )
        assert put == {"TransitionDefaultMinimumObjectSize": "all_storage_classes_128K"}
        got = await h.call("GetBucketLifecycleConfiguration", Bucket=B)
        assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
        assert got["Rules"][0] == rules[0]
        assert got["Rules"][1]["Expiration"] == {"Date": date}  # a datetime again
        assert got["Rules"][2]["ID"]  # S3 names a rule that has no ID
        assert got["Rules"][3:] == rules[3:]
        legacy = await h.call("GetBucketLifecycle", Bucket=B)
        assert legacy["Rules"][0]["Prefix"] == "logs/" and "Filter" not in legacy["Rules"][0]
        assert await h.call("DeleteBucketLifecycle", Bucket=B) == {"__status__": 204}
        assert (
            await h.error("GetBucketLifecycleConfiguration", Bucket=B)
        ).code == "NoSuchLifecycleConfiguration"
        old_style = [
            {
                "ID": "a",
                "Prefix": "x/",
                "Status": "Enabled",
                "Transition": {"Days": 1, "StorageClass": "GLACIER"},
            }
        ]
        await h.call("PutBucketLifecycle", Bucket=B, LifecycleConfiguration={"Rules": old_style})
        stored = (await h.call("GetBucketLifecycleConfiguration", Bucket=B))["Rules"][0]
        assert stored["Prefix"] == "x/" and stored["Transitions"] == [{"Days": 1, "StorageClass": "GLACIER"}]

    run_idle(body)


def test_after_days_is_the_next_midnight() -> None:
    created = int(dt.datetime(2014, 1, 15, 10, 30, tzinfo=dt.UTC).timestamp() * 1000)
    assert after_days(created, 3) == int(dt.datetime(2014, 1, 19, tzinfo=dt.UTC).timestamp() * 1000)
    exact = int(dt.datetime(2014, 1, 15, tzinfo=dt.UTC).timestamp() * 1000)
    assert after_days(exact, 1) == exact + 2 * DAY_MS


def advance_to(h: S3Harness, ms: int) -> None:
    h.clock.advance(max(0.0, (ms - h.core.now_ms()) / 1000))


async def configure(h: S3Harness, *rules: dict) -> None:
    await h.call("PutBucketLifecycleConfiguration", Bucket=B, LifecycleConfiguration={"Rules": list(rules)})


def test_objects_expire_at_the_midnight_after_their_days() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        created = h.core.now_ms() // DAY_MS * DAY_MS + int(10.5 * 3600 * 1000)  # today 10:30
        doomed = await h.put(B, "logs/a", b"x" * 10, at_ms=created)
        await h.put(B, "keep/a", at_ms=created)
        await configure(h, rule({"Days": 2}, prefix="logs/"))
        due = after_days(created, 2)
        assert due == created // DAY_MS * DAY_MS + 3 * DAY_MS
        advance_to(h, due - 1000)
        assert await h.lifecycle.sweep() == 0
        assert h.keys(B) == ["keep/a", "logs/a"]
        advance_to(h, due + 1000)
        assert await h.lifecycle.sweep() == 1
        assert h.keys(B) == ["keep/a"]
        assert not h.blob_exists(doomed.blobs[0])
        assert h.notifier.emitted == [(B, "LifecycleExpiration:Delete", doomed)]
        assert await h.lifecycle.sweep() == 0  # swept today already

    run_idle(body)


def test_date_and_filters() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        await h.put(B, "tmp/tagged", tags={"temp": "yes"})
        await h.put(B, "tmp/other-tag", tags={"temp": "no"})
        await h.put(B, "big", b"x" * 1000)
        await h.put(B, "small", b"x" * 10)
        await h.put(B, "and/match", b"x" * 50, tags={"a": "1", "b": "2"})
        await h.put(B, "and/partial", b"x" * 50, tags={"a": "1"})
        date = midnight(5)
        await configure(
            h,
            rule({"Date": date}, ID="tag", Filter={"Tag": {"Key": "temp", "Value": "yes"}}),
            rule({"Date": date}, ID="size", Filter={"ObjectSizeGreaterThan": 100}),
            rule(
                {"Date": date},
                ID="and",
                Filter={
                    "And": {
                        "Prefix": "and/",
                        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
                        "ObjectSizeLessThan": 600,
                    }
                },
            ),
            rule({"Date": midnight(1)}, ID="off", status="Disabled"),
        )
        advance_to(h, int(date.timestamp() * 1000) - 1000)
        assert await h.lifecycle.sweep() == 0
        advance_to(h, int(date.timestamp() * 1000) + 1000)
        assert await h.lifecycle.sweep() == 3
        assert h.keys(B) == ["and/partial", "small", "tmp/other-tag"]

    run_idle(body)


def test_versioned_buckets_get_delete_markers_then_lose_old_versions() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        await h.call("PutBucketVersioning", Bucket=B, VersioningConfiguration={"Status": "Enabled"})
        start = h.core.now_ms()
        v1 = await h.put(B, "doc", b"one", version_id="v1", at_ms=start - 3 * DAY_MS)
        v2 = await h.put(B, "doc", b"two", version_id="v2", at_ms=start - 2 * DAY_MS)
        v3 = await h.put(B, "doc", b"three", version_id="v3", at_ms=start - 1 * DAY_MS)
        await configure(
            h,
            rule({"Days": 5}, ID="current"),
            rule(
                None,
                ID="noncurrent",
                NoncurrentVersionExpiration={"NoncurrentDays": 1, "NewerNoncurrentVersions": 1},
            ),
        )
        # v1 became noncurrent 2 days ago (when v2 was written); v2 yesterday; one newer noncurrent kept
        assert await h.lifecycle.sweep() == 1
        assert [v.version_id for v in h.core.store.versions(B, "doc")] == ["v3", "v2"]
        assert not h.blob_exists(v1.blobs[0])
        assert h.notifier.emitted == [(B, "LifecycleExpiration:Delete", v1)]

        advance_to(h, after_days(v3.last_modified_ms, 5) + 1000)
        assert await h.lifecycle.sweep() == 2  # a marker over v3, and v2 (noncurrent for days) goes
        versions = h.core.store.versions(B, "doc")
        assert [v.delete_marker for v in versions] == [True, False] and versions[1] == v3
        marker = versions[0]
        assert len(marker.version_id) == 32 and marker.owner == h.get(B).account
        assert h.blob_exists(v3.blobs[0]) and not h.blob_exists(v2.blobs[0])
        assert (B, "LifecycleExpiration:DeleteMarkerCreated", marker) in h.notifier.emitted

        # v3 (noncurrent since the marker) is kept as the one newer noncurrent version; the marker
        # itself is not alone, so it stays
        advance_to(h, h.core.now_ms() + 3 * DAY_MS)
        assert await h.lifecycle.sweep() == 0

    run_idle(body)


def test_expired_object_delete_markers_are_removed() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        await h.call("PutBucketVersioning", Bucket=B, VersioningConfiguration={"Status": "Enabled"})
        await h.put(B, "lone", version_id="m1", marker=True)
        await h.put(B, "kept", b"data", version_id="v1")
        await h.put(B, "kept", version_id="m2", marker=True)
        await h.put(B, "other/lone", version_id="m3", marker=True)
        await configure(h, rule({"ExpiredObjectDeleteMarker": True}, prefix="lone"))
        assert await h.lifecycle.sweep() == 1
        assert h.keys(B) == ["kept", "other/lone"]

    run_idle(body)


def test_days_rules_remove_lone_markers_once_old_enough() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        await h.call("PutBucketVersioning", Bucket=B, VersioningConfiguration={"Status": "Enabled"})
        marker = await h.put(B, "gone", version_id="m1", marker=True)
        await configure(h, rule({"Days": 1}))
        assert await h.lifecycle.sweep() == 0
        advance_to(h, after_days(marker.last_modified_ms, 1) + 1000)
        assert await h.lifecycle.sweep() == 1
        assert h.keys(B) == []

    run_idle(body)


def test_suspended_versioning_replaces_the_null_version() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        await h.call("PutBucketVersioning", Bucket=B, VersioningConfiguration={"Status": "Enabled"})
        old = await h.put(B, "k", b"old", version_id="v1", at_ms=h.core.now_ms() - 10 * DAY_MS)
        await h.call("PutBucketVersioning", Bucket=B, VersioningConfiguration={"Status": "Suspended"})
        null = await h.put(B, "k", b"null", version_id="null", at_ms=h.core.now_ms() - 5 * DAY_MS)
        await configure(h, rule({"Days": 1}))
        assert await h.lifecycle.sweep() == 1
        versions = h.core.store.versions(B, "k")
        assert [(v.version_id, v.delete_marker) for v in versions] == [("null", True), ("v1", False)]
        assert not h.blob_exists(null.blobs[0]) and h.blob_exists(old.blobs[0])

    run_idle(body)


def test_incomplete_uploads_are_aborted() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        upload = await h.upload(B, "big/file", "u1")
        other = await h.upload(B, "keep/file", "u2")
        await configure(
            h, rule(None, prefix="big/", AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1})
        )
        advance_to(h, after_days(upload.initiated_ms, 1) - 1000)
        assert await h.lifecycle.sweep() == 0
        advance_to(h, after_days(upload.initiated_ms, 1) + 1000)
        assert await h.lifecycle.sweep() == 1
        assert [u.upload_id for u in h.core.store.uploads(B)] == ["u2"]
        assert not any(h.blob_exists(p.blob_id) for p in upload.parts.values())
        assert all(h.blob_exists(p.blob_id) for p in other.parts.values())

    run_idle(body)


def test_large_buckets_are_swept_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "SLICE", 7)

    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        past = h.core.now_ms() - 10 * DAY_MS
        for number in range(50):
            await h.put(B, f"k{number:03}", b"", at_ms=past)
        await configure(h, rule({"Days": 1}, prefix="k0"))  # k000..k049: all of them
        assert await h.lifecycle.sweep() == 50
        assert h.keys(B) == []

    run_idle(body)


def test_the_loop_follows_the_test_clock() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        created = h.core.now_ms()
        await h.put(B, "tmp", at_ms=created)
        await configure(h, rule({"Days": 1}))
        await h.lifecycle.start()
        advance_to(h, after_days(created, 1) + 1000)  # wakes the loop's sleep at once
        for _ in range(500):
            if not h.keys(B):
                break
            await asyncio.sleep(0.01)
        assert h.keys(B) == []

    run_idle(body)


def test_buckets_without_rules_and_deleted_buckets() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        await h.put(B, "k", at_ms=h.core.now_ms() - 10 * DAY_MS)
        assert await h.lifecycle.sweep() == 0
        await configure(h, rule({"Days": 1}, status="Disabled"))
        assert await h.lifecycle.sweep() == 0
        assert h.keys(B) == ["k"]

    run_idle(body)
