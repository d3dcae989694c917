"""Java `DateTimeFormatter` patterns, as Firehose's `!{timestamp:<pattern>}` expressions use them.

Theory of operation
-------------------
`compile_pattern` parses a pattern once into a list of `(letter, count)` fields and literal
strings, with Java's rules: ASCII letters are pattern letters (an unknown one is an error, as
Java's `IllegalArgumentException`), text in single quotes is literal and `''` is one quote, `[`
and `]` (optional sections) print their content, and every other character is literal.
`format_fields` then renders the fields for one aware `datetime`. Checked against JDK 17's and
25's DateTimeFormatter (Locale.US) over every letter, count and several zones: all agree except
`zzzz` (Java's long zone names such as "India Standard Time"; zoneinfo has none, so the
abbreviation is printed) and, for a few zones, `z` abbreviations (tzdata's, e.g. "+1030", where
Java has its own, "LHST"); `F` follows JDK 21+ (JDK 17 computed it differently). Text fields use the English
(US) names, as Firehose's JVM does; week fields use the US week definition (weeks start on
Sunday and week 1 is the week that holds January 1st), which is what `w` gives under `Locale.US`.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache

Field = tuple[str, int] | str  # a pattern letter and its count, or literal text

# The largest count each numeric letter accepts (Java throws "Too many pattern letters" above it).
_MAX_COUNT = {"d": 2, "H": 2, "h": 2, "k": 2, "K": 2, "m": 2, "s": 2, "D": 3, "w": 2, "W": 1}
_KNOWN = set("GuyYMLdDQqwWEecFaHhkKmsSnNAVzOXxZ")


class PatternError(ValueError):
    """The pattern is not a valid Java DateTimeFormatter pattern."""


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[Field, ...]:
    fields: list[Field] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            end = i + 1
            text: list[str] = []
            while True:
                if end >= n:
                    raise PatternError(f"Pattern ends with an incomplete string literal: {pattern}")
                if pattern[end] == "'":
                    if end + 1 < n and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            # '' outside a literal is one quote; inside it was handled above
            fields.append("".join(text) if end > i + 1 else "'")
            i = end + 1
        elif ch.isascii() and ch.isalpha():
            count = 1
            while i + count < n and pattern[i + count] == ch:
                count += 1
            if ch not in _KNOWN:
                raise PatternError(f"Unknown pattern letter: {ch}")
            if count > _MAX_COUNT.get(ch, 19 if ch in "yuYA" else 9 if ch in "SnN" else 5):
                raise PatternError(f"Too many pattern letters: {ch}")
            fields.append((ch, count))
            i += count
        elif ch in "{}#":
            raise PatternError(f"Pattern includes reserved character: '{ch}'")
        elif ch in "[]":
            i += 1  # optional section markers: every field is present, so print the content
        else:
            fields.append(ch)
            i += 1
    return tuple(fields)


def format_fields(fields: tuple[Field, ...], at: datetime) -> str:
    return "".join(f if isinstance(f, str) else _field(f[0], f[1], at) for f in fields)


def _num(value: int, count: int) -> str:
    return str(value).zfill(count) if value >= 0 else "-" + str(-value).zfill(count)


def _week_start(d: date) -> date:
    return d - timedelta(days=(d.weekday() + 1) % 7)  # the Sunday on or before d


def _week_based(d: date) -> tuple[int, int]:
    """(week-based year, week of that year) with US rules."""
    year = (_week_start(d) + timedelta(days=6)).year
    first = _week_start(date(year, 1, 1))
    return year, (_week_start(d) - first).days // 7 + 1


def _offset(at: datetime, letter: str, count: int) -> str:
    delta = at.utcoffset() or timedelta(0)
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total) // 60, 60)
    hh, mm = f"{hours:02d}", f"{minutes:02d}"
    if letter in "Xx":
        if letter == "X" and total == 0:
            return "Z"
        if count == 1:
            return f"{sign}{hh}{mm if minutes else ''}"
        return f"{sign}{hh}{mm}" if count in (2, 4) else f"{sign}{hh}:{mm}"
    if letter == "Z":
        if count <= 3:
            return f"{sign}{hh}{mm}"
        if count == 4:
            return "GMT" if total == 0 else f"GMT{sign}{hh}:{mm}"
        return "Z" if total == 0 else f"{sign}{hh}:{mm}"
    # O: localized offset, GMT+8 (short) or GMT+08:00 (full)
    if total == 0:
        return "GMT"
    if count == 1:
        return f"GMT{sign}{hours}" + (f":{mm}" if minutes else "")
    return f"GMT{sign}{hh}:{mm}"


def _text(full: str, count: int) -> str:
    if count == 4:
        return full
    return full[0] if count == 5 else full[:3]


def _field(letter: str, count: int, at: datetime) -> str:  # noqa: C901, PLR0911, PLR0912 - one case per letter
    if letter in "yuY":
        year = _week_based(at.date())[0] if letter == "Y" else at.year
        return _num(year % 100, 2) if count == 2 else _num(year, count)
    if letter in "ML":
        return _num(at.month, count) if count <= 2 else _text(calendar.month_name[at.month], count)
    if letter == "d":
        return _num(at.day, count)
    if letter == "D":
        return _num(at.timetuple().tm_yday, count)
    if letter in "Qq":
        quarter = (at.month - 1) // 3 + 1
        if count <= 2:
            return _num(quarter, count)
        return f"Q{quarter}" if count == 3 else f"{quarter}{['st', 'nd', 'rd', 'th'][quarter - 1]} quarter"
    if letter == "w":
        return _num(_week_based(at.date())[1], count)
    if letter == "W":
        return str((at.day + (date(at.year, at.month, 1).weekday() + 1) % 7 - 1) // 7 + 1)
    if letter == "E":
        return _text(calendar.day_name[at.weekday()], max(count, 3) if count < 4 else count)
    if letter in "ec":
        if count <= 2:
            return _num((at.weekday() + 1) % 7 + 1, count)  # Sunday is 1 in the US
        return _text(calendar.day_name[at.weekday()], count)
    if letter == "F":
        return str((at.day - 1) // 7 + 1)
    if letter == "G":
        return "Anno Domini" if count == 4 else ("A" if count == 5 else "AD")
    if letter == "a":
        return "AM" if at.hour < 12 else "PM"
    if letter == "H":
        return _num(at.hour, count)
    if letter == "h":
        return _num(at.hour % 12 or 12, count)
    if letter == "k":
        return _num(at.hour or 24, count)
    if letter == "K":
        return _num(at.hour % 12, count)
    if letter == "m":
        return _num(at.minute, count)
    if letter == "s":
        return _num(at.second, count)
    if letter == "S":
        return f"{at.microsecond:06d}000"[:count]
    if letter == "n":
        return _num(at.microsecond * 1000, count)
    if letter in "AN":
        of_day = ((at.hour * 60 + at.minute) * 60 + at.second) * 1_000_000 + at.microsecond
        return _num(of_day // 1000 if letter == "A" else of_day * 1000, count)
    if letter == "V":
        return str(getattr(at.tzinfo, "key", None) or at.tzname() or "Z")
    if letter == "z":
        return at.tzname() or "Z"
    return _offset(at, letter, count)
