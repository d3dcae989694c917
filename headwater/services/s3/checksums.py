"""S3's object checksums: streaming hashers, their wire encoding, multipart combination, MD5 ETags.

Theory of operation. S3 shows every checksum as base64 of the big-endian digest (``x-amz-checksum-crc32:
NhCmhg==``). A multipart object carries either a COMPOSITE checksum, the checksum of the parts' raw
digests concatenated, suffixed ``-<part count>``, or (CRC algorithms only) a FULL_OBJECT checksum: the
CRC of the whole object, which :func:`combine_full` derives from the parts' CRCs and lengths without
reading the data again.

CRC combination. For a reflected CRC whose initial value equals its final XOR (CRC32, CRC32C and
CRC64NVME all start from and finish with all-ones), ``crc(A + B) = Z^len(B) * crc(A) xor crc(B)``, where
``Z`` is the linear map "feed one zero byte into the register", a matrix over GF(2). The matrix for one
zero bit is the polynomial in column 0 and a shift elsewhere; squaring three times gives one byte, and
``Z^n`` is composed from the repeated squares ``Z^(2^k)`` for the bits set in ``n``. Parts usually share
one size, so each ``Z^n`` is built once and then costs one matrix-vector product per part.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from awscrt import checksums as crt

from headwater.protocol.errors import AwsError

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
FULL_OBJECT_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME")


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class _Crc:
    width: int  # bits
    poly: int  # the reflected polynomial
    compute: Callable[[bytes, int], int]  # (data, running crc) -> crc


_CRCS = {
    "CRC32": _Crc(32, 0xEDB88320, zlib.crc32),
    "CRC32C": _Crc(32, 0x82F63B78, crt.crc32c),
    "CRC64NVME": _Crc(64, 0x9A6C9329AC4BC9B5, crt.crc64nvme),
}
_DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}


class _CrcHasher:
    __slots__ = ("_compute", "_size", "_value")

    def __init__(self, crc: _Crc) -> None:
        self._compute = crc.compute
        self._size = crc.width // 8
        self._value = 0

    def update(self, data: bytes, /) -> None:
        self._value = self._compute(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")


def new_hasher(algorithm: str) -> Hasher:
    """A streaming hasher for one of ALGORITHMS (upper-case names, as S3's ChecksumAlgorithm)."""
    crc = _CRCS.get(algorithm)
    if crc is not None:
        return _CrcHasher(crc)
    if algorithm == "SHA1":
        return hashlib.sha1()
    if algorithm == "SHA256":
        return hashlib.sha256()
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


def header_name(algorithm: str) -> str:
    return "x-amz-checksum-" + algorithm.lower()


def algorithm_of(header: str) -> str | None:
    """The algorithm of an ``x-amz-checksum-*`` header or trailer name, None for anything else."""
    name = header.lower()
    if not name.startswith("x-amz-checksum-"):
        return None
    algorithm = name[15:].upper()
    return algorithm if algorithm in _DIGEST_SIZES else None


def parse_algorithm(value: str, header: str = "x-amz-sdk-checksum-algorithm") -> str:
    """A ChecksumAlgorithm value (any case) as its canonical name; InvalidRequest if unknown."""
    algorithm = value.strip().upper()
    if algorithm not in _DIGEST_SIZES:
        raise AwsError("InvalidRequest", f"Value for {header} header is invalid.")
    return algorithm


def encode(algorithm: str, digest: bytes) -> str:
    """A digest as S3 shows it: base64 of the big-endian bytes."""
    if len(digest) != _DIGEST_SIZES[algorithm]:
        raise ValueError(f"a {algorithm} digest has {_DIGEST_SIZES[algorithm]} bytes, not {len(digest)}")
    return base64.b64encode(digest).decode()


def decode(algorithm: str, text: str, *, trailing: bool = False) -> bytes:
    """A client-supplied ``x-amz-checksum-*`` value as raw digest bytes; InvalidRequest if malformed."""
    try:
        digest = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != _DIGEST_SIZES[algorithm]:
        where = "trailing header" if trailing else "header"
        raise AwsError("InvalidRequest", f"Value for {header_name(algorithm)} {where} is invalid.")
    return digest


def mismatch(algorithm: str) -> AwsError:
    """The error for a body whose checksum differs from the one the client supplied."""
    return AwsError("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.")


def composite(algorithm: str, part_digests: Sequence[bytes]) -> str:
    """The COMPOSITE multipart checksum: checksum of the concatenated part digests, ``-N`` suffixed."""
    hasher = new_hasher(algorithm)
    hasher.update(b"".join(part_digests))
    return f"{encode(algorithm, hasher.digest())}-{len(part_digests)}"


def combine_full(algorithm: str, parts: Sequence[tuple[bytes, int]]) -> bytes:
    """The FULL_OBJECT CRC of parts given as (digest, length) in order, without their data."""
    crc = _CRCS.get(algorithm)
    if crc is None:
        raise ValueError(f"{algorithm} has no full-object combination")
    value = 0  # the CRC of nothing
    for digest, length in parts:
        value = _shift(algorithm, length, value) ^ int.from_bytes(digest, "big")
    return value.to_bytes(crc.width // 8, "big")


def etag(md5_digest: bytes) -> str:
    return f'"{md5_digest.hex()}"'


def multipart_etag(part_md5s: Sequence[bytes]) -> str:
    """S3's multipart ETag: MD5 of the concatenated part MD5s, ``-N`` suffixed, quoted."""
    return f'"{hashlib.md5(b"".join(part_md5s)).hexdigest()}-{len(part_md5s)}"'


def decode_content_md5(text: str) -> bytes:
    """A Content-MD5 header as raw bytes; InvalidDigest if it is not base64 of 16 bytes."""
    try:
        digest = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise AwsError(
            "InvalidDigest", "The Content-MD5 you specified was not valid.", details={"Content-MD5": text}
        )
    return digest


def content_md5_mismatch(expected: bytes, computed: bytes) -> AwsError:
    return AwsError(
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        details={"ExpectedDigest": expected.hex(), "CalculatedDigest": base64.b64encode(computed).decode()},
    )


# --- GF(2) matrices: a matrix is its columns, each a `width`-bit int ------------------------------


def _times(matrix: Sequence[int], vector: int) -> int:
    result, column = 0, 0
    while vector:
        if vector & 1:
            result ^= matrix[column]
        vector >>= 1
        column += 1
    return result


def _compose(outer: Sequence[int], inner: Sequence[int]) -> list[int]:
    """The matrix of applying `inner`, then `outer`."""
    return [_times(outer, column) for column in inner]


@lru_cache(maxsize=8)
def _byte_powers(algorithm: str) -> list[list[int]]:
    """Z^(2^k) for k = 0..63: the operators for 1, 2, 4... zero bytes."""
    crc = _CRCS[algorithm]
    operator = [crc.poly] + [1 << (i - 1) for i in range(1, crc.width)]  # one zero bit
    for _ in range(3):  # 2, 4, 8 bits
        operator = _compose(operator, operator)
    powers = [operator]
    for _ in range(63):
        powers.append(_compose(powers[-1], powers[-1]))
    return powers


@lru_cache(maxsize=64)
def _zeros(algorithm: str, length: int) -> list[int]:
    """Z^length: the operator for `length` zero bytes."""
    powers = _byte_powers(algorithm)
    matrix: list[int] | None = None
    bit = 0
    while length:
        if length & 1:
            matrix = powers[bit] if matrix is None else _compose(powers[bit], matrix)
        length >>= 1
        bit += 1
    width = _CRCS[algorithm].width
    return matrix if matrix is not None else [1 << i for i in range(width)]


def _shift(algorithm: str, length: int, value: int) -> int:
    return _times(_zeros(algorithm, length), value) if length and value else value
