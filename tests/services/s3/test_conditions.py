"""Conditional requests: each header alone, and S3's (RFC 7232's) precedence when combined."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.s3.conditions import check_copy_source, check_read, check_write, etag_matches
from headwater.services.s3.records import ObjectVersion

MODIFIED = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
VERSION = ObjectVersion("k", "null", int(MODIFIED.timestamp() * 1000) + 400, etag='"abc"')
BEFORE = MODIFIED - dt.timedelta(hours=1)
AFTER = MODIFIED + dt.timedelta(hours=1)
MATCH, OTHER = '"abc"', '"zzz"'


def outcome(params: dict[str, Any]) -> str:
    try:
        status = check_read(VERSION, params)
    except AwsError as error:
        assert error.code == "PreconditionFailed" and error.status == 412
        return f"412 {error.details['Condition']}"
    return "304" if status == 304 else "200"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "200"),
        ({"IfMatch": MATCH}, "200"),
        ({"IfMatch": "abc"}, "200"),  # quotes are optional
        ({"IfMatch": f"{OTHER}, {MATCH}"}, "200"),  # a list matches if any member does
        ({"IfMatch": "*"}, "200"),
        ({"IfMatch": OTHER}, "412 If-Match"),
        ({"IfNoneMatch": OTHER}, "200"),
        ({"IfNoneMatch": MATCH}, "304"),
        ({"IfNoneMatch": f"W/{MATCH}"}, "304"),
        ({"IfModifiedSince": BEFORE}, "200"),
        ({"IfModifiedSince": MODIFIED}, "304"),  # compared at the second: not modified since
        ({"IfModifiedSince": AFTER}, "304"),
        ({"IfUnmodifiedSince": AFTER}, "200"),
        ({"IfUnmodifiedSince": MODIFIED}, "200"),
        ({"IfUnmodifiedSince": BEFORE}, "412 If-Unmodified-Since"),
        # S3's documented pairs
        ({"IfMatch": MATCH, "IfUnmodifiedSince": BEFORE}, "200"),
        ({"IfNoneMatch": MATCH, "IfModifiedSince": BEFORE}, "304"),
        ({"IfNoneMatch": OTHER, "IfModifiedSince": AFTER}, "200"),  # If-None-Match decides alone
        # 412 conditions come before 304 ones
        ({"IfMatch": OTHER, "IfNoneMatch": MATCH}, "412 If-Match"),
        ({"IfUnmodifiedSince": BEFORE, "IfModifiedSince": AFTER}, "412 If-Unmodified-Since"),
        ({"IfMatch": MATCH, "IfNoneMatch": MATCH}, "304"),
        # dates as raw header text; an unparseable date is ignored
        ({"IfModifiedSince": "Sun, 01 Jun 2025 12:00:00 GMT"}, "304"),
        ({"IfModifiedSince": "not a date"}, "200"),
    ],
)
def test_read_conditions(params: dict[str, Any], expected: str) -> None:
    assert outcome(params) == expected


def test_copy_source_conditions_fail_with_412_where_reads_answer_304() -> None:
    check_copy_source(VERSION, {"CopySourceIfMatch": MATCH, "CopySourceIfUnmodifiedSince": BEFORE})
    for params, condition in [
        ({"CopySourceIfMatch": OTHER}, "x-amz-copy-source-If-Match"),
        ({"CopySourceIfNoneMatch": MATCH}, "x-amz-copy-source-If-None-Match"),
        ({"CopySourceIfModifiedSince": AFTER}, "x-amz-copy-source-If-Modified-Since"),
        ({"CopySourceIfUnmodifiedSince": BEFORE}, "x-amz-copy-source-If-Unmodified-Since"),
    ]:
        with pytest.raises(AwsError) as raised:
            check_copy_source(VERSION, params)
        assert (raised.value.status, raised.value.details["Condition"]) == (412, condition)


def test_conditional_writes() -> None:
    check_write("k", None, {"IfNoneMatch": "*"})
    check_write("k", VERSION, {"IfMatch": MATCH})
    check_write("k", VERSION, {})
    with pytest.raises(AwsError) as exists:
        check_write("k", VERSION, {"IfNoneMatch": "*"})
    assert (exists.value.status, exists.value.details["Condition"]) == (412, "If-None-Match")
    with pytest.raises(AwsError) as other_value:
        check_write("k", None, {"IfNoneMatch": MATCH})
    assert (other_value.value.code, other_value.value.status) == ("NotImplemented", 501)
    with pytest.raises(AwsError) as absent:
        check_write("k", None, {"IfMatch": MATCH})
    assert (absent.value.code, absent.value.status) == ("NoSuchKey", 404)
    with pytest.raises(AwsError) as changed:
        check_write("k", VERSION, {"IfMatch": OTHER})
    assert (changed.value.status, changed.value.details["Condition"]) == (412, "If-Match")


def test_etag_matching() -> None:
    assert etag_matches('"abc"', '"abc"') and etag_matches("abc", '"abc"')
    assert not etag_matches('"ab"', '"abc"')
