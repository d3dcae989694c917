"""Range and partNumber selection: what S3 answers with 206, ignores (200), or refuses (416)."""

from __future__ import annotations

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.s3.ranges import parse_range, part_slice
from headwater.services.s3.records import ObjectVersion

SIZE = 100


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 10, "bytes 0-9/100")),
        ("bytes=10-", (10, 100, "bytes 10-99/100")),
        ("bytes=-10", (90, 100, "bytes 90-99/100")),
        ("bytes=-1000", (0, 100, "bytes 0-99/100")),  # a suffix longer than the object: all of it
        ("bytes=95-1000", (95, 100, "bytes 95-99/100")),  # an end past the object is cut
        ("bytes=99-99", (99, 100, "bytes 99-99/100")),
        ("BYTES = 1 - 2", (1, 3, "bytes 1-2/100")),
    ],
)
def test_satisfiable_ranges(header: str, expected: tuple[int, int, str]) -> None:
    selected = parse_range(header, SIZE)
    assert selected is not None
    assert (selected.start, selected.end, selected.content_range) == expected
    assert selected.length == expected[1] - expected[0]


@pytest.mark.parametrize(
    "header",
    [None, "", "bytes=0-1,5-6", "bytes=5-2", "items=0-1", "bytes=a-b", "bytes=-", "0-1"],
)
def test_ranges_s3_ignores_answer_the_whole_object(header: str | None) -> None:
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=100-", 100), ("bytes=100-200", 100), ("bytes=-0", 100), ("bytes=0-", 0), ("bytes=-5", 0)],
)
def test_unsatisfiable_ranges_are_416_with_the_object_size(header: str, size: int) -> None:
    with pytest.raises(AwsError) as raised:
        parse_range(header, size)
    error = raised.value
    assert (error.code, error.status) == ("InvalidRange", 416)
    assert error.message == "The requested range is not satisfiable"
    assert error.details == {"RangeRequested": header, "ActualObjectSize": str(size)}
    assert error.headers["Content-Range"] == f"bytes */{size}"


def test_part_numbers_select_the_parts_of_a_multipart_object() -> None:
    version = ObjectVersion("k", "null", 0, blobs=("a", "b", "c"), size=25, part_sizes=(10, 10, 5))
    second = part_slice(version, 2, None)
    assert (second.start, second.end, second.parts_count, second.content_range) == (
        10,
        20,
        3,
        "bytes 10-19/25",
    )
    last = part_slice(version, 3, None)
    assert (last.start, last.end) == (20, 25)
    with pytest.raises(AwsError) as raised:
        part_slice(version, 4, None)
    assert (raised.value.code, raised.value.status) == ("InvalidPartNumber", 416)


def test_a_simple_object_is_one_part() -> None:
    version = ObjectVersion("k", "null", 0, blobs=("a",), size=7)
    whole = part_slice(version, 1, None)
    assert (whole.start, whole.end, whole.parts_count) == (0, 7, None)
    with pytest.raises(AwsError):
        part_slice(version, 2, None)


def test_part_number_rules() -> None:
    version = ObjectVersion("k", "null", 0, blobs=("a",), size=7)
    with pytest.raises(AwsError) as both:
        part_slice(version, 1, "bytes=0-1")
    assert both.value.code == "InvalidRequest"
    for bad in (0, 10_001):
        with pytest.raises(AwsError) as raised:
            part_slice(version, bad, None)
        assert (raised.value.code, raised.value.details["ArgumentName"]) == ("InvalidArgument", "partNumber")
