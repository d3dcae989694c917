"""Joda-Time DateTimeFormat patterns (HiveJsonSerDe's TimestampFormats) compiled to parsers of
text into epoch milliseconds (UTC unless the pattern reads an offset).

Supported letters: y (year), M (month: number, MMM short name, MMMM full name), d, H, k, h, K,
m, s, S (fraction of second), a (AM/PM), E (day name: read and ignored), Z (offset: +hhmm,
+hh:mm or Z), z (a zone abbreviation: UTC/GMT/Z only), quoted literals ('T', '' for a quote).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

Parser = Callable[[str], int]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_name) if name}


def _group(letter: str, count: int) -> tuple[str, str]:
    """The regex and group name of `count` repetitions of a pattern letter."""
    digits = {"y": "year", "d": "day", "H": "hour", "k": "hour", "h": "hour12", "K": "hour12"}
    digits |= {"m": "minute", "s": "second"}
    if letter == "y":
        return (r"\d{2}", "year2") if count == 2 else (r"\d{4}", "year")
    if letter in digits:
        return rf"\d{{{min(count, 2)},2}}", digits[letter]
    if letter == "M":
        return (r"\d{1,2}" if count <= 2 else r"[A-Za-z]+"), "month"
    if letter == "S":
        return r"\d{1,9}", "fraction"
    if letter == "a":
        return r"[AaPp][Mm]", "ampm"
    if letter == "E":
        return r"[A-Za-z]+", "dayname"
    if letter == "Z":
        return r"Z|[+-]\d{2}:?\d{2}", "offset"
    if letter == "z":
        return r"UTC|GMT|Z", "zone"
    raise ValueError(f"Unsupported pattern letter '{letter}'")


def compile_pattern(pattern: str) -> Parser:
    parts: list[str] = []
    used: set[str] = set()
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = pattern.find("'", i + 1)
            if end == -1:
                raise ValueError(f"Unterminated quote in pattern '{pattern}'")
            parts.append(re.escape(pattern[i + 1 : end] or "'"))
            i = end + 1
        elif char.isalpha():
            count = len(pattern) - i - len(pattern[i:].lstrip(char))
            regex, name = _group(char, count)
            if name in used:
                raise ValueError(f"Pattern letter '{char}' repeated in '{pattern}'")
            used.add(name)
            parts.append(f"(?P<{name}>{regex})")
            i += count
        else:
            parts.append(re.escape(char))
            i += 1
    compiled = re.compile("".join(parts))

    def parse(text: str) -> int:
        match = compiled.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"'{text}' does not match the pattern '{pattern}'")
        return _to_millis(match.groupdict())

    return parse


def _to_millis(found: dict[str, str | None]) -> int:
    month_text = found.get("month") or "1"
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower(), 0)
    if not month:
        raise ValueError(f"Unknown month '{month_text}'")
    hour = int(found.get("hour") or 0)
    if found.get("hour12") is not None:
        hour = int(found["hour12"] or 0) % 12 + (12 if (found.get("ampm") or "am").lower() == "pm" else 0)
    if hour == 24:  # k: 1-24
        hour = 0
    fraction = (found.get("fraction") or "0")[:6].ljust(6, "0")
    year = int(found.get("year") or 1970) if found.get("year2") is None else 2000 + int(found["year2"] or 0)
    at = datetime(
        year,
        month,
        int(found.get("day") or 1),
        hour,
        int(found.get("minute") or 0),
        int(found.get("second") or 0),
        int(fraction),
        tzinfo=_offset(found.get("offset")),
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return (at - epoch) // timedelta(milliseconds=1)


def _offset(text: str | None) -> timezone:
    if not text or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
