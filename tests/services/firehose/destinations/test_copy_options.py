"""CopyOptions parsed as Redshift reads them, and staged bytes read into rows as COPY reads them
(no database needed: test_redshift.py loads them into a real PostgreSQL)."""

from __future__ import annotations

import bz2

import cramjam
import pytest

from headwater.services.firehose.destinations.copy_options import CopyPlan, parse_copy_options
from headwater.services.firehose.destinations.copy_rows import CopyDataError, read_rows


def test_keywords_are_case_insensitive_with_optional_as_and_quoted_escapes() -> None:
    plan = parse_copy_options(
        "format as json 'AUTO IGNORECASE' gzip timeformat as 'epochmillisecs' "
        "dateformat 'auto' acceptinvchars as '^' null as 'it''s null' compupdate off region 'eu-west-1';"
    )
    assert (plan.format, plan.json_ignorecase, plan.compression) == ("JSON", True, "GZIP")
    assert (plan.time_format, plan.date_format, plan.accept_inv_chars) == ("epochmillisecs", "auto", "^")
    assert plan.null_as == "it's null"
    assert plan.ignored == ["COMPUPDATE", "REGION"]


def test_csv_defaults_and_quote() -> None:
    assert parse_copy_options("CSV").delimiter == ","
    plan = parse_copy_options("CSV QUOTE AS '%' DELIMITER '\\t' IGNOREHEADER AS 2")
    assert (plan.quote, plan.delimiter, plan.ignore_header) == ("%", "\t", 2)  # '\t' is a tab
    assert parse_copy_options("DELIMITER '\\001'").delimiter == "\x01"  # octal
    assert parse_copy_options("NULL AS '\\N'").null_as == "\\N"  # backslashes stay
    assert parse_copy_options("").format == "TEXT" and parse_copy_options(None).delimiter == "|"


def test_text_rows_remove_quotes_fill_record_and_blank_lines() -> None:
    plan = CopyPlan(remove_quotes=True, fill_record=True, ignore_blank_lines=True)
    data = b'"a|b"|c\r\n\nd\n'
    assert read_rows(data, plan, ["x", "y"]) == [["a|b", "c"], ["d", ""]]
    with pytest.raises(CopyDataError, match="Extra column"):
        read_rows(b"1|2|3\n", CopyPlan(), ["x", "y"])
    with pytest.raises(CopyDataError, match="Delimiter not found"):
        read_rows(b"1\n", CopyPlan(), ["x", "y"])


def test_compressions_and_invalid_utf8() -> None:
    rows = [["1", "two"]]
    assert read_rows(bz2.compress(b"1|two\n"), CopyPlan(compression="BZIP2"), ["a", "b"]) == rows
    zstd = bytes(cramjam.zstd.compress(b"1|two\n"))
    assert read_rows(zstd, CopyPlan(compression="ZSTD"), ["a", "b"]) == rows
    with pytest.raises(CopyDataError, match="not valid GZIP"):
        read_rows(b"plain", CopyPlan(compression="GZIP"), ["a"])
    with pytest.raises(CopyDataError, match="invalid or unsupported UTF8"):
        read_rows(b"caf\xe9\n", CopyPlan(), ["a"])
    assert read_rows(b"caf\xe9\n", CopyPlan(accept_inv_chars="?"), ["a"]) == [["caf?"]]


def test_json_rows_need_objects() -> None:
    with pytest.raises(CopyDataError, match="Member is not an object"):
        read_rows(b"[1,2]", CopyPlan(format="JSON"), ["a"])
    assert read_rows(b' {"a":1.5e3} \n{"a":false}', CopyPlan(format="JSON"), ["a"]) == [["1500.0"], ["false"]]
