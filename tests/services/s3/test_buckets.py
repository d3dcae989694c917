"""Buckets: names, locations, create/head/delete/list/locate."""

from __future__ import annotations

import datetime as dt

import pytest

from headwater.services.s3.bucket_rules import bucket_region, canonical_id, is_valid_bucket_name, owner_of
from headwater.services.s3.errors import s3_error
from tests.services.s3.harness import ACCOUNT, CTX, OTHER, S3Harness, context, run_idle

VALID = ["abc", "my-bucket", "my.bucket.name", "a" * 63, "1bucket", "bucket1", "a-b.c-d", "xn-a", "s3alias"]
INVALID = [
    "ab",  # too short
    "a" * 64,  # too long
    "MyBucket",  # upper case
    "my_bucket",  # underscore
    "-bucket",
    "bucket-",
    ".bucket",
    "bucket.",
    "my..bucket",
    "192.168.5.4",  # formatted as an IP address
    "xn--bucket",
    "sthree-bucket",
    "amzn-s3-demo-bucket",
    "bucket-s3alias",
    "bucket--ol-s3",
    "bucket.mrap",
    "bucket--x-s3",
    "bucket--table-s3",
    "my bucket",
    "bücket",
]


@pytest.mark.parametrize("name", VALID)
def test_valid_names(name: str) -> None:
    assert is_valid_bucket_name(name)


@pytest.mark.parametrize("name", INVALID)
def test_invalid_names(name: str) -> None:
    assert not is_valid_bucket_name(name)


def test_create_bucket_refuses_an_invalid_name() -> None:
    async def body(h: S3Harness) -> None:
        error = await h.error("CreateBucket", Bucket="Bad_Name")
        assert (error.code, error.status, error.message) == (
            "InvalidBucketName",
            400,
            "The specified bucket is not valid.",
        )
        assert error.details == {"BucketName": "Bad_Name"}

    run_idle(body)


# endpoint region, LocationConstraint -> region or error code
LOCATIONS = [
    ("us-east-1", None, "us-east-1"),
    ("us-east-1", "", "us-east-1"),
    ("us-east-1", "eu-west-1", "eu-west-1"),  # the global endpoint creates buckets anywhere
    ("us-east-1", "EU", "eu-west-1"),
    ("us-east-1", "us-east-1", "InvalidLocationConstraint"),
    ("us-east-1", "mars-north-1", "InvalidLocationConstraint"),
    ("eu-west-1", "eu-west-1", "eu-west-1"),
    ("eu-west-1", "EU", "eu-west-1"),
    ("eu-west-1", None, "IllegalLocationConstraintException"),
    ("eu-west-1", "us-west-2", "IllegalLocationConstraintException"),
    ("eu-west-1", "mars-north-1", "IllegalLocationConstraintException"),  # unknown: incompatible too
    ("eu-west-1", "us-east-1", "InvalidLocationConstraint"),
    ("ap-south-1", "ap-south-1", "ap-south-1"),
]


@pytest.mark.parametrize(("endpoint", "constraint", "expected"), LOCATIONS)
def test_location_matrix(endpoint: str, constraint: str | None, expected: str) -> None:
    if "-" in expected and expected[0].islower():
        assert bucket_region(endpoint, constraint) == expected
        return
    with pytest.raises(Exception) as caught:
        bucket_region(endpoint, constraint)
    assert getattr(caught.value, "code", None) == expected


def test_location_messages() -> None:
    with pytest.raises(Exception) as caught:
        bucket_region("eu-west-1", None)
    assert str(caught.value) == (
        "The unspecified location constraint is incompatible for the region specific endpoint this request "
        "was sent to."
    )
    with pytest.raises(Exception) as caught:
        bucket_region("eu-west-1", "us-west-2")
    assert str(caught.value).startswith("The us-west-2 location constraint is incompatible")
    with pytest.raises(Exception) as caught:
        bucket_region("us-east-1", "us-east-1")
    assert str(caught.value) == "The specified location-constraint is not valid"


