"""Values bound to HTTP parts (URI labels, query string, headers) in the REST protocols, by shape.

Theory of operation. A REST operation's input and output members each sit at one location
(botocore's ``location`` trait): ``uri``, ``querystring``, ``header``, ``headers`` (a prefix
family), ``statusCode``, or the body. This module converts one member's text to and from its
shape, protocol-neutrally; `rest_json` uses it for both directions.

Defaults follow botocore and Smithy's HTTP binding rules: timestamps are ISO 8601 in labels and
query strings and RFC 7231 HTTP-dates in headers unless ``timestampFormat`` says otherwise; a
list header is comma-separated with items double-quoted when they hold a comma or a quote (and an
HTTP-date list is split every second comma); a ``jsonvalue`` header is base64 JSON; floats accept
``NaN`` and ``Infinity``. A value that does not convert raises `SerializationException`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import json
import math
from collections.abc import Callable
from typing import Any, cast

from botocore.model import ListShape, Shape

from headwater.protocol.errors import AwsError

Parse = Callable[[str], Any]
Format = Callable[[Any], str]

_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_INT_TYPES = ("integer", "long", "short", "byte")


def bad_value(where: str, wire: str, text: str, expected: str) -> AwsError:
    return AwsError(
        "SerializationException", f"Value '{text}' at '{wire}' ({where}) is not a valid {expected}"
    )


# --- timestamps ------------------------------------------------------------------------------


def parse_timestamp(text: str) -> dt.datetime:
    """Epoch seconds, ISO 8601 (naive = UTC) or an HTTP-date, as an aware UTC datetime."""
    text = text.strip()
    try:
        return _EPOCH + dt.timedelta(seconds=float(text))
    except (ValueError, OverflowError):
        pass
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise ValueError(f"not a date: {text!r}") from None
    return when.replace(tzinfo=_UTC) if when.tzinfo is None else when.astimezone(_UTC)


def as_datetime(value: Any) -> dt.datetime:
    """A result timestamp (datetime, naive = UTC, epoch seconds, or date text) as aware UTC."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _EPOCH + dt.timedelta(seconds=value)
    if isinstance(value, str):
        return parse_timestamp(value)
    raise TypeError(f"not a timestamp: {value!r}")


def iso8601(value: Any) -> str:
    w = as_datetime(value)
    millis = f".{w.microsecond // 1000:03d}" if w.microsecond else ""
    return w.strftime("%Y-%m-%dT%H:%M:%S") + millis + "Z"


def http_date(value: Any) -> str:
    return email.utils.format_datetime(as_datetime(value), usegmt=True)


def epoch_seconds(value: Any) -> int | float:
    seconds = (as_datetime(value) - _EPOCH).total_seconds()
    return int(seconds) if seconds == int(seconds) else round(seconds, 3)


def timestamp_formatter(shape: Shape, default: str) -> Format:
    fmt = shape.serialization.get("timestampFormat", default)
    if fmt == "rfc822":
        return http_date
    if fmt == "unixTimestamp":
        return lambda v: str(epoch_seconds(v))
    return iso8601


# --- text -> value ---------------------------------------------------------------------------


def parse_float(text: str) -> float:
    """A float from text; ``NaN``/``Infinity``/``-Infinity`` included."""
    value = float(text)
    if math.isnan(value) and text.strip() != "NaN":
        raise ValueError(text)
    return value


def scalar_parser(shape: Shape, wire: str, where: str) -> Parse:
    """Converter of one label/query/header text to `shape`'s type."""
    kind = shape.type_name

    def guarded(convert: Callable[[str], Any], expected: str) -> Parse:
        def parse(text: str) -> Any:
            try:
                return convert(text)
            except (ValueError, binascii.Error, OverflowError):
                raise bad_value(where, wire, text, expected) from None

        return parse

    if kind in _INT_TYPES:
        return guarded(lambda t: int(t.strip(), 10), "integer")
    if kind in ("float", "double"):
        return guarded(parse_float, "number")
    if kind == "boolean":
        return guarded(_parse_boolean, "boolean")
    if kind == "timestamp":
        return guarded(parse_timestamp, "timestamp")
    if kind == "blob":
        return guarded(lambda t: base64.b64decode(t, validate=True), "base64 blob")
    if where == "header" and shape.serialization.get("jsonvalue"):
        return guarded(lambda t: json.loads(base64.b64decode(t)), "base64-encoded JSON value")
    return str


def _parse_boolean(text: str) -> bool:
    lower = text.strip().lower()
    if lower not in ("true", "false"):
        raise ValueError(text)
    return lower == "true"


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


def header_parser(shape: Shape, wire: str) -> Parse:
    """Converter of a header to `shape` (a list header is split as described above)."""
    if shape.type_name != "list":
        return scalar_parser(shape, wire, "header")
    member = cast(ListShape, shape).member
    item = scalar_parser(member, wire, "header")
    http_dates = (
        member.type_name == "timestamp" and member.serialization.get("timestampFormat", "rfc822") == "rfc822"
    )

    def parse(text: str) -> list[Any]:
        parts = split_header_list(text)
        if http_dates:  # "Mon, 16 Dec 2019 23:48:18 GMT" holds a comma itself
            parts = [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts) - 1, 2)]
        return [item(part) for part in parts]

    return parse


# --- value -> text ---------------------------------------------------------------------------


def format_float(value: Any) -> str:
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def scalar_formatter(shape: Shape, where: str) -> Format:
    kind = shape.type_name
    if kind == "timestamp":
        return timestamp_formatter(shape, "rfc822" if where == "header" else "iso8601")
    if kind == "boolean":
        return lambda v: "true" if v else "false"
    if kind in _INT_TYPES:
        return lambda v: str(int(v))
    if kind in ("float", "double"):
        return format_float
    if kind == "blob":
        return lambda v: base64.b64encode(v.encode() if isinstance(v, str) else bytes(v)).decode("ascii")
    if where == "header" and shape.serialization.get("jsonvalue"):
        return lambda v: base64.b64encode(json.dumps(v, separators=(",", ":")).encode()).decode("ascii")
    return str


def _quote(text: str) -> str:
    if '"' in text or "," in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def header_formatter(shape: Shape) -> Format:
    """Formatter of a member as one header value (lists comma-joined, strings quoted as needed)."""
    if shape.type_name != "list":
        return scalar_formatter(shape, "header")
    member = cast(ListShape, shape).member
    item = scalar_formatter(member, "header")
    if member.type_name == "string":
        return lambda v: ", ".join(_quote(str(x)) for x in v)
    return lambda v: ", ".join(item(x) for x in v)
