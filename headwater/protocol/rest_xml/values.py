"""Header and query-string values of REST-XML (S3) requests and responses, converted by shape.

Requests: a value that is not the integer/boolean/date its member says is S3's InvalidArgument,
naming the argument, except for conditional dates (If-Modified-Since and friends), which HTTP says
to ignore when they do not parse (`DROP`), and ``Expires``, which S3 stores and echoes verbatim
whatever it holds. Dates are read in any of RFC 1123, ISO 8601 or epoch seconds. Header lists are
comma-separated, an item possibly double-quoted (botocore quotes items holding a comma or quote).
Responses: dates in RFC 1123 unless the member's ``timestampFormat`` says otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, cast

from botocore.model import ListShape, Shape

from headwater.protocol.http_members import DROP
from headwater.protocol.rest_xml.errors import invalid_argument
from headwater.protocol.rest_xml.shapes import timestamp_format
from headwater.protocol.scalar_text import (
    format_blob,
    format_boolean,
    format_integer,
    format_json_value,
    list_header_formatter,
    list_header_parser,
    parse_timestamp,
)

# Conditional request dates: RFC 9110 says an invalid one is ignored, not refused.
_IGNORE_BAD_DATES = frozenset(
    {
        "if-modified-since",
        "if-unmodified-since",
        "x-amz-copy-source-if-modified-since",
        "x-amz-copy-source-if-unmodified-since",
    }
)
_RAW_DATES = frozenset({"expires"})  # S3 stores and echoes Expires verbatim, date or not

# AWS's wording for a query integer it cannot read (partNumber has its own).
_QUERY_INT_MESSAGES = {"partNumber": "Part number must be an integer between 1 and 10000, inclusive"}

Convert = Callable[[str], Any]
Format = Callable[[Any], str]


def _scalar_in(member: Shape, wire: str, where: str) -> Convert:
    """Converter of one header/query string to `member`'s type; raises InvalidArgument."""
    kind = member.type_name
    if kind in ("integer", "long", "short", "byte"):
        message = _QUERY_INT_MESSAGES.get(wire) or (
            f"Provided {wire} not an integer or within integer range"
            if where == "query"
            else f"The {wire} header must be an integer"
        )

        def to_int(text: str) -> int:
            try:
                return int(text.strip(), 10)
            except ValueError:
                raise invalid_argument(message, wire, text) from None

        return to_int
    if kind in ("float", "double"):

        def to_float(text: str) -> float:
            try:
                return float(text)
            except ValueError:
                raise invalid_argument(f"The {wire} value must be a number", wire, text) from None

        return to_float
    if kind == "boolean":

        def to_bool(text: str) -> bool:
            lower = text.strip().lower()
            if lower not in ("true", "false"):
                raise invalid_argument(f"The {wire} value must be true or false", wire, text)
            return lower == "true"

        return to_bool
    if kind == "timestamp":
        lower = wire.lower()

        def to_date(text: str) -> Any:
            try:
                return parse_timestamp(text)
            except ValueError:
                if where == "header" and lower in _IGNORE_BAD_DATES:
                    return DROP
                if where == "header" and lower in _RAW_DATES:
                    return text
                raise invalid_argument(f"The {wire} value is not a valid date", wire, text) from None

        return to_date
    if kind == "blob":
        return lambda text: base64.b64decode(text)
    if member.serialization.get("jsonvalue"):

        def to_json(text: str) -> Any:
            try:
                return json.loads(base64.b64decode(text))
            except (ValueError, binascii.Error):
                raise invalid_argument(f"The {wire} header must be base64-encoded JSON", wire, text) from None

        return to_json
    return str


def query_reader(member: Shape, wire: str) -> Convert:
    """Converter of a query value to `member`'s type; raises InvalidArgument."""
    return _scalar_in(member, wire, "query")


def header_reader(member: Shape, wire: str) -> Convert:
    """Converter of a header value to `member`'s type (lists comma-separated); may return DROP."""
    if member.type_name != "list":
        return _scalar_in(member, wire, "header")
    items = cast(ListShape, member)
    return list_header_parser(items, _scalar_in(items.member, wire, "header"))


def header_writer(member: Shape) -> Format:
    """Formatter of a result member as a header value (dates RFC 1123 unless the model says)."""
    kind = member.type_name
    if kind == "list":
        items = cast(ListShape, member)
        return list_header_formatter(items, header_writer(items.member), ",")
    if kind == "timestamp":
        return timestamp_format(member, "rfc822")
    if kind == "boolean":
        return format_boolean
    if kind in ("integer", "long", "short", "byte"):
        return format_integer
    if kind == "blob":
        return format_blob
    if member.serialization.get("jsonvalue"):
        return format_json_value
    return str
