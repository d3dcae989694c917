"""Joda-Time patterns (HiveJsonSerDe's TimestampFormats) to epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from headwater.services.firehose.convert.joda import compile_pattern


def ms(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp() * 1000)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("yyyy-MM-dd HH:mm:ss", "2018-02-07 19:58:48", ms(2018, 2, 7, 19, 58, 48)),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2018-02-07T19:58:48.123+0200", ms(2018, 2, 7, 17, 58, 48) + 123),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2018-02-07T19:58:48Z", ms(2018, 2, 7, 19, 58, 48)),
        ("dd MMM yyyy hh:mm a", "07 Feb 2018 07:58 PM", ms(2018, 2, 7, 19, 58)),
        ("EEE, d MMMM yy", "Wed, 7 February 18", ms(2018, 2, 7)),
        ("yyyyMMddHHmmss", "20180207195848", ms(2018, 2, 7, 19, 58, 48)),
        ("yyyy-MM-dd HH:mm:ss.S", "2018-02-07 19:58:48.5", ms(2018, 2, 7, 19, 58, 48) + 500),
        ("''yyyy''", "'2018'", ms(2018, 1, 1)),
    ],
)
def test_patterns(pattern: str, text: str, expected: int) -> None:
    assert compile_pattern(pattern)(text) == expected


def test_mismatch_and_bad_patterns() -> None:
    with pytest.raises(ValueError, match="does not match"):
        compile_pattern("yyyy-MM-dd")("2018/02/07")
    with pytest.raises(ValueError):
        compile_pattern("yyyy-MM-dd")("2018-02-30")
    for bad in ("yyyy-MM-dd Q", "'open", "yyyy yyyy"):
        with pytest.raises(ValueError):
            compile_pattern(bad)
