"""Multipart upload rules that need no I/O: ids, part numbers and sizes, ETags, checksum modes.

A multipart object's ETag is the MD5 of the concatenated binary MD5s of its parts, in hex, then
"-<number of parts>" (checksums.multipart_etag). Its additional checksum is of one of two types, fixed at creation:
COMPOSITE (the checksum of the concatenated binary part checksums, "<base64>-<parts>"; SHA-1,
SHA-256, CRC32 and CRC32C) or FULL_OBJECT (the CRC of the whole body, combined from the parts'
CRCs and sizes without reading them again; CRC32, CRC32C and CRC64NVME). An upload created without
an algorithm still gets a full-object CRC64NVME, as S3 adds to every new object.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.runtime.ids import random_bytes
from headwater.services.s3.errors import invalid_argument, invalid_request, no_such_upload, s3_error
from headwater.services.s3.records import Part, Upload
from headwater.services.s3.service import S3Core

MAX_PARTS = 10_000
MIN_PART_SIZE = 5 * 1024 * 1024  # every part but the last, checked at completion
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_COPY_SOURCE = 5 * 1024 * 1024 * 1024  # a copy without a range

COMPOSITE, FULL_OBJECT = "COMPOSITE", "FULL_OBJECT"
ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
CRCS = frozenset({"CRC32", "CRC32C", "CRC64NVME"})
DEFAULT_ALGORITHM = "CRC64NVME"  # what S3 computes when the client names none

# upload ids: a creation stamp in an ASCII-sorted alphabet, then randomness (URL-safe base64)
_SORTED_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STAMP_WIDTH = 12  # 62**12 > 2**71: milliseconds << 20 for a few thousand years
_sequence = itertools.count()


def new_upload_id(now_ms: int) -> str:
    """Opaque, URL-safe, unique, and sorted by creation (ListMultipartUploads' order)."""
    value = (now_ms << 20) | (next(_sequence) & 0xFFFFF)
    digits = []
    for _ in range(_STAMP_WIDTH):
        value, digit = divmod(value, 62)
        digits.append(_SORTED_DIGITS[digit])
    stamp = "".join(reversed(digits))
    return stamp + base64.urlsafe_b64encode(random_bytes(36)).decode("ascii")


def find_upload(core: S3Core, bucket: str, upload_id: str | None, key: str | None) -> Upload:
    """The upload, which must be for `key`: NoSuchUpload otherwise."""
    upload = core.store.upload(bucket, upload_id or "")
    if upload is None or (key is not None and upload.key != key):
        raise no_such_upload(upload_id or "")
    return upload


def check_part_number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PARTS:
        raise invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive", "partNumber", str(value)
        )
    return value


# -- checksum modes ---------------------------------------------------------------------------------


def checksum_mode(algorithm: str | None, checksum_type: str | None) -> tuple[str | None, str | None]:
    """CreateMultipartUpload's (ChecksumAlgorithm, ChecksumType) checked and defaulted."""
    if checksum_type is not None and checksum_type not in (COMPOSITE, FULL_OBJECT):
        raise invalid_request("Value for x-amz-checksum-type header is invalid.")
    if algorithm is None:
        if checksum_type is not None:
            raise invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
            )
        return None, None
    algorithm = algorithm.upper()
    if algorithm not in ALGORITHMS:
        raise invalid_request(
            "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
            "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"
        )
    if checksum_type is None:
        checksum_type = FULL_OBJECT if algorithm == "CRC64NVME" else COMPOSITE
    if checksum_type == FULL_OBJECT and algorithm not in CRCS:
        raise invalid_request(
            f"The FULL_OBJECT checksum type cannot be used with the {algorithm.lower()} checksum algorithm."
        )
    if checksum_type == COMPOSITE and algorithm == "CRC64NVME":
        raise invalid_request(
            "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."
        )
    return algorithm, checksum_type


def part_algorithm(upload: Upload) -> str:
    """The algorithm every part of the upload is checksummed with."""
    return upload.checksum_algorithm or DEFAULT_ALGORITHM


def checksum_fields(checksums: Mapping[str, str], algorithm: str | None) -> dict[str, str]:
    """{"ChecksumCRC32": value} for the upload's algorithm (nothing for an upload without one: its
    parts' default CRC64NVME is an internal detail until completion)."""
    if algorithm and algorithm in checksums:
        return {f"Checksum{algorithm}": checksums[algorithm]}
    return {}


def mismatched_part_checksum(expected: str, actual: str | None) -> AwsError:
    return invalid_request(
        f"Checksum Type mismatch occurred, expected checksum Type: {expected.lower()}, "
        f"actual checksum Type: {actual.lower() if actual else 'null'}"
    )


def invalid_part(upload_id: str, number: int, etag: str) -> AwsError:
    return s3_error(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, "
        "or the specified entity tag may not match the part's entity tag.",
        UploadId=upload_id,
        PartNumber=str(number),
        ETag=etag,
    )


def invalid_part_order(upload_id: str) -> AwsError:
    return s3_error(
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
        UploadId=upload_id,
    )


def entity_too_small(part: Part) -> AwsError:
    return s3_error(
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
        ProposedSize=str(part.size),
        MinSizeAllowed=str(MIN_PART_SIZE),
        PartNumber=str(part.number),
        ETag=part.md5,
    )


def selected_parts(upload: Upload, requested: Sequence[Mapping[str, Any]]) -> list[Part]:
    """The stored parts a CompleteMultipartUpload names, checked: ascending part numbers, each part
    uploaded with that ETag, every part but the last at least 5 MiB."""
    chosen: list[Part] = []
    previous = 0
    for entry in requested:
        number = entry.get("PartNumber")
        etag = entry.get("ETag") or ""
        if not isinstance(number, int) or not 1 <= number <= MAX_PARTS:
            raise invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive", "partNumber", str(number)
            )
        if number <= previous:
            raise invalid_part_order(upload.upload_id)
        previous = number
        part = upload.parts.get(number)
        if part is None or etag.strip().strip('"') != part.md5:
            raise invalid_part(upload.upload_id, number, etag.strip('"'))
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_SIZE:
            raise entity_too_small(part)
    return chosen
