"""Scalars as text, shared by the codecs that carry them as text: REST headers, query strings and
URI labels (`http_bindings` for REST-JSON, `rest_xml.values` for S3) and the XML bodies of REST-XML
and Query (`rest_xml.shapes`, `query_codec`).

Only what the protocols agree on lives here: timestamps read from epoch seconds, ISO 8601 (naive =
UTC) or an HTTP-date as aware UTC datetimes; HTTP-dates written as RFC 1123; floats with NaN and
the infinities spelt as AWS spells them; blobs as base64 text; a header list comma-separated, an
item double-quoted (with backslash escapes) when it holds a comma or a quote, and an HTTP-date list
split every second comma. Where the protocols differ (ISO 8601 milliseconds, epoch text, how a bad
value is refused) each codec keeps its own converter.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import math
from collections.abc import Callable
from typing import Any

from botocore.model import ListShape

Parse = Callable[[str], Any]
Format = Callable[[Any], str]

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)

# --- timestamps ------------------------------------------------------------------------------


def parse_timestamp(text: str) -> dt.datetime:
    """Epoch seconds, ISO 8601 (naive = UTC) or an HTTP-date, as an aware UTC datetime; raises ValueError."""
    text = text.strip()
    try:
        return EPOCH + dt.timedelta(seconds=float(text))
    except (ValueError, OverflowError):
        pass
    try:
        when = dt.datetime.fromisoformat(text)  # "Z" included (Python 3.11)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise ValueError(f"not a date: {text!r}") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def as_datetime(value: Any) -> dt.datetime:
    """A result timestamp (datetime, naive = UTC, epoch seconds, or date text) as aware UTC."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return EPOCH + dt.timedelta(seconds=value)
    if isinstance(value, str):
        return parse_timestamp(value)
    raise TypeError(f"not a timestamp: {value!r}")


# Formatted by hand: strftime/email.utils cost more than the rest of a ListObjects entry.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(value: Any) -> str:
    """``Mon, 12 Oct 2009 17:50:30 GMT`` (RFC 1123)."""
    w = as_datetime(value)
    return (
        f"{_DAYS[w.weekday()]}, {w.day:02d} {_MONTHS[w.month - 1]} {w.year:04d} "
        f"{w.hour:02d}:{w.minute:02d}:{w.second:02d} GMT"
    )


# --- numbers, booleans, blobs ----------------------------------------------------------------


def format_float(value: Any) -> str:
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def format_integer(value: Any) -> str:
    return str(int(value))


def format_boolean(value: Any) -> str:
    return "true" if value else "false"


def format_blob(value: Any) -> str:
    """Base64 of bytes (or of a string's UTF-8)."""
    return base64.b64encode(value.encode() if isinstance(value, str) else bytes(value)).decode("ascii")


def format_json_value(value: Any) -> str:
    """A ``jsonvalue`` header: the value as compact JSON, in base64."""
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")


# --- header lists ----------------------------------------------------------------------------


def split_header_list(value: str) -> list[str]:
    """A comma-separated header list; an item may be double-quoted, with backslash escapes."""
    items: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t":
            i += 1
        if i < n and value[i] == '"':
            chars = []
            i += 1
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(value[i])
                i += 1
            items.append("".join(chars))
            end = value.find(",", i)
        else:
            end = value.find(",", i)
            items.append(value[i : n if end < 0 else end].strip())
        i = n if end < 0 else end + 1
    return items


def list_header_parser(shape: ListShape, item: Parse) -> Parse:
    """Converter of a list header, each item through `item` (the protocol's scalar converter)."""
    member = shape.member
    if member.type_name == "timestamp" and member.serialization.get("timestampFormat", "rfc822") == "rfc822":
        # "Mon, 16 Dec 2019 23:48:18 GMT" holds a comma itself: the parts pair up
        def dates(text: str) -> list[Any]:
            parts = split_header_list(text)
            return [item(f"{parts[i]}, {parts[i + 1]}") for i in range(0, len(parts) - 1, 2)]

        return dates
    return lambda text: [item(part) for part in split_header_list(text)]


def _quote(text: str) -> str:
    if '"' in text or "," in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def list_header_formatter(shape: ListShape, item: Format, separator: str) -> Format:
    """Formatter of a list header: items through `item` joined by `separator`, strings quoted as needed."""
    if shape.member.type_name == "string":
        return lambda v: separator.join(_quote(str(x)) for x in v)
    return lambda v: separator.join(item(x) for x in v)
