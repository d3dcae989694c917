"""Multipart checksums: modes fixed at creation, per-part checks, composite and full-object values."""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

import pytest
from awscrt import checksums as crt

from headwater.protocol.errors import AwsError
from headwater.services.s3.multipart_rules import checksum_mode
from tests.services.s3.harness import MIB, S3Harness, body, run

BIG = 5 * MIB


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def crc32(payload: bytes) -> bytes:
    return zlib.crc32(payload).to_bytes(4, "big")


def crc32c(payload: bytes) -> bytes:
    return crt.crc32c(payload).to_bytes(4, "big")


def crc64(payload: bytes) -> bytes:
    return crt.crc64nvme(payload).to_bytes(8, "big")


def sha256(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()


def entry(number: int, payload: bytes, **checksums: str) -> dict[str, Any]:
    return {"PartNumber": number, "ETag": f'"{hashlib.md5(payload).hexdigest()}"', **checksums}


ONE, TWO = bytes(range(256)) * (BIG // 256), b"the tail of the object"


@pytest.mark.parametrize(
    ("algorithm", "requested", "expected"),
    [
        (None, None, (None, None)),
        ("CRC32", None, ("CRC32", "COMPOSITE")),
        ("crc32c", None, ("CRC32C", "COMPOSITE")),
        ("SHA1", None, ("SHA1", "COMPOSITE")),
        ("SHA256", "COMPOSITE", ("SHA256", "COMPOSITE")),
        ("CRC64NVME", None, ("CRC64NVME", "FULL_OBJECT")),
        ("CRC32", "FULL_OBJECT", ("CRC32", "FULL_OBJECT")),
    ],
)
def test_checksum_modes_default_as_s3(algorithm: str | None, requested: str | None, expected: Any) -> None:
    assert checksum_mode(algorithm, requested) == expected


@pytest.mark.parametrize(
    ("algorithm", "requested", "message"),
    [
        (
            "SHA256",
            "FULL_OBJECT",
            "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.",
        ),
        (
            "SHA1",
            "FULL_OBJECT",
            "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm.",
        ),
        (
            "CRC64NVME",
            "COMPOSITE",
            "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
        ),
        (
            None,
            "COMPOSITE",
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        ),
        ("CRC32", "WHOLE", "Value for x-amz-checksum-type header is invalid."),
    ],
)
def test_impossible_checksum_modes_are_refused(algorithm: str | None, requested: str, message: str) -> None:
    with pytest.raises(AwsError) as caught:
        checksum_mode(algorithm, requested)
    assert (caught.value.code, caught.value.message) == ("InvalidRequest", message)


async def two_parts(h: S3Harness, algorithm: str, **create: Any) -> tuple[str, list[Any]]:
    await h.bucket()
    upload_id = await h.create(ChecksumAlgorithm=algorithm, **create)
    member = f"Checksum{algorithm}"
    digest = {"CRC32": crc32, "CRC32C": crc32c, "CRC64NVME": crc64, "SHA256": sha256}[algorithm]
    answers = []
    for number, payload in ((1, ONE), (2, TWO)):
        answers.append(await h.part(upload_id, number, payload, **{member: b64(digest(payload))}))
    return upload_id, answers


def test_composite_crc32_is_the_crc_of_the_part_crcs() -> None:
    async def test(h: S3Harness) -> None:
        upload_id, answers = await two_parts(h, "CRC32")
        assert answers[0]["ChecksumCRC32"] == b64(crc32(ONE))
        listed = await h.call("ListParts", Bucket="bkt", Key="obj", UploadId=upload_id)
        assert [p["ChecksumCRC32"] for p in listed["Parts"]] == [b64(crc32(ONE)), b64(crc32(TWO))]
        assert (listed["ChecksumAlgorithm"], listed["ChecksumType"]) == ("CRC32", "COMPOSITE")
        result = await h.complete(
            upload_id,
            [entry(1, ONE, ChecksumCRC32=b64(crc32(ONE))), entry(2, TWO, ChecksumCRC32=b64(crc32(TWO)))],
        )
        expected = b64(crc32(crc32(ONE) + crc32(TWO))) + "-2"
        assert (result["ChecksumCRC32"], result["ChecksumType"]) == (expected, "COMPOSITE")
        version = h.core.store.latest("bkt", "obj")
        assert version is not None
        assert (version.checksums, version.checksum_type) == ({"CRC32": expected}, "COMPOSITE")

    run(test)


def test_composite_sha256_is_the_sha_of_the_part_shas() -> None:
    async def test(h: S3Harness) -> None:
        upload_id, _ = await two_parts(h, "SHA256")
        result = await h.complete(
            upload_id,
            [entry(1, ONE, ChecksumSHA256=b64(sha256(ONE))), entry(2, TWO, ChecksumSHA256=b64(sha256(TWO)))],
        )
        assert result["ChecksumSHA256"] == b64(sha256(sha256(ONE) + sha256(TWO))) + "-2"

    run(test)


def test_full_object_crcs_are_the_crc_of_the_whole_body() -> None:
    async def test(h: S3Harness) -> None:
        upload_id, _ = await two_parts(h, "CRC32C", ChecksumType="FULL_OBJECT")
        whole = b64(crc32c(ONE + TWO))
        result = await h.complete(upload_id, [entry(1, ONE), entry(2, TWO)], ChecksumCRC32C=whole)
        assert (result["ChecksumCRC32C"], result["ChecksumType"]) == (whole, "FULL_OBJECT")

    run(test)


def test_crc64nvme_is_full_object_and_the_default_without_an_algorithm() -> None:
    async def test(h: S3Harness) -> None:
        upload_id, _ = await two_parts(h, "CRC64NVME")
        result = await h.complete(upload_id, [entry(1, ONE), entry(2, TWO)])
        assert (result["ChecksumCRC64NVME"], result["ChecksumType"]) == (b64(crc64(ONE + TWO)), "FULL_OBJECT")

        plain = await h.create(key="plain")
        answer = await h.part(plain, 1, ONE, key="plain")
        assert not any(name.startswith("Checksum") for name in answer)
        await h.part(plain, 2, TWO, key="plain")
        listed = await h.call("ListParts", Bucket="bkt", Key="plain", UploadId=plain)
        assert "ChecksumAlgorithm" not in listed and "ChecksumCRC64NVME" not in listed["Parts"][0]
        result = await h.complete(plain, [entry(1, ONE), entry(2, TWO)], key="plain")
        assert (result["ChecksumCRC64NVME"], result["ChecksumType"]) == (b64(crc64(ONE + TWO)), "FULL_OBJECT")

    run(test)


def test_part_checksums_are_checked_on_upload() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create(ChecksumAlgorithm="SHA256")
        wrong = await h.error(
            "UploadPart",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            PartNumber=1,
            Body=body(TWO),
            ChecksumSHA256=b64(sha256(b"other")),
        )
        assert (wrong.code, wrong.status) == ("BadDigest", 400)
        other = await h.error(
            "UploadPart",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            PartNumber=1,
            Body=body(TWO),
            ChecksumCRC32=b64(crc32(TWO)),
        )
        assert (
            other.message
            == "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32"
        )
        missing = await h.error(
            "UploadPart", Bucket="bkt", Key="obj", UploadId=upload_id, PartNumber=1, Body=body(TWO)
        )
        assert (
            missing.message
            == "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: null"
        )
        upload = h.core.store.upload("bkt", upload_id)
        assert upload is not None and upload.parts == {}
        assert list(h.core.engine.blobs.ids()) == []
        # a trailing checksum (aws-chunked uploads) counts as the client's checksum
        trailer = body(TWO, x_amz_checksum_sha256=b64(sha256(TWO)))
        answer = await h.call(
            "UploadPart",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            PartNumber=1,
            Body=trailer,
            ChecksumAlgorithm="SHA256",
        )
        assert answer["ChecksumSHA256"] == b64(sha256(TWO))

    run(test)


def test_completion_checks_the_part_checksums_it_names() -> None:
    async def test(h: S3Harness) -> None:
        upload_id, _ = await two_parts(h, "CRC32")
        good = [entry(1, ONE, ChecksumCRC32=b64(crc32(ONE))), entry(2, TWO, ChecksumCRC32=b64(crc32(TWO)))]
        bad = [good[0], entry(2, TWO, ChecksumCRC32=b64(crc32(b"x")))]
        error = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": bad},
        )
        assert error.code == "InvalidPart"
        missing = [good[0], entry(2, TWO)]
        error = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": missing},
        )
        assert (error.code, error.message) == (
            "InvalidRequest",
            "The upload was created using a crc32 checksum. The complete request must include the checksum for "
            "each part. It was missing for part 2 in the request.",
        )
        error = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": good},
            ChecksumType="FULL_OBJECT",
        )
        assert error.code == "InvalidRequest"
        error = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": good},
            ChecksumCRC32=b64(crc32(b"nope")) + "-2",
        )
        assert error.code == "BadDigest"
        error = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": good},
            MpuObjectSize=1,
        )
        assert error.code == "InvalidRequest"
        size = len(ONE) + len(TWO)
        await h.complete(
            upload_id, good, MpuObjectSize=size, ChecksumCRC32=b64(crc32(crc32(ONE) + crc32(TWO))) + "-2"
        )

    run(test)


def test_a_full_object_checksum_that_does_not_match_is_refused() -> None:
    async def test(h: S3Harness) -> None:
        upload_id, _ = await two_parts(h, "CRC32", ChecksumType="FULL_OBJECT")
        error = await h.error(
            "CompleteMultipartUpload",
            Bucket="bkt",
            Key="obj",
            UploadId=upload_id,
            MultipartUpload={"Parts": [entry(1, ONE), entry(2, TWO)]},
            ChecksumCRC32=b64(crc32(ONE)),
        )
        assert (error.code, error.message) == (
            "BadDigest",
            "The CRC32 you specified did not match the calculated checksum.",
        )

    run(test)
