"""Which bytes of an object a GET returns: the Range header and the partNumber parameter.

S3 serves one range per request. A header it cannot parse, a range whose end precedes its start,
or several ranges are ignored (the whole object, 200), as RFC 9110 allows; so is a number that does
not fit a signed 64-bit integer (S3 cannot read it either; Python's int() would refuse thousands of
digits). A range that starts at or past the end of the object (or asks for the last 0 bytes) is a
416 InvalidRange; a last byte past the end is the object's last byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headwater.protocol.errors import AwsError
from headwater.services.s3.errors import invalid_argument, invalid_request, s3_error
from headwater.services.s3.records import ObjectVersion

_SPEC = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE)
MAX_PARTS = 10_000


@dataclass(frozen=True, slots=True)
class Slice:
    """Bytes [start, end) of an object of `size` bytes, answered with 206 and a Content-Range."""

    start: int
    end: int
    size: int
    parts_count: int | None = None  # x-amz-mp-parts-count when selected by part number

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def content_range(self) -> str:
        if self.length == 0:
            return f"bytes */{self.size}"
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


def invalid_range(requested: str, size: int) -> AwsError:
    error = s3_error(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        RangeRequested=requested,
        ActualObjectSize=str(size),
    )
    error.headers["Content-Range"] = f"bytes */{size}"
    return error


def parse_range(header: str | None, size: int) -> Slice | None:
    """The slice a Range header asks for, or None for the whole object."""
    if not header or "," in header:
        return None
    match = _SPEC.fullmatch(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    first, last = _number(first_text), _number(last_text)
    if first == _HUGE or last == _HUGE:
        return None
    if first is None:
        if last is None:
            return None
        suffix = last
        if suffix == 0 or size == 0:
            raise invalid_range(header, size)
        return Slice(max(0, size - suffix), size, size)
    start = first
    if last is not None and last < start:
        return None
    if start >= size:
        raise invalid_range(header, size)
    end = size if last is None else min(last + 1, size)
    return Slice(start, end, size)


_MAX_LONG = 2**63 - 1
_HUGE = -1  # a number past _MAX_LONG


def _number(text: str) -> int | None:
    """The digits as a number (None when empty, _HUGE past a signed 64-bit integer)."""
    if not text:
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > 19:  # checked before int(), which refuses over 4300 digits
        return _HUGE
    value = int(digits)
    return _HUGE if value > _MAX_LONG else value


def part_slice(version: ObjectVersion, part_number: int, range_header: str | None) -> Slice:
    """The bytes of one part of a multipart object (a simple object is one part: part 1)."""
    if range_header:
        raise invalid_request("Cannot specify both Range header and partNumber query parameter")
    if not 1 <= part_number <= MAX_PARTS:
        raise invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive", "partNumber", str(part_number)
        )
    sizes = version.part_sizes
    if not sizes:
        if part_number != 1:
            raise invalid_part_number()
        return Slice(0, version.size, version.size)
    if part_number > len(sizes):
        raise invalid_part_number()
    start = sum(sizes[: part_number - 1])
    return Slice(start, start + sizes[part_number - 1], version.size, parts_count=len(sizes))


def invalid_part_number() -> AwsError:
    return s3_error("InvalidPartNumber", "The requested partnumber is not satisfiable", 416)
