"""Multipart uploads: the rules of parts and completion, ETags, bodies without copies, versioning,
conditions, encryption, copies of parts, aborts."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.s3 import multipart_complete
from headwater.services.s3.multipart_rules import check_part_number, new_upload_id
from headwater.services.s3.records import ObjectVersion
from tests.services.s3.harness import MIB, FakeBody, S3Harness, body, run

BIG = 5 * MIB


def data(size: int, seed: int) -> bytes:
    block = hashlib.sha256(bytes([seed])).digest()
    return (block * (size // len(block) + 1))[:size]


def md5(payload: bytes) -> str:
    return hashlib.md5(payload).hexdigest()


def entry(number: int, payload: bytes, **checksums: str) -> dict[str, Any]:
    return {"PartNumber": number, "ETag": f'"{md5(payload)}"', **checksums}


# -- rules without I/O --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 10_001, -1, "1", None, True, 1.0])
def test_part_numbers_outside_1_to_10000_are_invalid(value: Any) -> None:
    with pytest.raises(AwsError) as caught:
        check_part_number(value)
    error = caught.value
    assert (error.code, error.status) == ("InvalidArgument", 400)
    assert error.message == "Part number must be an integer between 1 and 10000, inclusive"
    assert error.details == {"ArgumentName": "partNumber", "ArgumentValue": str(value)}


@pytest.mark.parametrize("value", [1, 5000, 10_000])
def test_part_numbers_within_range_are_accepted(value: int) -> None:
    assert check_part_number(value) == value


def test_upload_ids_are_url_safe_unique_and_sorted_by_creation() -> None:
    ids = [new_upload_id(1_700_000_000_000 + n // 3) for n in range(300)]
    assert len(set(ids)) == 300
    assert ids == sorted(ids)
    assert all(c.isalnum() or c in "-_" for i in ids for c in i)


# -- a whole upload -----------------------------------------------------------------------------------


def test_complete_assembles_parts_with_md5_of_md5s_etag_and_no_copy() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        one, two, three = data(BIG, 1), data(BIG + 7, 2), data(1000, 3)
        upload_id = await h.create(Metadata={"Color": "blue"}, ContentType="text/plain", Tagging="a=1&b=2")
        for number, payload in ((1, one), (2, two), (3, three)):
            result = await h.part(upload_id, number, payload)
            assert result["ETag"] == f'"{md5(payload)}"'
        upload = h.core.store.upload("bkt", upload_id)
        assert upload is not None
        part_blobs = tuple(upload.parts[n].blob_id for n in (1, 2, 3))
        result = await h.complete(upload_id, [entry(1, one), entry(2, two), entry(3, three)])
        expected = hashlib.md5(
            hashlib.md5(one).digest() + hashlib.md5(two).digest() + hashlib.md5(three).digest()
        ).hexdigest()
        assert result["ETag"] == f'"{expected}-3"'
        assert result["Location"] == "http://localhost:4566/bkt/obj"
        assert (result["Bucket"], result["Key"]) == ("bkt", "obj")
        assert "VersionId" not in result
        assert result["ServerSideEncryption"] == "AES256"
        version = h.core.store.latest("bkt", "obj")
        assert version is not None
        assert version.blobs == part_blobs  # the parts' blobs are the object's body
        assert version.part_sizes == (BIG, BIG + 7, 1000)
        assert version.size == 2 * BIG + 1007
        assert version.metadata == {"color": "blue"}
        assert version.content_type == "text/plain"
        assert version.tags == {"a": "1", "b": "2"}
        assert await h.read() == one + two + three
        assert h.core.store.upload("bkt", upload_id) is None
        assert [(e[1], e[2].key) for e in h.emitted] == [("ObjectCreated:CompleteMultipartUpload", "obj")]

    run(test)


def test_parts_are_encrypted_at_rest_each_with_its_own_iv() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        one, two = data(BIG, 4), data(10, 5)
        upload_id = await h.create()
        await h.part(upload_id, 1, one)
        await h.part(upload_id, 2, two)
        await h.complete(upload_id, [entry(1, one), entry(2, two)])
        version = h.core.store.latest("bkt", "obj")
        assert version is not None and version.sealed_key
        assert len(version.ivs) == 2 and version.ivs[0] != version.ivs[1]
        raw = b"".join([c async for c in h.core.engine.blobs.read(version.blobs[1])])
        assert len(raw) == 10 and raw != two
        assert await h.read() == one + two

    run(test)


def test_a_single_small_part_and_an_empty_last_part_are_allowed() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create(key="small")
        await h.part(upload_id, 1, b"tiny", key="small")
        result = await h.complete(upload_id, [entry(1, b"tiny")], key="small")
        assert result["ETag"] == f'"{hashlib.md5(hashlib.md5(b"tiny").digest()).hexdigest()}-1"'
        assert await h.read("small") == b"tiny"

        one = data(BIG, 6)
        upload_id = await h.create(key="tail")
        await h.part(upload_id, 1, one, key="tail")
        await h.part(upload_id, 2, b"", key="tail")
        await h.complete(upload_id, [entry(1, one), entry(2, b"")], key="tail")
        version = h.core.store.latest("bkt", "tail")
        assert version is not None
        assert (len(version.blobs), version.part_sizes) == (1, (BIG, 0))
        assert await h.read("tail") == one

    run(test)


def test_reuploading_a_part_replaces_it_and_frees_the_old_blob() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create()
        await h.part(upload_id, 1, b"first")
        upload = h.core.store.upload("bkt", upload_id)
        assert upload is not None
        old_blob = upload.parts[1].blob_id
        await h.part(upload_id, 1, b"second")
        upload = h.core.store.upload("bkt", upload_id)
        assert upload is not None and upload.parts[1].etag == f'"{md5(b"second")}"'
        assert not h.blob_exists(old_blob)
        assert h.blob_exists(upload.parts[1].blob_id)

    run(test)


def test_parts_left_out_of_the_completion_are_freed() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create()
        for number in (1, 2, 3):
            await h.part(upload_id, number, f"part{number}".encode())
        upload = h.core.store.upload("bkt", upload_id)
        assert upload is not None
        blobs = {n: p.blob_id for n, p in upload.parts.items()}
        await h.complete(upload_id, [entry(2, b"part2")])
        assert await h.read() == b"part2"
        assert [h.blob_exists(blobs[n]) for n in (1, 2, 3)] == [False, True, False]

    run(test)


def test_concurrent_part_uploads_all_land() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create()
        await asyncio.gather(*(h.part(upload_id, n, f"p{n}".encode()) for n in range(1, 21)))
        upload = h.core.store.upload("bkt", upload_id)
        assert upload is not None and sorted(upload.parts) == list(range(1, 21))

    run(test)


# -- completion errors --------------------------------------------------------------------------------


def test_completion_errors_table() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        small, big = b"x" * 100, data(BIG, 7)
        upload_id = await h.create()
        await h.part(upload_id, 1, small)
        await h.part(upload_id, 2, big)
        await h.part(upload_id, 3, small)

        cases: list[tuple[list[dict[str, Any]], str]] = [
            ([], "MalformedXML"),
            ([entry(2, big), entry(1, small)], "InvalidPartOrder"),
            ([entry(2, big), entry(2, big)], "InvalidPartOrder"),
            ([entry(2, big), entry(4, small)], "InvalidPart"),
            ([{"PartNumber": 2, "ETag": '"' + "0" * 32 + '"'}], "InvalidPart"),
            ([entry(1, small), entry(2, big)], "EntityTooSmall"),
            ([{"PartNumber": 0, "ETag": "x"}], "InvalidArgument"),
        ]
        for parts, code in cases:
            error = await h.error(
                "CompleteMultipartUpload",
                Bucket="bkt",
                Key="obj",
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
            assert (error.code, error.status) == (code, 400), (parts, error)
        error = await h.error("CompleteMultipartUpload", Bucket="bkt", Key="obj", UploadId=upload_id)
        assert error.code == "MalformedXML"

        too_small = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": [entry(1, small), entry(2, big)]},
        )
        assert too_small.message == "Your proposed upload is smaller than the minimum allowed size"
        assert too_small.details == {
            "ProposedSize": "100",
            "MinSizeAllowed": str(5 * MIB),
            "PartNumber": "1",
            "ETag": md5(small),
        }
        invalid = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": [entry(9, small)]},
        )
        assert invalid.message == (
            "One or more of the specified parts could not be found.  The part may not have been uploaded, or "
            "the specified entity tag may not match the part's entity tag."
        )
        # every failure left the upload as it was: it still completes
        await h.complete(upload_id, [entry(2, big), entry(3, small)])
        assert await h.read() == big + small

    run(test)


def test_unknown_uploads_are_no_such_upload() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create(key="a")
        for operation, extra in (
            ("UploadPart", {"PartNumber": 1, "Body": body(b"x")}),
            ("CompleteMultipartUpload", {"MultipartUpload": {"Parts": [entry(1, b"x")]}}),
            ("AbortMultipartUpload", {}),
            ("ListParts", {}),
        ):
            for key, uid in (("a", "nope"), ("b", upload_id)):  # unknown id, or another key's upload
                error = await h.error(operation, Bucket="bkt", Key=key, UploadId=uid, **extra)
                assert (error.code, error.status) == ("NoSuchUpload", 404), operation
                assert error.details == {"UploadId": uid}
        error = await h.error("CreateMultipartUpload", Bucket="nobucket", Key="k")
        assert error.code == "NoSuchBucket"

    run(test)


def test_a_part_larger_than_5_gib_is_refused_before_reading() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create()
        huge = FakeBody(b"never read", length=5 * 1024**3 + 1)
        error = await h.error(
            "UploadPart", Bucket="bkt", Key="obj", UploadId=upload_id, PartNumber=1, Body=huge
        )
        assert error.code == "EntityTooLarge"
        assert error.details["MaxSizeAllowed"] == str(5 * 1024**3)

    run(test)


def test_a_part_finishing_after_an_abort_fails_and_leaves_no_blob() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create()
        before = set(h.core.engine.blobs.ids())

        async def chunks() -> Any:
            yield b"a" * 1000
            await h.call("AbortMultipartUpload", Bucket="bkt", Key="obj", UploadId=upload_id)
            yield b"b" * 1000

        class Late:
            length = 2000
            trailers: dict[str, str] = {}

            def __aiter__(self) -> Any:
                return chunks()

        error = await h.error(
            "UploadPart", Bucket="bkt", Key="obj", UploadId=upload_id, PartNumber=1, Body=Late()
        )
        assert error.code == "NoSuchUpload"
        assert set(h.core.engine.blobs.ids()) == before

    run(test)


def test_abort_frees_every_part_and_refuses_a_wrong_initiated_time() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create()
        await h.part(upload_id, 1, b"one")
        await h.part(upload_id, 2, b"two")
        upload = h.core.store.upload("bkt", upload_id)
        assert upload is not None
        error = await h.error(
            "AbortMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            IfMatchInitiatedTime="Thu, 01 Jan 1970 00:00:00 GMT",
        )
        assert (error.code, error.status) == ("PreconditionFailed", 412)
        assert await h.call("AbortMultipartUpload", Bucket="bkt", Key="obj", UploadId=upload_id) == {}
        assert h.core.store.upload("bkt", upload_id) is None
        assert not any(h.blob_exists(p.blob_id) for p in upload.parts.values())

    run(test)


# -- versions, conditions, retries --------------------------------------------------------------------


def test_completion_replaces_the_unversioned_object_and_frees_its_body() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        for payload in (b"old", b"new"):
            upload_id = await h.create()
            await h.part(upload_id, 1, payload)
            await h.complete(upload_id, [entry(1, payload)])
            if payload == b"old":
                first = h.core.store.latest("bkt", "obj")
        assert first is not None
        versions = h.core.store.versions("bkt", "obj")
        assert [v.version_id for v in versions] == ["null"]
        assert not h.blob_exists(first.blobs[0])
        assert await h.read() == b"new"

    run(test)


def test_completion_in_a_versioned_bucket_adds_a_version() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket(versioning="Enabled")
        ids = []
        for payload in (b"v1", b"v2"):
            upload_id = await h.create()
            await h.part(upload_id, 1, payload)
            result = await h.complete(upload_id, [entry(1, payload)])
            ids.append(result["VersionId"])
        versions = h.core.store.versions("bkt", "obj")
        assert [v.version_id for v in versions] == ids[::-1]
        assert all(h.blob_exists(v.blobs[0]) for v in versions)

    run(test)


def test_conditional_completion() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()

        async def attempt(**conditions: str) -> Any:
            upload_id = await h.create()
            await h.part(upload_id, 1, b"data")
            return upload_id, await h.complete(upload_id, [entry(1, b"data")], **conditions)

        missing = await h.create()
        await h.part(missing, 1, b"data")
        error = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=missing,
            MultipartUpload={"Parts": [entry(1, b"data")]},
            IfMatch='"abc"',
        )
        assert (error.code, error.status) == ("NoSuchKey", 404)
        _, first = await attempt(IfNoneMatch="*")
        upload_id = await h.create()
        await h.part(upload_id, 1, b"data")
        for conditions in ({"IfNoneMatch": "*"}, {"IfMatch": '"0123"'}):
            error = await h.error(
                "CompleteMultipartUpload",
                Bucket="bkt",
                Key="obj",
                UploadId=upload_id,
                MultipartUpload={"Parts": [entry(1, b"data")]},
                **conditions,
            )
            assert (error.code, error.status) == ("PreconditionFailed", 412)
        await h.complete(upload_id, [entry(1, b"data")], IfMatch=first["ETag"])

    run(test)


def test_a_retried_completion_answers_as_the_first_did() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create()
        await h.part(upload_id, 1, b"data")
        first = await h.complete(upload_id, [entry(1, b"data")])
        again = await h.complete(upload_id, [entry(1, b"data")])
        assert again == first
        # once another write replaced the object, the upload is simply gone
        other = await h.create()
        await h.part(other, 1, b"more")
        await h.complete(other, [entry(1, b"more")])
        error = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": [entry(1, b"data")]},
        )
        assert error.code == "NoSuchUpload"

    run(test)


def test_location_follows_the_addressing_style() -> None:
    from headwater.services.context import RequestContext

    virtual = RequestContext(
        "1", "us-east-1", "r", host="bkt.s3.localhost.localstack.cloud:4566", scheme="https"
    )
    assert (
        multipart_complete.location(virtual, "bkt", "a b/c")
        == "https://bkt.s3.localhost.localstack.cloud:4566/a%20b%2Fc"
    )
    path = RequestContext("1", "us-east-1", "r", host="localhost:4566")
    assert multipart_complete.location(path, "bkt", "k") == "http://localhost:4566/bkt/k"


# -- UploadPartCopy -----------------------------------------------------------------------------------


async def put_source(h: S3Harness, key: str, payload: bytes) -> ObjectVersion:
    upload_id = await h.create(key=key)
    await h.part(upload_id, 1, payload, key=key)
    await h.complete(upload_id, [entry(1, payload)], key=key)
    version = h.core.store.latest("bkt", key)
    assert version is not None
    return version


def test_upload_part_copy_streams_a_range_of_an_object_into_a_part() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        source = data(BIG + 100, 8)
        await put_source(h, "src key", source)
        upload_id = await h.create()
        whole = await h.call(
            "UploadPartCopy",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            PartNumber=1,
            CopySource="bkt/src%20key",
        )
        assert whole["CopyPartResult"]["ETag"] == f'"{md5(source)}"'
        assert "LastModified" in whole["CopyPartResult"]
        ranged = await h.call(
            "UploadPartCopy",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            PartNumber=2,
            CopySource="/bkt/src%20key",
            CopySourceRange="bytes=10-19",
        )
        assert ranged["CopyPartResult"]["ETag"] == f'"{md5(source[10:20])}"'
        await h.complete(upload_id, [entry(1, source), entry(2, source[10:20])])
        assert await h.read() == source + source[10:20]

    run(test)


def test_upload_part_copy_errors() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        source = await put_source(h, "src", b"0123456789")
        upload_id = await h.create()

        async def copy(**params: Any) -> AwsError:
            return await h.error(
                "UploadPartCopy", Bucket="bkt", Key="obj", UploadId=upload_id, PartNumber=1, **params
            )

        assert (await copy(CopySource="bkt/missing")).code == "NoSuchKey"
        assert (await copy(CopySource="nobucket/src")).code == "NoSuchBucket"
        assert (await copy(CopySource="bkt")).code == "InvalidArgument"
        beyond = await copy(CopySource="bkt/src", CopySourceRange="bytes=5-10")
        assert (beyond.code, beyond.message) == (
            "InvalidArgument",
            "Range specified is not valid for source object of size: 10",
        )
        assert beyond.details == {"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": "bytes=5-10"}
        assert (await copy(CopySource="bkt/src", CopySourceRange="bytes=5-")).code == "InvalidArgument"
        failed = await copy(CopySource="bkt/src", CopySourceIfMatch='"nope"')
        assert (failed.code, failed.status) == ("PreconditionFailed", 412)
        ok = await h.call(
            "UploadPartCopy",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            PartNumber=1,
            CopySource="bkt/src",
            CopySourceIfMatch=source.etag,
            CopySourceRange="bytes=0-9",
        )
        assert ok["CopyPartResult"]["ETag"] == f'"{md5(b"0123456789")}"'
        assert "CopySourceVersionId" not in ok

    run(test)