def test_create_bucket_and_location() -> None:
    async def body(h: S3Harness) -> None:
        assert await h.call("CreateBucket", Bucket="east") == {
            "Location": "/east",
            "BucketArn": "arn:aws:s3:::east",
        }
        eu = context(region="eu-west-1")
        created = await h.call(
            "CreateBucket", eu, Bucket="west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        assert created == {"Location": "http://west.localhost:4566/", "BucketArn": "arn:aws:s3:::west"}
        assert await h.call("GetBucketLocation", Bucket="east") == {"LocationConstraint": None}
        assert await h.call("GetBucketLocation", Bucket="west") == {"LocationConstraint": "eu-west-1"}
        await h.call("CreateBucket", Bucket="legacy", CreateBucketConfiguration={"LocationConstraint": "EU"})
        assert h.get("legacy").region == "eu-west-1"
        assert await h.call("GetBucketLocation", Bucket="legacy") == {"LocationConstraint": "EU"}
        assert await h.call("HeadBucket", Bucket="west") == {
            "BucketRegion": "eu-west-1",
            "AccessPointAlias": False,
            "BucketArn": "arn:aws:s3:::west",
        }

    run_idle(body)


def test_create_bucket_defaults() -> None:
    async def body(h: S3Harness) -> None:
        bucket = await h.create_bucket("bk1")
        assert bucket.account == ACCOUNT and bucket.versioning is None
        assert bucket.configs["ownership"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert all(bucket.configs["public_access_block"].values())
        locked = await h.create_bucket("bk2", ObjectLockEnabledForBucket=True, ObjectOwnership="ObjectWriter")
        assert locked.versioning == "Enabled"
        assert locked.configs["object_lock"] == {"ObjectLockEnabled": "Enabled"}
        assert locked.configs["ownership"]["Rules"][0]["ObjectOwnership"] == "ObjectWriter"
        tagged = await h.create_bucket(
            "bk3", CreateBucketConfiguration={"Tags": [{"Key": "team", "Value": "data"}]}
        )
        assert await h.call("GetBucketTagging", Bucket=tagged.name) == {
            "TagSet": [{"Key": "team", "Value": "data"}]
        }

    run_idle(body)


def test_create_bucket_refusals() -> None:
    async def body(h: S3Harness) -> None:
        error = await h.error("CreateBucket", Bucket="bkt", ObjectOwnership="Nobody")
        assert error.code == "InvalidArgument"
        error = await h.error("CreateBucket", Bucket="bkt", ACL="public-read")
        assert error.code == "InvalidBucketAclWithObjectOwnership"
        error = await h.error("CreateBucket", Bucket="bkt", ACL="public-read", ObjectOwnership="ObjectWriter")
        assert error.code == "InvalidBucketAclWithBlockPublicAccessError"
        await h.call("CreateBucket", Bucket="bkt", ACL="private")  # the owner-only ACL is always fine
        error = await h.error(
            "CreateBucket", Bucket="ccc", CreateBucketConfiguration={"Bucket": {"Type": "Directory"}}
        )
        assert error.code == "NotImplemented"

    run_idle(body)


def test_bucket_names_are_global() -> None:
    async def body(h: S3Harness) -> None:
        await h.call("CreateBucket", Bucket="east")
        # us-east-1 legacy: the owner re-creating its bucket there gets 200
        assert await h.call("CreateBucket", Bucket="east") == {
            "Location": "/east",
            "BucketArn": "arn:aws:s3:::east",
        }
        error = await h.error("CreateBucket", context(OTHER), Bucket="east")
        assert (error.code, error.status) == ("BucketAlreadyExists", 409)
        assert error.details == {"BucketName": "east"}
        eu = context(region="eu-west-1")
        await h.call(
            "CreateBucket", eu, Bucket="west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        error = await h.error(
            "CreateBucket", eu, Bucket="west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        assert (error.code, error.status) == ("BucketAlreadyOwnedByYou", 409)
        # an owned us-east-1 bucket re-created from another region's endpoint: 409 as well
        error = await h.error(
            "CreateBucket", eu, Bucket="east", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        assert error.code == "BucketAlreadyOwnedByYou"
        # the location is checked before the name's owner
        error = await h.error("CreateBucket", eu, Bucket="east")
        assert error.code == "IllegalLocationConstraintException"

    run_idle(body)


def test_head_bucket() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket("bkt")
        assert await h.call("HeadBucket", Bucket="bkt") == {
            "BucketRegion": "us-east-1",
            "AccessPointAlias": False,
            "BucketArn": "arn:aws:s3:::bkt",
        }
        error = await h.error("HeadBucket", Bucket="missing")
        assert (error.code, error.status) == ("NoSuchBucket", 404)
        error = await h.error("HeadBucket", Bucket="bkt", ExpectedBucketOwner=OTHER)
        assert (error.code, error.status) == ("AccessDenied", 403)
        assert await h.call("HeadBucket", Bucket="bkt", ExpectedBucketOwner=ACCOUNT)

    run_idle(body)


def test_delete_bucket() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket("bkt")
        await h.put("bkt", "key")
        error = await h.error("DeleteBucket", Bucket="bkt")
        assert (error.code, error.status) == ("BucketNotEmpty", 409)
        assert error.message == "The bucket you tried to delete is not empty"
        await h.core.store.set_versions("bkt", "key", [])
        assert await h.call("DeleteBucket", Bucket="bkt") == {"__status__": 204}
        assert h.core.store.bucket("bkt") is None
        assert (await h.error("DeleteBucket", Bucket="bkt")).code == "NoSuchBucket"

    run_idle(body)


def test_delete_versioned_bucket_with_only_a_delete_marker() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket("ver")
        await h.call("PutBucketVersioning", Bucket="ver", VersioningConfiguration={"Status": "Enabled"})
        await h.put("ver", "gone", version_id="m1", marker=True)
        error = await h.error("DeleteBucket", Bucket="ver")
        assert (
            error.message
            == "The bucket you tried to delete is not empty. You must delete all versions in the bucket."
        )

    run_idle(body)


def test_delete_bucket_aborts_uploads_and_releases_their_parts() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket("bkt")
        upload = await h.upload("bkt", "big", "u1", parts=3)
        blobs = [part.blob_id for part in upload.parts.values()]
        assert all(h.blob_exists(blob) for blob in blobs)
        await h.call("DeleteBucket", Bucket="bkt")
        assert not any(h.blob_exists(blob) for blob in blobs)
        assert h.core.store.uploads("bkt") == []
        await h.create_bucket("bkt")  # the name is free again, with nothing left over
        assert h.core.store.uploads("bkt") == []

    run_idle(body)


def test_list_buckets() -> None:
    async def body(h: S3Harness) -> None:
        for name in ("charlie", "alpha", "bravo"):
            await h.create_bucket(name)
        await h.call(
            "CreateBucket",
            context(region="eu-west-1"),
            Bucket="delta",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
        await h.create_bucket("other", context(OTHER))
        listed = await h.call("ListBuckets")
        assert [b["Name"] for b in listed["Buckets"]] == ["alpha", "bravo", "charlie", "delta"]
        assert listed["Owner"] == owner_of(ACCOUNT) == {"ID": canonical_id(ACCOUNT), "DisplayName": ACCOUNT}
        assert len(canonical_id(ACCOUNT)) == 64 and canonical_id(ACCOUNT) != canonical_id(OTHER)
        assert isinstance(listed["Buckets"][0]["CreationDate"], dt.datetime)
        assert "ContinuationToken" not in listed
        assert listed["Buckets"][0]["BucketRegion"] == "us-east-1"
        assert listed["Buckets"][0]["BucketArn"] == "arn:aws:s3:::alpha"
        assert [b["Name"] for b in (await h.call("ListBuckets", context(OTHER)))["Buckets"]] == ["other"]

        regional = await h.call("ListBuckets", BucketRegion="eu-west-1")
        assert regional["Buckets"] == [
            {
                "Name": "delta",
                "CreationDate": regional["Buckets"][0]["CreationDate"],
                "BucketRegion": "eu-west-1",
                "BucketArn": "arn:aws:s3:::delta",
            }
        ]
        prefixed = await h.call("ListBuckets", Prefix="b")
        assert [b["Name"] for b in prefixed["Buckets"]] == ["bravo"] and prefixed["Prefix"] == "b"

        names, token, pages = [], None, 0
        while True:
            params = {"MaxBuckets": 3} | ({"ContinuationToken": token} if token else {})
            page = await h.call("ListBuckets", **params)
            names += [b["Name"] for b in page["Buckets"]]
            pages += 1
            token = page.get("ContinuationToken")
            if token is None:
                break
        assert names == ["alpha", "bravo", "charlie", "delta"] and pages == 2

    run_idle(body)


def test_list_buckets_refusals() -> None:
    async def body(h: S3Harness) -> None:
        for bad in (0, 10_001):
            error = await h.error("ListBuckets", MaxBuckets=bad)
            assert error.code == "InvalidArgument" and error.details["ArgumentName"] == "max-buckets"
        error = await h.error("ListBuckets", ContinuationToken="%%%")
        assert error.code == "InvalidArgument" and error.details["ArgumentName"] == "continuation-token"

    run_idle(body)


def test_unknown_bucket_everywhere() -> None:
    async def body(h: S3Harness) -> None:
        for operation in (
            "GetBucketLocation",
            "GetBucketTagging",
            "GetBucketCors",
            "GetBucketPolicy",
            "DeleteBucket",
        ):
            error = await h.error(operation, Bucket="nope")
            assert error.code == "NoSuchBucket", operation
            assert error.details == s3_error("x", "y", BucketName="nope").details

    run_idle(body)


def test_ctx_default_is_us_east_1() -> None:
    assert CTX.region == "us-east-1" and CTX.account == ACCOUNT


def test_records_of_the_old_layout_move_to_the_ordered_store_at_start() -> None:
    import asyncio

    from headwater.engine.memory import MemoryEngine
    from headwater.services.s3.records import Bucket, ObjectVersion, to_bytes
    from headwater.services.s3.store import BUCKETS, S3Store, objects_ns

    async def main() -> None:
        engine = MemoryEngine()
        version = ObjectVersion(key="k", version_id="null", last_modified_ms=1, blobs=("m1",), size=5)
        await engine.meta.put(
            BUCKETS, "old", to_bytes(Bucket(name="old", account="1", region="us-east-1", created_ms=1))
        )
        await engine.meta.put(objects_ns("old"), "k", b"[" + to_bytes(version) + b"]")
        store = S3Store(engine.meta, engine.ordered, engine.blobs)
        await store.load()
        assert store.versions("old", "k") == [version]
        assert list(engine.meta.scan(objects_ns("old"))) == []
        stats = store.stats("old")
        assert (stats.keys, stats.objects, stats.sizes) == (1, 1, {"STANDARD": 5})

    asyncio.run(main())
