"""Prefix validation and evaluation, the object suffix and extensions (AWS's s3-prefixes and
s3-object-name pages are the reference for every expected value here)."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwater.services.firehose import naming
from headwater.services.firehose.java_time import PatternError, compile_pattern, format_fields

# 2018-08-27 10:30:00.123 UTC, a Monday (the docs' example instant)
AT = int(datetime(2018, 8, 27, 10, 30, 0, 123000, tzinfo=UTC).timestamp() * 1000)


def ev(prefix: str | None, **kw: object) -> str:
    kw.setdefault("time_zone", None)
    kw.setdefault("partition_keys", {})
    return naming.evaluate(prefix, at_ms=AT, **kw)  # type: ignore[arg-type]


def fmt(pattern: str, at: datetime) -> str:
    return format_fields(compile_pattern(pattern), at)


# --- evaluation ---------------------------------------------------------------------------


def test_default_prefix_and_literal_concatenation() -> None:
    assert ev(None) == "2018/08/27/10/"
    assert ev("") == "2018/08/27/10/"
    assert ev("myFirehosePrefix") == "myFirehosePrefix2018/08/27/10/"  # appended, no "/" inserted
    assert ev("logs/") == "logs/2018/08/27/10/"


def test_timestamp_expressions_share_one_instant_and_quotes_are_literal() -> None:
    prefix = "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    assert ev(prefix) == "myPrefix/year=2018/month=08/day=27/hour=10/"
    assert ev("dt=!{timestamp:yyyy'-'MM'-'dd}/") == "dt=2018-08-27/"
    assert ev("!{timestamp:'it''s' yyyy}") == "it's 2018"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy yy y", "2018 18 2018"),
        ("M MM MMM MMMM", "8 08 Aug August"),
        ("d dd D DDD", "27 27 239 239"),
        ("H HH h hh a", "10 10 10 10 AM"),
        ("mm ss SSS S", "30 00 123 1"),
        ("E EEE EEEE", "Mon Mon Monday"),
        ("w ww", "35 35"),
        ("xxx XXX Z X", "+00:00 Z +0000 Z"),
        ("''", "'"),
        ("yyyy/MM/dd/HH/", "2018/08/27/10/"),
        ("[yyyy]", "2018"),
    ],
)
def test_java_patterns_utc(pattern: str, expected: str) -> None:
    assert fmt(pattern, datetime(2018, 8, 27, 10, 30, 0, 123000, tzinfo=UTC)) == expected


def test_java_offsets_and_week_edges() -> None:
    kolkata = naming.local_time(AT, "Asia/Kolkata")
    assert (
        fmt("xxx xx x XXX Z ZZZZZ O OOOO", kolkata)
        == "+05:30 +0530 +0530 +05:30 +0530 +05:30 GMT+5:30 GMT+05:30"
    )
    ny = naming.local_time(AT, "America/New_York")
    assert fmt("HH xxx X VV", ny) == "06 -04:00 -04 America/New_York"
    # US weeks start on Sunday; the week holding January 1st is week 1 of the new week-year
    assert fmt("YYYY w", datetime(2016, 12, 31, tzinfo=UTC)) == "2016 53"
    assert fmt("YYYY w", datetime(2019, 12, 29, tzinfo=UTC)) == "2020 1"
    assert fmt("hh a k K", datetime(2018, 1, 1, 0, 5, tzinfo=UTC)) == "12 AM 24 0"
    assert fmt("hh a", datetime(2018, 1, 1, 13, 5, tzinfo=UTC)) == "01 PM"


@pytest.mark.parametrize("pattern", ["yyyy-b", "'open", "ddd", "HHH", "yyyy{", "#"])
def test_invalid_java_patterns(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_custom_time_zone_applies_to_prefix_and_suffix() -> None:
    assert ev(None, time_zone="Asia/Tokyo") == "2018/08/27/19/"
    assert "-2018-08-27-19-30-00-" in naming.object_name("s", 1, AT, "", time_zone="Asia/Tokyo")


def test_random_string_is_fresh_per_occurrence() -> None:
    out = ev("!{firehose:random-string}/!{firehose:random-string}/")
    first, second = out.split("/")[:2]
    assert len(first) == len(second) == 11
    assert first != second
    assert out.endswith("/2018/08/27/10/")


def test_keep_random_for_buffer_keys() -> None:
    key = ev(
        "r=!{firehose:random-string}/c=!{partitionKeyFromQuery:c}/",
        partition_keys={"c": "1"},
        keep_random=True,
    )
    assert key == "r=!{firehose:random-string}/c=1/2018/08/27/10/"
    assert re.fullmatch(r"r=[0-9a-f-]{11}/c=1/2018/08/27/10/", naming.fill_random(key))
    # the limit counts the 11 characters the expression becomes, not the expression
    assert ev("!{firehose:random-string}" + "a" * 487, keep_random=True)
    with pytest.raises(naming.PrefixError):
        ev("!{firehose:random-string}" + "a" * 488, keep_random=True)


def test_error_output_type_and_null_error_prefix_layout() -> None:
    error_prefix = (
        "myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}"
    )
    assert (
        ev(error_prefix, error_output_type="processing-failed")
        == "myFirehoseFailures/processing-failed/2018/anyMonth/27"
    )
    # ErrorOutputPrefix null: the Prefix, the type, then the default timestamp
    assert (
        ev("myFirehosePrefix/", error_output_type="processing-failed")
        == "myFirehosePrefix/processing-failed/2018/08/27/10/"
    )
    assert ev(None, error_output_type="format-conversion-failed") == "format-conversion-failed/2018/08/27/10/"


def test_partition_keys() -> None:
    prefix = "c=!{partitionKeyFromQuery:customer}/d=!{partitionKeyFromLambda:device}/"
    assert ev(prefix, partition_keys={"customer": "42", "device": "ios"}) == "c=42/d=ios/2018/08/27/10/"
    assert (
        ev(prefix, partition_keys={"customer": "42"}, lambda_keys={"device": "tv"})
        == "c=42/d=tv/2018/08/27/10/"
    )
    with pytest.raises(naming.PrefixError):
        ev(prefix, partition_keys={"customer": "42"})


def test_512_character_limit_after_evaluation() -> None:
    assert len(ev("a" * 498)) == 512
    with pytest.raises(naming.PrefixError):
        ev("a" * 499)
    with pytest.raises(naming.PrefixError):
        ev("!{partitionKeyFromQuery:k}/", partition_keys={"k": "x" * 600})


def test_object_name_and_extension() -> None:
    name = naming.object_name("my-stream", 3, AT, ".gz")
    assert re.fullmatch(
        r"my-stream-3-2018-08-27-10-30-00-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.gz", name
    )
    assert naming.object_name("s", 1, AT, "") != naming.object_name("s", 1, AT, "")
    assert naming.extension("UNCOMPRESSED", None, None) == ""
    assert naming.extension("GZIP", None, None) == ".gz"
    assert naming.extension("ZIP", None, None) == ".zip"
    assert naming.extension("Snappy", None, None) == ".snappy"
    assert naming.extension("HADOOP_SNAPPY", None, None) == ".hsnappy"
    assert naming.extension("GZIP", ".json.gz", None) == ".json.gz"
    assert naming.extension("UNCOMPRESSED", None, "parquet") == ".parquet"
    assert naming.extension("UNCOMPRESSED", None, "ORC") == ".orc"


# --- validation ---------------------------------------------------------------------------

CONSTRAINT = "Ths supplied prefix(es) do not satisfy the following constraint: "


def check(
    prefix: str | None, error_prefix: str | None, *, dp: bool = False, destination: str = "ExtendedS3"
) -> None:
    naming.validate_prefixes(prefix, error_prefix, dynamic_partitioning=dp, destination=destination)


def test_valid_prefix_pairs() -> None:
    check(None, None)
    check("plain/", None)
    check("plain/", "errors/")
    check("y=!{timestamp:yyyy}/", "e/!{firehose:error-output-type}/!{timestamp:yyyy}/")
    check("!{firehose:random-string}/", "!{firehose:error-output-type}")
    check("c=!{partitionKeyFromQuery:c}/", "e/!{firehose:error-output-type}/", dp=True)
    check(None, None, destination="Redshift")


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "dp", "destination", "message"),
    [
        ("!{timestamp:yyyy}", None, False, "ExtendedS3",
         CONSTRAINT + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"),
        ("!{timestamp:yyyy}", "", False, "ExtendedS3",
         CONSTRAINT + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"),
        ("c=!{partitionKeyFromQuery:c}/", "e/!{firehose:error-output-type}", False, "ExtendedS3",
         naming.DYNAMIC_NAMESPACES_DISABLED),
    ],
)  # fmt: skip
def test_documented_messages(
    prefix: str, error_prefix: str | None, dp: bool, destination: str, message: str
) -> None:
    with pytest.raises(ValueError) as err:
        check(prefix, error_prefix, dp=dp, destination=destination)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "dp", "destination"),
    [
        ("a/!{firehose:error-output-type}/", "e/!{firehose:error-output-type}", False, "ExtendedS3"),
        ("a/!{", None, False, "ExtendedS3"),
        ("a/!{timestamp:yyyy", "e/!{firehose:error-output-type}", False, "ExtendedS3"),
        ("a/!{nope:x}/", "e/!{firehose:error-output-type}", False, "ExtendedS3"),
        ("a/!{firehose:other}/", "e/!{firehose:error-output-type}", False, "ExtendedS3"),
        ("a/!{timestamp:yyyyb}/", "e/!{firehose:error-output-type}", False, "ExtendedS3"),
        ("a/", "e/!{timestamp:yyyy}/", False, "ExtendedS3"),
        ("a/!{partitionKeyFromQuery:c}/", "e/!{firehose:error-output-type}/!{partitionKeyFromQuery:c}", True, "ExtendedS3"),
        ("a/", None, True, "ExtendedS3"),
        ("a/!{timestamp:yyyy}/", None, False, "Redshift"),
        ("a/", "e/", False, "Redshift"),
    ],
)  # fmt: skip
def test_rule_violations(prefix: str, error_prefix: str | None, dp: bool, destination: str) -> None:
    with pytest.raises(ValueError) as err:
        check(prefix, error_prefix, dp=dp, destination=destination)
    assert str(err.value).startswith(CONSTRAINT)


# --- robustness: any input gives an answer or the documented exception ---------------------

_pieces = st.sampled_from(
    ["a/", "!{", "}", ":", "'", "!{timestamp:", "!{firehose:random-string}", "!{firehose:error-output-type}",
     "!{partitionKeyFromQuery:k}", "!{partitionKeyFromLambda:", "yyyy", "HH'h'", "!{nope:x}", "{", "!"]
)  # fmt: skip
_prefixes = st.lists(st.one_of(_pieces, st.text(max_size=4)), max_size=8).map("".join)


@given(prefix=_prefixes, error_prefix=st.one_of(st.none(), _prefixes), dp=st.booleans())
def test_validation_and_evaluation_never_crash(prefix: str, error_prefix: str | None, dp: bool) -> None:
    try:
        check(prefix, error_prefix, dp=dp)
    except ValueError:
        return
    for text, kind in ((prefix, None), (error_prefix, "processing-failed")):
        with contextlib.suppress(naming.PrefixError):
            ev(text, partition_keys={"k": "v"}, error_output_type=kind)


@given(st.text(max_size=40).filter(lambda t: "!{" not in t))
def test_plain_prefix_gets_the_default_timestamp(prefix: str) -> None:
    assert ev(prefix) == prefix + "2018/08/27/10/"
