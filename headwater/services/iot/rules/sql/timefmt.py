"""parse_time() and time_to_epoch(): Joda-Time / java.time date patterns over Python's datetime.

AWS formats with Joda-Time patterns and parses with java.time's DateTimeFormatter. The letters both
share are supported: G y Y M d D E a H k K h m s S z Z V X x and 'quoted' text; a letter outside
that set makes the function answer Undefined rather than guess.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from headwater.services.iot.rules.sql.values import UNDEFINED

_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET = re.compile(r"(?:UTC|GMT|UT)?(?:([+-])(\d{1,2})(?::?(\d{2}))?)?")


def _tokens(pattern: str) -> list[str]:
    return [match.group(0) for match in _TOKEN.finditer(pattern)]


def zone(name: str) -> tzinfo | None:
    if name in ("Z", "UTC", "GMT", "UT"):
        return UTC
    found = _OFFSET.fullmatch(name)
    if found and found.group(1):
        sign, hours, minutes = found.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _offset_text(moment: datetime, colon: bool) -> str:
    offset = moment.utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}" if colon else f"{sign}{hours:02d}{rest:02d}"


def _format_token(token: str, moment: datetime, zone_name: str) -> str | None:
    letter, width = token[0], len(token)
    if letter == "'":
        return token[1:-1].replace("''", "'") if width > 2 else "'"
    if not letter.isalpha():
        return token
    number = {"y": moment.year, "Y": moment.year, "M": moment.month, "d": moment.day,
              "D": moment.timetuple().tm_yday, "H": moment.hour, "k": moment.hour or 24,
              "K": moment.hour % 12, "h": moment.hour % 12 or 12, "m": moment.minute,
              "s": moment.second}.get(letter)  # fmt: skip
    if letter in "yY" and width == 2:
        return f"{moment.year % 100:02d}"
    if letter == "M" and width >= 3:
        name = _MONTHS[moment.month - 1]
        return name if width >= 4 else name[:3]
    if number is not None:
        return str(number).zfill(width)
    if letter == "S":
        return f"{moment.microsecond // 1000:03d}"[:width].ljust(width, "0")
    if letter == "E":
        name = _DAYS[moment.weekday()]
        return name if width >= 4 else name[:3]
    if letter == "a":
        return "AM" if moment.hour < 12 else "PM"
    if letter == "G":
        return "AD"
    if letter == "z":
        return (zone_name if width >= 4 else moment.tzname()) or zone_name
    if letter == "Z":
        return zone_name if width >= 3 else _offset_text(moment, colon=width == 2)
    return None


def format_millis(pattern: str, millis: int, zone_name: str) -> Any:
    where = zone(zone_name)
    if where is None:
        return UNDEFINED
    try:
        moment = datetime.fromtimestamp(millis / 1000, UTC).astimezone(where)
    except (OverflowError, OSError, ValueError):
        return UNDEFINED
    moment = moment.replace(microsecond=(millis % 1000) * 1000)
    out = []
    for token in _tokens(pattern):
        text = _format_token(token, moment, zone_name)
        if text is None:
            return UNDEFINED
        out.append(text)
    return "".join(out)


_PARSE_GROUPS = {
    "y": r"(?P<y>-?\d{1,9})", "u": r"(?P<y>-?\d{1,9})", "M": r"(?P<M>\d{1,2})", "d": r"(?P<d>\d{1,2})",
    "H": r"(?P<H>\d{1,2})", "h": r"(?P<h>\d{1,2})", "m": r"(?P<m>\d{1,2})", "s": r"(?P<s>\d{1,2})",
    "S": r"(?P<S>\d{1,9})", "a": r"(?P<a>AM|PM|am|pm)", "E": r"[A-Za-z]+", "G": r"(?:AD|BC)",
    "V": r"(?P<z>[A-Za-z][A-Za-z0-9_/+\-:]*)", "z": r"(?P<z>[A-Za-z][A-Za-z0-9_/+\-:]*)",
    "X": r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)", "x": r"(?P<z>[+-]\d{2}(?::?\d{2})?)",
    "Z": r"(?P<z>[+-]\d{4}|Z)",
}  # fmt: skip


@lru_cache(maxsize=128)
def _parser(pattern: str) -> re.Pattern[str] | None:
    parts = []
    seen: set[str] = set()
    for token in _tokens(pattern):
        letter = token[0]
        if letter == "'":
            parts.append(re.escape(token[1:-1].replace("''", "'") if len(token) > 2 else "'"))
        elif not letter.isalpha():
            parts.append(re.escape(token))
        elif letter == "M" and len(token) >= 3:
            parts.append(r"(?P<MMM>[A-Za-z]+)")
            seen.add("M")
        elif letter in _PARSE_GROUPS:
            group = _PARSE_GROUPS[letter]
            name = re.match(r"\(\?P<(\w+)>", group)
            if name and name.group(1) in seen:
                return None
            if name:
                seen.add(name.group(1))
            parts.append(group)
        else:
            return None
    return re.compile("".join(parts))


def parse_millis(text: str, pattern: str) -> Any:
    parser = _parser(pattern)
    found = parser.fullmatch(text) if parser else None
    if found is None:
        return UNDEFINED
    fields = found.groupdict()
    try:
        month = int(fields["M"]) if fields.get("M") else 1
        if fields.get("MMM"):
            names = [name.lower() for name in _MONTHS]
            word = fields["MMM"].lower()
            month = next(i + 1 for i, name in enumerate(names) if name == word or name[:3] == word)
        hour = int(fields.get("H") or 0)
        if fields.get("h"):
            hour = int(fields["h"]) % 12 + (12 if (fields.get("a") or "").upper() == "PM" else 0)
        fraction = (fields.get("S") or "0").ljust(3, "0")[:3]
        where = zone(fields["z"]) if fields.get("z") else UTC
        if where is None:
            return UNDEFINED
        moment = datetime(int(fields.get("y") or 1970), month, int(fields.get("d") or 1), hour,
                          int(fields.get("m") or 0), int(fields.get("s") or 0), int(fraction) * 1000,
                          tzinfo=where)  # fmt: skip
    except (ValueError, StopIteration, OverflowError):
        return UNDEFINED
    return (moment - _EPOCH) // timedelta(milliseconds=1)
