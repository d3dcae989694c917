"""S3 checksums, cross-checked against botocore's own implementations and whole-data CRCs."""

from __future__ import annotations

import base64
import hashlib
import random
import zlib
from typing import Any

import pytest
from awscrt import checksums as crt
from botocore.httpchecksum import (
    Crc32Checksum,
    CrtCrc32cChecksum,
    CrtCrc64NvmeChecksum,
    Sha1Checksum,
    Sha256Checksum,
)

from headwater.protocol.errors import AwsError
from headwater.services.s3 import checksums

BOTOCORE = {
    "CRC32": Crc32Checksum,
    "CRC32C": CrtCrc32cChecksum,
    "CRC64NVME": CrtCrc64NvmeChecksum,
    "SHA1": Sha1Checksum,
    "SHA256": Sha256Checksum,
}


def digest(algorithm: str, data: bytes) -> bytes:
    hasher = checksums.new_hasher(algorithm)
    hasher.update(data)
    return hasher.digest()


@pytest.mark.parametrize("algorithm", checksums.ALGORITHMS)
@pytest.mark.parametrize("size", [0, 1, 9, 4096, 100_003])
def test_streaming_hashers_match_botocore(algorithm: str, size: int) -> None:
    data = random.Random(size).randbytes(size)
    hasher = checksums.new_hasher(algorithm)
    for start in range(0, size, 997):
        hasher.update(data[start : start + 997])
    reference = BOTOCORE[algorithm]()
    reference.update(data)
    assert checksums.encode(algorithm, hasher.digest()) == reference.b64digest()


@pytest.mark.parametrize(
    ("algorithm", "check"),
    [("CRC32", 0xCBF43926), ("CRC32C", 0xE3069283), ("CRC64NVME", 0xAE8B14860A799888)],
)
def test_catalogue_check_values(algorithm: str, check: int) -> None:
    # The standard check value of each CRC: the CRC of b"123456789".
    assert int.from_bytes(digest(algorithm, b"123456789"), "big") == check


def test_values_as_s3_shows_them() -> None:
    assert checksums.encode("CRC32", digest("CRC32", b"hello")) == "NhCmhg=="
    assert checksums.header_name("CRC64NVME") == "x-amz-checksum-crc64nvme"
    assert checksums.algorithm_of("X-Amz-Checksum-CRC32C") == "CRC32C"
    assert checksums.algorithm_of("x-amz-checksum-md5") is None
    assert checksums.algorithm_of("x-amz-checksum-type") is None
    assert checksums.algorithm_of("content-md5") is None
    assert checksums.parse_algorithm("sha256") == "SHA256"
    with pytest.raises(ValueError):
        checksums.encode("CRC32", b"\x00" * 8)
    with pytest.raises(ValueError):
        checksums.new_hasher("MD5")


def test_parse_algorithm_rejects_unknown_names() -> None:
    with pytest.raises(AwsError) as caught:
        checksums.parse_algorithm("crc16")
    assert (caught.value.code, caught.value.message) == (
        "InvalidRequest",
        "Value for x-amz-sdk-checksum-algorithm header is invalid.",
    )


@pytest.mark.parametrize("algorithm", checksums.ALGORITHMS)
def test_decode_round_trips(algorithm: str) -> None:
    raw = digest(algorithm, b"some data")
    assert checksums.decode(algorithm, checksums.encode(algorithm, raw)) == raw


@pytest.mark.parametrize("value", ["", "not base64!", "AAAA", "NhCmhg", "NhCmhg==AA", "AAAAAAAAAAA="])
def test_decode_rejects_bad_values(value: str) -> None:
    with pytest.raises(AwsError) as caught:
        checksums.decode("CRC32", value)
    assert (caught.value.code, caught.value.status) == ("InvalidRequest", 400)
    assert caught.value.message == "Value for x-amz-checksum-crc32 header is invalid."
    with pytest.raises(AwsError) as caught:
        checksums.decode("CRC32", value, trailing=True)
    assert caught.value.message == "Value for x-amz-checksum-crc32 trailing header is invalid."


def test_mismatch_error() -> None:
    error = checksums.mismatch("SHA256")
    assert (error.code, error.status) == ("BadDigest", 400)
    assert error.message == "The SHA256 you specified did not match the calculated checksum."


