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
import json
import math
from collections.abc import Callable
from typing import Any, cast

from botocore.model import ListShape, Shape

from headwater.protocol.errors import AwsError
from headwater.protocol.scalar_text import (
    EPOCH,
    Format,
    Parse,
    as_datetime,
    format_blob,
    format_boolean,
    format_float,
    format_integer,
    format_json_value,
    http_date,
    list_header_formatter,
    list_header_parser,
    parse_timestamp,
)

_INT_TYPES = ("integer", "long", "short", "byte")


def bad_value(where: str, wire: str, text: str, expected: str) -> AwsError:
    return AwsError(
        "SerializationException", f"Value '{text}' at '{wire}' ({where}) is not a valid {expected}"
    )


# --- timestamps ------------------------------------------------------------------------------


def iso8601(value: Any) -> str:
    w = as_datetime(value)
    millis = f".{w.microsecond // 1000:03d}" if w.microsecond else ""
    return w.strftime("%Y-%m-%dT%H:%M:%S") + millis + "Z"


def epoch_seconds(value: Any) -> int | float:
    seconds = (as_datetime(value) - EPOCH).total_seconds()
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


def header_parser(shape: Shape, wire: str) -> Parse:
    """Converter of a header to `shape` (a list header is split as described above)."""
    if shape.type_name != "list":
        return scalar_parser(shape, wire, "header")
    items = cast(ListShape, shape)
    return list_header_parser(items, scalar_parser(items.member, wire, "header"))


# --- value -> text ---------------------------------------------------------------------------


def scalar_formatter(shape: Shape, where: str) -> Format:
    kind = shape.type_name
    if kind == "timestamp":
        return timestamp_formatter(shape, "rfc822" if where == "header" else "iso8601")
    if kind == "boolean":
        return format_boolean
    if kind in _INT_TYPES:
        return format_integer
    if kind in ("float", "double"):
        return format_float
    if kind == "blob":
        return format_blob
    if where == "header" and shape.serialization.get("jsonvalue"):
        return format_json_value
    return str


def header_formatter(shape: Shape) -> Format:
    """Formatter of a member as one header value (lists comma-joined, strings quoted as needed)."""
    if shape.type_name != "list":
        return scalar_formatter(shape, "header")
    items = cast(ListShape, shape)
    return list_header_formatter(items, scalar_formatter(items.member, "header"), ", ")
