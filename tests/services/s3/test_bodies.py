"""The body pipeline: streaming into blobs with digests and checksums checked, AES-CTR at rest,
ranged reads across blobs, and nothing left behind by a failed upload."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from typing import Any

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.s3 import bodies, sse
from headwater.services.s3.bodies import ChecksumRequest, checksum_request, read_body, store_body
from headwater.services.s3.records import ObjectVersion

MIB = 1 << 20


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def crc32(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def stored_bytes(core: Any, blob_id: str) -> bytes:
    """The bytes at rest in the memory blob store."""

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in core.engine.blobs.read(blob_id)])

    return collect()  # type: ignore[return-value]


async def drain(iterator: Any) -> bytes:
    return b"".join([chunk async for chunk in iterator])


def sealing(core: Any, run: Any, make_bucket: Any) -> sse.Sealing:
    bucket = make_bucket("b")
    return run(sse.choose(core, bucket, {}, "000000000000", "us-east-1"))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("size", "chunk"), [(0, 10), (1, 1), (1000, 7), (3 * MIB + 5, 64 * 1024), (2 * MIB, MIB)]
)
def test_streams_hashes_encrypts_and_reads_back(
    core: Any, run: Any, make_bucket: Any, body: Any, size: int, chunk: int
) -> None:
    data = os.urandom(size)
    sealed = sealing(core, run, make_bucket)
    stored = run(store_body(core, body(data, chunk), length=size, algorithms=["CRC32", "SHA256"], sse=sealed))
    assert stored.size == size
    assert stored.md5_hex == hashlib.md5(data).hexdigest()
    assert stored.etag == f'"{stored.md5_hex}"'
    assert stored.checksums == {"CRC32": crc32(data), "SHA256": b64(hashlib.sha256(data).digest())}
    if size == 0:
        assert stored.blob_id is None and stored.iv is None
        assert list(core.engine.blobs.ids()) == []
        return
    assert stored.blob_id is not None and stored.iv is not None
    at_rest = run(stored_bytes(core, stored.blob_id))
    assert len(at_rest) == size
    if size > 16:
        assert at_rest != data and data[:16] not in at_rest  # not the plaintext
    version = ObjectVersion(
        "k",
        "null",
        0,
        blobs=(stored.blob_id,),
        size=size,
        sse=sealed.sse,
        sealed_key=sealed.sealed_key,
        ivs=(stored.iv,),
    )
    assert run(drain(read_body(core, version))) == data
    for start, end in [(0, 1), (5, 17), (size - 1, size), (size // 3, size // 2 + 33)]:
        if 0 <= start < end <= size:
            assert run(drain(read_body(core, version, start, end))) == data[start:end]


def test_ranges_decrypt_across_the_blobs_of_a_multipart_object(
    core: Any, run: Any, make_bucket: Any, body: Any
) -> None:
    sealed = sealing(core, run, make_bucket)
    parts = [os.urandom(n) for n in (100_003, 77, 50_000)]
    stored = [run(store_body(core, body(p, 4096), length=len(p), sse=sealed)) for p in parts]
    ivs = {s.iv for s in stored}
    assert len(ivs) == 3  # one counter block per blob under the shared data key
    version = ObjectVersion(
        "k",
        "null",
        0,
        blobs=tuple(s.blob_id for s in stored),
        size=sum(map(len, parts)),
        part_sizes=tuple(map(len, parts)),
        sse=sealed.sse,
        sealed_key=sealed.sealed_key,
        ivs=tuple(s.iv for s in stored),
    )
    whole = b"".join(parts)
    assert run(drain(read_body(core, version))) == whole
    for start, end in [(99_990, 100_100), (100_003, 100_080), (100_079, 150_080), (13, 150_000)]:
        assert run(drain(read_body(core, version, start, end))) == whole[start:end]


def test_kms_sealing_names_the_key_and_reopens(core: Any, run: Any, make_bucket: Any, body: Any) -> None:
    bucket = make_bucket("b")
    chosen = run(sse.choose(core, bucket, {"ServerSideEncryption": "aws:kms"}, "000000000000", "us-east-1"))
    assert chosen.sse == "aws:kms"
    assert chosen.kms_key_id is not None and chosen.kms_key_id.startswith(
        "arn:aws:kms:us-east-1:000000000000:key/"
    )
    reopened = run(sse.unseal(core, chosen.sse, chosen.kms_key_id, chosen.sealed_key))
    assert reopened is not None and reopened.data_key == chosen.data_key
    s3_sealed = run(sse.choose(core, bucket, {}, "000000000000", "us-east-1"))
    assert s3_sealed.sse == "AES256" and s3_sealed.kms_key_id is None
    assert s3_sealed.data_key != chosen.data_key
    assert run(sse.unseal(core, "AES256", None, s3_sealed.sealed_key)).data_key == s3_sealed.data_key  # type: ignore[union-attr]


def test_content_md5_and_checksum_headers_are_checked_before_commit(core: Any, run: Any, body: Any) -> None:
    data = b"payload" * 1000
    good = checksum_request({"ContentMD5": b64(hashlib.md5(data).digest()), "ChecksumCRC32": crc32(data)})
    stored = run(store_body(core, body(data, 100), length=len(data), request=good))
    assert stored.checksums == {"CRC32": crc32(data)}
    before = set(core.engine.blobs.ids())
    wrong_md5 = checksum_request({"ContentMD5": b64(hashlib.md5(b"other").digest())})
    with pytest.raises(AwsError) as md5_error:
        run(store_body(core, body(data, 100), length=len(data), request=wrong_md5))
    assert (md5_error.value.code, md5_error.value.message) == (
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
    )
    wrong_crc = checksum_request({"ChecksumCRC32": crc32(b"other")})
    with pytest.raises(AwsError) as crc_error:
        run(store_body(core, body(data, 100), length=len(data), request=wrong_crc))
    assert crc_error.value.message == "The CRC32 you specified did not match the calculated checksum."
    assert set(core.engine.blobs.ids()) == before  # nothing stored by the failures


def test_trailing_checksums(core: Any, run: Any, body: Any) -> None:
    data = os.urandom(200_000)
    announced = checksum_request({"ChecksumAlgorithm": "CRC32"})
    stored = run(
        store_body(
            core,
            body(data, 8192, trailers={"x-amz-checksum-crc32": crc32(data)}),
            length=len(data),
            request=announced,
        )
    )
    assert stored.checksums == {"CRC32": crc32(data)}
    before = set(core.engine.blobs.ids())
    with pytest.raises(AwsError) as wrong:
        run(
            store_body(
                core,
                body(data, 8192, trailers={"x-amz-checksum-crc32": crc32(b"x")}),
                length=len(data),
                request=announced,
            )
        )
    assert wrong.value.code == "BadDigest"
    # a trailer nobody announced is checked by reading the blob back
    sha = b64(hashlib.sha256(data).digest())
    late = run(store_body(core, body(data, 8192, trailers={"x-amz-checksum-sha256": sha}), length=len(data)))
    assert late.checksums == {"SHA256": sha}
    after_late = set(core.engine.blobs.ids())
    with pytest.raises(AwsError):
        run(
            store_body(
                core, body(data, 8192, trailers={"x-amz-checksum-sha256": b64(bytes(32))}), length=len(data)
            )
        )
    assert set(core.engine.blobs.ids()) == after_late
    assert len(after_late - before) == 1


def test_a_failing_body_aborts_the_blob(core: Any, run: Any, body: Any) -> None:
    data = os.urandom(3 * MIB)
    failing = body(data, 64 * 1024, error=AwsError("IncompleteBody", "gone"), fail_after=2 * MIB)
    with pytest.raises(AwsError) as raised:
        run(store_body(core, failing, length=len(data)))
    assert raised.value.code == "IncompleteBody"
    assert failing.consumed >= 2 * MIB
    assert list(core.engine.blobs.ids()) == []
    short = body(data[:100], 10, length=200)
    with pytest.raises(AwsError) as incomplete:
        run(store_body(core, short, length=200))
    assert incomplete.value.code == "IncompleteBody"
    assert list(core.engine.blobs.ids()) == []


def test_size_limits(core: Any, run: Any, body: Any) -> None:
    with pytest.raises(AwsError) as declared:
        run(store_body(core, body(b""), length=bodies.MAX_PUT_SIZE + 1))
    assert declared.value.code == "EntityTooLarge"
    assert declared.value.details == {
        "ProposedSize": str(bodies.MAX_PUT_SIZE + 1),
        "MaxSizeAllowed": str(bodies.MAX_PUT_SIZE),
    }
    # an undeclared length is counted as it streams
    with pytest.raises(AwsError) as streamed:
        run(store_body(core, body(b"x" * 5000, 1000, length=None), length=None, max_size=4096))
    assert streamed.value.code == "EntityTooLarge"
    assert list(core.engine.blobs.ids()) == []


def test_checksum_request_rules() -> None:
    assert checksum_request({}) == ChecksumRequest()
    assert checksum_request({"ChecksumAlgorithm": "crc32c"}).algorithms == {"CRC32C"}
    assert checksum_request({"ChecksumCRC32": "AAAAAA=="}).expected == {"CRC32": "AAAAAA=="}
    for params, code in [
        ({"ContentMD5": "nope"}, "InvalidDigest"),
        ({"ContentMD5": b64(b"short")}, "InvalidDigest"),
        ({"ChecksumCRC32": "!!"}, "InvalidRequest"),
        ({"ChecksumCRC32": "AAAAAAAA"}, "InvalidRequest"),  # 6 bytes where CRC32 has 4
        ({"ChecksumCRC32": crc32(b"a"), "ChecksumSHA1": b64(bytes(20))}, "InvalidRequest"),
        ({"ChecksumAlgorithm": "SHA256", "ChecksumCRC32": crc32(b"a")}, "InvalidRequest"),
        ({"ChecksumAlgorithm": "MD4"}, "InvalidRequest"),
    ]:
        with pytest.raises(AwsError) as raised:
            checksum_request(params)
        assert raised.value.code == code, params
    malformed = pytest.raises(AwsError, checksum_request, {"ContentMD5": "nope"})
    assert malformed.value.message == "The Content-MD5 you specified is not valid."