# --- multipart ---------------------------------------------------------------------------------------


def _split(data: bytes, sizes: list[int]) -> list[bytes]:
    parts, start = [], 0
    for size in sizes:
        parts.append(data[start : start + size])
        start += size
    return parts


@pytest.mark.parametrize("algorithm", checksums.FULL_OBJECT_ALGORITHMS)
@pytest.mark.parametrize(
    "sizes",
    [[], [0], [5], [1, 1], [0, 7, 0], [100, 1, 4096, 3], [65536] * 5 + [17], [1 << 20, 1 << 20, 12345]],
)
def test_full_object_combination_equals_the_crc_of_the_whole(algorithm: str, sizes: list[int]) -> None:
    data = random.Random(len(sizes)).randbytes(sum(sizes))
    parts = [(digest(algorithm, part), len(part)) for part in _split(data, sizes)]
    assert checksums.combine_full(algorithm, parts) == digest(algorithm, data)


def test_full_object_combination_matches_the_crt() -> None:
    combine: dict[str, Any] = {
        "CRC32": getattr(crt, "combine_crc32", None),
        "CRC32C": getattr(crt, "combine_crc32c", None),
        "CRC64NVME": getattr(crt, "combine_crc64nvme", None),
    }
    if None in combine.values():
        pytest.skip("this awscrt has no combine functions")
    rng = random.Random(5)
    for algorithm, crt_combine in combine.items():
        width = 8 if algorithm == "CRC64NVME" else 4
        for _ in range(20):
            first, second = rng.getrandbits(width * 8), rng.getrandbits(width * 8)
            length = rng.choice([1, 3, 1000, 5 << 20, 5 << 30, rng.getrandbits(40)])
            ours = checksums.combine_full(
                algorithm, [(first.to_bytes(width, "big"), 9), (second.to_bytes(width, "big"), length)]
            )
            assert int.from_bytes(ours, "big") == crt_combine(first, second, length)


def test_full_object_is_for_crcs_only() -> None:
    with pytest.raises(ValueError):
        checksums.combine_full("SHA256", [])


@pytest.mark.parametrize("algorithm", checksums.ALGORITHMS)
def test_composite_checksum(algorithm: str) -> None:
    parts = [b"first part", b"second", b""]
    digests = [digest(algorithm, part) for part in parts]
    expected = base64.b64encode(digest(algorithm, b"".join(digests))).decode()
    assert checksums.composite(algorithm, digests) == f"{expected}-3"


def test_known_composite_crc32() -> None:
    # CRC32 of the two 4-byte part CRCs of "hello" and "world".
    digests = [digest("CRC32", b"hello"), digest("CRC32", b"world")]
    assert checksums.composite("CRC32", digests) == (
        base64.b64encode(zlib.crc32(b"".join(digests)).to_bytes(4, "big")).decode() + "-2"
    )


# --- MD5 ETags and Content-MD5 -------------------------------------------------------------------------


def test_etags() -> None:
    md5 = hashlib.md5(b"hello").digest()
    assert checksums.etag(md5) == '"5d41402abc4b2a76b9719d911017c592"'
    parts = [hashlib.md5(b"a" * (5 << 20)).digest(), hashlib.md5(b"b").digest()]
    assert checksums.multipart_etag(parts) == f'"{hashlib.md5(parts[0] + parts[1]).hexdigest()}-2"'
    assert checksums.multipart_etag(parts).endswith('-2"')


def test_content_md5() -> None:
    md5 = hashlib.md5(b"hello").digest()
    assert checksums.decode_content_md5(base64.b64encode(md5).decode()) == md5
    for bad in ("", "xyz", base64.b64encode(b"short").decode(), md5.hex()):
        with pytest.raises(AwsError) as caught:
            checksums.decode_content_md5(bad)
        assert (caught.value.code, caught.value.message) == (
            "InvalidDigest",
            "The Content-MD5 you specified was not valid.",
        )
    error = checksums.content_md5_mismatch(md5, hashlib.md5(b"jello").digest())
    assert (error.code, error.message) == (
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
    )
    assert error.details["ExpectedDigest"] == md5.hex()
