"""S3 multipart uploads end to end: create/upload/list/complete/abort, the md5-of-md5s ETag, GET by
part number, UploadPartCopy, composite checksums, ListMultipartUploads, and AWS's rules (5 MiB
minimum but for the last part, part numbers 1-10,000, EntityTooSmall, InvalidPart,
InvalidPartOrder, NoSuchUpload, MalformedXML)."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest

from tests.e2e.support.s3 import (
    MIB,
    crc32_b64,
    error_of,
    etag_of,
    keys_of,
    multipart_etag,
    payload,
    s3_client,
)

BUCKET = "multi"
PART = 5 * MIB


@pytest.fixture
def mpu(endpoint: str) -> Any:
    """A client that sends no additional checksums (as before 2025): the classic multipart flow."""
    client = s3_client(endpoint, request_checksum_calculation="when_required")
    client.create_bucket(Bucket=BUCKET)
    return client


def upload_parts(client: Any, key: str, upload_id: str, parts: list[bytes]) -> list[dict[str, Any]]:
    done = []
    for number, data in enumerate(parts, start=1):
        etag = client.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=data)[
            "ETag"
        ]
        assert etag == etag_of(data)
        done.append({"PartNumber": number, "ETag": etag})
    return done


def test_multipart_round_trip(mpu: Any) -> None:
    parts = [payload(PART, seed=1), payload(PART, seed=2), b"tail" * 256]
    created = mpu.create_multipart_upload(
        Bucket=BUCKET, Key="big.bin", ContentType="application/x-demo", Metadata={"stage": "mpu"}
    )
    assert (created["Bucket"], created["Key"]) == (BUCKET, "big.bin")
    upload_id = created["UploadId"]
    # a part uploaded again replaces the earlier one
    mpu.upload_part(Bucket=BUCKET, Key="big.bin", UploadId=upload_id, PartNumber=2, Body=b"replaced later")
    done = upload_parts(mpu, "big.bin", upload_id, parts)
    listed = mpu.list_parts(Bucket=BUCKET, Key="big.bin", UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Parts"]] == [
        (1, etag_of(parts[0]), PART),
        (2, etag_of(parts[1]), PART),
        (3, etag_of(parts[2]), len(parts[2])),
    ]
    assert listed["IsTruncated"] is False
    page = mpu.list_parts(Bucket=BUCKET, Key="big.bin", UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2]
    assert page["IsTruncated"] is True and page["NextPartNumberMarker"] == 2
    rest = mpu.list_parts(Bucket=BUCKET, Key="big.bin", UploadId=upload_id, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    uploads = mpu.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("big.bin", upload_id)]
    # an upload in progress is not an object
    assert keys_of(mpu.list_objects_v2(Bucket=BUCKET)) == []

    completed = mpu.complete_multipart_upload(
        Bucket=BUCKET, Key="big.bin", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    expected_etag = multipart_etag(parts)
    assert completed["ETag"] == expected_etag
    assert (completed["Bucket"], completed["Key"]) == (BUCKET, "big.bin")
    assert completed["Location"].endswith("big.bin")
    head = mpu.head_object(Bucket=BUCKET, Key="big.bin")
    assert head["ETag"] == expected_etag
    assert head["ContentLength"] == sum(map(len, parts))
    assert (head["ContentType"], head["Metadata"]) == ("application/x-demo", {"stage": "mpu"})
    assert mpu.get_object(Bucket=BUCKET, Key="big.bin")["Body"].read() == b"".join(parts)
    # GET by part number: that part's bytes, 206, and the part count
    second = mpu.get_object(Bucket=BUCKET, Key="big.bin", PartNumber=2)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert second["PartsCount"] == 3
    assert second["ContentRange"] == f"bytes {PART}-{2 * PART - 1}/{sum(map(len, parts))}"
    assert second["Body"].read() == parts[1]
    assert mpu.head_object(Bucket=BUCKET, Key="big.bin", PartNumber=3)["ContentLength"] == len(parts[2])
    assert mpu.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    gone = error_of(mpu.list_parts, Bucket=BUCKET, Key="big.bin", UploadId=upload_id)
    assert (gone.code, gone.status) == ("NoSuchUpload", 404)


def test_single_small_part_and_part_subset(mpu: Any) -> None:
    # the last part may be small, so may a lone part
    upload_id = mpu.create_multipart_upload(Bucket=BUCKET, Key="one")["UploadId"]
    done = upload_parts(mpu, "one", upload_id, [b"x"])
    completed = mpu.complete_multipart_upload(
        Bucket=BUCKET, Key="one", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    assert completed["ETag"] == multipart_etag([b"x"])
    # completing with a subset of the uploaded parts (1 and 3) drops the others; numbers may skip
    parts = [payload(PART, seed=4), b"skipped", b"last"]
    upload_id = mpu.create_multipart_upload(Bucket=BUCKET, Key="subset")["UploadId"]
    done = upload_parts(mpu, "subset", upload_id, parts)
    completed = mpu.complete_multipart_upload(
        Bucket=BUCKET, Key="subset", UploadId=upload_id, MultipartUpload={"Parts": [done[0], done[2]]}
    )
    assert completed["ETag"] == multipart_etag([parts[0], parts[2]])
    assert mpu.get_object(Bucket=BUCKET, Key="subset")["Body"].read() == parts[0] + parts[2]


def test_multipart_rules(mpu: Any) -> None:
    upload_id = mpu.create_multipart_upload(Bucket=BUCKET, Key="rules")["UploadId"]
    small = upload_parts(mpu, "rules", upload_id, [b"a" * 1024, b"b" * 1024])

    def complete(parts: list[dict[str, Any]]) -> Any:
        return error_of(
            mpu.complete_multipart_upload,
            Bucket=BUCKET,
            Key="rules",
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )

    too_small = complete(small)
    assert (too_small.code, too_small.status) == ("EntityTooSmall", 400)
    assert too_small.message.startswith("Your proposed upload is smaller than the minimum allowed")
    wrong_etag = complete([{"PartNumber": 1, "ETag": etag_of(b"other")}])
    assert (wrong_etag.code, wrong_etag.status) == ("InvalidPart", 400)
    assert wrong_etag.message.startswith("One or more of the specified parts could not be found.")
    never_uploaded = complete([{"PartNumber": 7, "ETag": small[0]["ETag"]}])
    assert (never_uploaded.code, never_uploaded.status) == ("InvalidPart", 400)
    # out of order (sizes alone would pass: part 1 is big enough, part 2 is the last)
    ordered_id = mpu.create_multipart_upload(Bucket=BUCKET, Key="order")["UploadId"]
    big_then_small = upload_parts(mpu, "order", ordered_id, [payload(PART, seed=8), b"small"])
    out_of_order = error_of(
        mpu.complete_multipart_upload,
        Bucket=BUCKET,
        Key="order",
        UploadId=ordered_id,
        MultipartUpload={"Parts": list(reversed(big_then_small))},
    )
    assert (out_of_order.code, out_of_order.status) == ("InvalidPartOrder", 400)
    assert out_of_order.message == (
        "The list of parts was not in ascending order. Parts must be ordered by part number."
    )
    empty = complete([])
    assert (empty.code, empty.status) == ("MalformedXML", 400)
    assert empty.message.rstrip(".") == (
        "The XML you provided was not well-formed or did not validate against our published schema"
    )
    for number in (0, 10001):
        bad_number = error_of(
            mpu.upload_part, Bucket=BUCKET, Key="rules", UploadId=upload_id, PartNumber=number, Body=b"x"
        )
        assert (bad_number.code, bad_number.status) == ("InvalidArgument", 400), number
        assert bad_number.message == "Part number must be an integer between 1 and 10000, inclusive"
    # failed completions leave the upload open
    assert len(mpu.list_parts(Bucket=BUCKET, Key="rules", UploadId=upload_id)["Parts"]) == 2

    for call, extra in (
        (mpu.upload_part, {"PartNumber": 1, "Body": b"x"}),
        (mpu.list_parts, {}),
        (mpu.abort_multipart_upload, {}),
        (mpu.complete_multipart_upload, {"MultipartUpload": {"Parts": small}}),
    ):
        missing = error_of(call, Bucket=BUCKET, Key="rules", UploadId="no-such-upload", **extra)
        assert (missing.code, missing.status) == ("NoSuchUpload", 404), call
        assert missing.message == (
            "The specified upload does not exist. The upload ID may be invalid, "
            "or the upload may have been aborted or completed."
        )
        assert missing.error["UploadId"] == "no-such-upload"
    aborted = mpu.abort_multipart_upload(Bucket=BUCKET, Key="rules", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    after = error_of(mpu.upload_part, Bucket=BUCKET, Key="rules", UploadId=upload_id, PartNumber=3, Body=b"x")
    assert after.code == "NoSuchUpload"
    assert keys_of(mpu.list_objects_v2(Bucket=BUCKET)) == []


def test_upload_part_copy(mpu: Any) -> None:
    source = payload(PART + 300_000, seed=6)
    mpu.put_object(Bucket=BUCKET, Key="source", Body=source)
    upload_id = mpu.create_multipart_upload(Bucket=BUCKET, Key="assembled")["UploadId"]
    first = mpu.upload_part_copy(
        Bucket=BUCKET,
        Key="assembled",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": BUCKET, "Key": "source"},
        CopySourceRange=f"bytes=0-{PART - 1}",
    )["CopyPartResult"]
    assert first["ETag"] == etag_of(source[:PART])
    second = mpu.upload_part_copy(
        Bucket=BUCKET,
        Key="assembled",
        UploadId=upload_id,
        PartNumber=2,
        CopySource=f"{BUCKET}/source",
        CopySourceRange=f"bytes={PART}-{len(source) - 1}",
    )["CopyPartResult"]
    done = [{"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]
    completed = mpu.complete_multipart_upload(
        Bucket=BUCKET, Key="assembled", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    assert completed["ETag"] == multipart_etag([source[:PART], source[PART:]])
    assert mpu.get_object(Bucket=BUCKET, Key="assembled")["Body"].read() == source
    outside = error_of(
        mpu.upload_part_copy,
        Bucket=BUCKET,
        Key="x",
        UploadId=mpu.create_multipart_upload(Bucket=BUCKET, Key="x")["UploadId"],
        PartNumber=1,
        CopySource=f"{BUCKET}/source",
        CopySourceRange=f"bytes=0-{len(source)}",
    )
    assert (outside.code, outside.status) == ("InvalidArgument", 400)
    assert outside.message == f"Range specified is not valid for source object of size: {len(source)}"


def test_composite_crc32_checksum(s3: Any) -> None:
    s3.create_bucket(Bucket=BUCKET)
    parts = [payload(PART, seed=7), b"end of it"]
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key="summed", ChecksumAlgorithm="CRC32")["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        part = s3.upload_part(
            Bucket=BUCKET,
            Key="summed",
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="CRC32",
        )
        assert part["ChecksumCRC32"] == crc32_b64(data)
        done.append({"PartNumber": number, "ETag": part["ETag"], "ChecksumCRC32": part["ChecksumCRC32"]})
    listed = s3.list_parts(Bucket=BUCKET, Key="summed", UploadId=upload_id)["Parts"]
    assert [p["ChecksumCRC32"] for p in listed] == [crc32_b64(p) for p in parts]
    s3.complete_multipart_upload(
        Bucket=BUCKET, Key="summed", UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    # a composite checksum: the CRC32 of the parts' CRC32s, then "-<parts>"
    digests = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
    composite = base64.b64encode(zlib.crc32(digests).to_bytes(4, "big")).decode() + "-2"
    head = s3.head_object(Bucket=BUCKET, Key="summed", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == composite
    assert head["ChecksumType"] == "COMPOSITE"
    # a part read back by number carries that part's own checksum
    second = s3.head_object(Bucket=BUCKET, Key="summed", PartNumber=2, ChecksumMode="ENABLED")
    assert second["ChecksumCRC32"] == crc32_b64(parts[1])


def test_list_multipart_uploads(mpu: Any) -> None:
    ids = {}
    for key in ("logs/a", "logs/b", "logs/b", "other/c", "top"):
        ids.setdefault(key, []).append(mpu.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"])
    everything = mpu.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [u["Key"] for u in everything] == ["logs/a", "logs/b", "logs/b", "other/c", "top"]
    assert all(u["Initiated"].tzinfo is not None for u in everything)
    first = mpu.list_multipart_uploads(Bucket=BUCKET, MaxUploads=2)
    assert [u["Key"] for u in first["Uploads"]] == ["logs/a", "logs/b"]
    assert first["IsTruncated"] is True
    rest = mpu.list_multipart_uploads(
        Bucket=BUCKET, KeyMarker=first["NextKeyMarker"], UploadIdMarker=first["NextUploadIdMarker"]
    )
    assert [u["Key"] for u in rest["Uploads"]] == ["logs/b", "other/c", "top"]
    prefixed = mpu.list_multipart_uploads(Bucket=BUCKET, Prefix="logs/")
    assert sorted(u["UploadId"] for u in prefixed["Uploads"]) == sorted(ids["logs/a"] + ids["logs/b"])
    grouped = mpu.list_multipart_uploads(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["logs/", "other/"]
    assert [u["Key"] for u in grouped["Uploads"]] == ["top"]
