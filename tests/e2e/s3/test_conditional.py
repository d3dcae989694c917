"""S3 ranges and conditional requests end to end: single byte ranges (206, Content-Range, 416
InvalidRange, unparseable ranges ignored), If-Match / If-None-Match / If-(Un)Modified-Since on GET
and HEAD with RFC 7232 precedence, and conditional writes (If-None-Match: * and If-Match on PUT and
CompleteMultipartUpload), including racing creators of one key."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.s3 import error_of, etag_of, payload, raw, s3_client, xml_error

BUCKET = "cond"
BODY = payload(1000, seed=11)


@pytest.fixture
def stored(s3: Any) -> dict[str, Any]:
    """A 1000-byte object; returns its HEAD."""
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="obj", Body=BODY)
    return s3.head_object(Bucket=BUCKET, Key="obj")


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=990-", 990, 999),
        ("bytes=-25", 975, 999),
        ("bytes=995-2000", 995, 999),  # an end past the object is clipped
        ("bytes=0-999", 0, 999),
    ],
)
def test_single_ranges(s3: Any, stored: dict[str, Any], header: str, first: int, last: int) -> None:
    got = s3.get_object(Bucket=BUCKET, Key="obj", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {first}-{last}/1000"
    assert got["ContentLength"] == last - first + 1
    assert got["Body"].read() == BODY[first : last + 1]
    assert got["ETag"] == etag_of(BODY)  # the whole object's ETag
    assert got["AcceptRanges"] == "bytes"
    head = s3.head_object(Bucket=BUCKET, Key="obj", Range=header)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == last - first + 1


def test_unsatisfiable_and_unparseable_ranges(s3: Any, stored: dict[str, Any], endpoint: str) -> None:
    beyond = error_of(s3.get_object, Bucket=BUCKET, Key="obj", Range="bytes=1000-")
    assert (beyond.code, beyond.status) == ("InvalidRange", 416)
    assert beyond.message == "The requested range is not satisfiable"
    response = raw(endpoint, "GET", f"/{BUCKET}/obj", headers={"Range": "bytes=5000-6000"})
    assert response.status_code == 416
    error = xml_error(response.content)
    assert (error["RangeRequested"], error["ActualObjectSize"]) == ("bytes=5000-6000", "1000")
    # a Range S3 cannot parse is ignored: the whole object, 200
    for header in ("bytes=abc", "items=0-5", "bytes=9-3"):
        whole = s3.get_object(Bucket=BUCKET, Key="obj", Range=header)
        assert whole["ResponseMetadata"]["HTTPStatusCode"] == 200, header
        assert "ContentRange" not in whole
        assert whole["Body"].read() == BODY


def status_of(call: Any, **kwargs: Any) -> int:
    try:
        return call(**kwargs)["ResponseMetadata"]["HTTPStatusCode"]
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_conditional_reads(s3: Any, stored: dict[str, Any], endpoint: str) -> None:
    etag = stored["ETag"]
    modified: dt.datetime = stored["LastModified"]
    before, after = modified - dt.timedelta(hours=1), modified + dt.timedelta(hours=1)
    for call in (s3.get_object, s3.head_object):
        get = lambda **kw: status_of(call, Bucket=BUCKET, Key="obj", **kw)  # noqa: E731, B023
        assert get(IfMatch=etag) == 200
        assert get(IfMatch='"0123456789abcdef0123456789abcdef"') == 412
        assert get(IfNoneMatch=etag) == 304
        assert get(IfNoneMatch='"0123456789abcdef0123456789abcdef"') == 200
        assert get(IfModifiedSince=after) == 304
        assert get(IfModifiedSince=before) == 200
        assert get(IfUnmodifiedSince=before) == 412
        assert get(IfUnmodifiedSince=after) == 200
        # the two combinations S3 documents: a true If-Match overrides a false If-Unmodified-Since;
        # a false If-None-Match (a match) with a true If-Modified-Since is 304
        assert get(IfMatch=etag, IfUnmodifiedSince=before) == 200
        assert get(IfNoneMatch=etag, IfModifiedSince=before) == 304
    failed = error_of(s3.get_object, Bucket=BUCKET, Key="obj", IfMatch='"00"')
    assert (failed.code, failed.status) == ("PreconditionFailed", 412)
    assert failed.error["Condition"] == "If-Match"
    # a 304 names the current ETag and has no body
    not_modified = raw(endpoint, "GET", f"/{BUCKET}/obj", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == etag
    assert not_modified.content == b""


def test_conditional_writes(s3: Any, stored: dict[str, Any], endpoint: str) -> None:
    created = s3.put_object(Bucket=BUCKET, Key="new", Body=b"first", IfNoneMatch="*")
    assert created["ETag"] == etag_of(b"first")
    refused = error_of(s3.put_object, Bucket=BUCKET, Key="new", Body=b"second", IfNoneMatch="*")
    assert (refused.code, refused.status) == ("PreconditionFailed", 412)
    assert refused.error["Condition"] == "If-None-Match"
    assert s3.get_object(Bucket=BUCKET, Key="new")["Body"].read() == b"first"

    replaced = s3.put_object(Bucket=BUCKET, Key="new", Body=b"third", IfMatch=created["ETag"])
    assert replaced["ETag"] == etag_of(b"third")
    stale = error_of(s3.put_object, Bucket=BUCKET, Key="new", Body=b"fourth", IfMatch=created["ETag"])
    assert (stale.code, stale.status) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=BUCKET, Key="new")["Body"].read() == b"third"
    absent = error_of(s3.put_object, Bucket=BUCKET, Key="absent", Body=b"x", IfMatch=created["ETag"])
    assert (absent.code, absent.status) == ("NoSuchKey", 404)

    # the same conditions on completing a multipart upload (classic flow: no additional checksums)
    plain = s3_client(endpoint, request_checksum_calculation="when_required")

    def upload(body: bytes) -> tuple[str, dict[str, Any]]:
        upload_id = plain.create_multipart_upload(Bucket=BUCKET, Key="new")["UploadId"]
        part = plain.upload_part(Bucket=BUCKET, Key="new", UploadId=upload_id, PartNumber=1, Body=body)
        return upload_id, {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}

    upload_id, parts = upload(b"mpu")
    blocked = error_of(
        plain.complete_multipart_upload,
        Bucket=BUCKET,
        Key="new",
        UploadId=upload_id,
        MultipartUpload=parts,
        IfNoneMatch="*",
    )
    assert (blocked.code, blocked.status) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=BUCKET, Key="new")["Body"].read() == b"third"
    upload_id, parts = upload(b"mpu")
    plain.complete_multipart_upload(
        Bucket=BUCKET, Key="new", UploadId=upload_id, MultipartUpload=parts, IfMatch=replaced["ETag"]
    )
    assert s3.get_object(Bucket=BUCKET, Key="new")["Body"].read() == b"mpu"


def test_racing_creators_one_wins(s3: Any, stored: dict[str, Any]) -> None:
    """Eight writers create one key with If-None-Match: *; exactly one succeeds, the others get 412
    (or 409 ConditionalRequestConflict while the winner is still in flight), and the stored bytes
    are the winner's."""
    results: dict[int, int] = {}
    start = threading.Barrier(8)

    def create(n: int) -> None:
        start.wait()
        results[n] = status_of(
            s3.put_object, Bucket=BUCKET, Key="race", Body=f"writer {n}".encode(), IfNoneMatch="*"
        )

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [n for n, status in results.items() if status == 200]
    assert len(results) == 8 and len(winners) == 1, results
    assert {status for n, status in results.items() if n not in winners} <= {409, 412}
    assert s3.get_object(Bucket=BUCKET, Key="race")["Body"].read() == f"writer {winners[0]}".encode()
