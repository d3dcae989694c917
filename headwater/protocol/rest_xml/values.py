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

from headwater.protocol.rest_xml.errors import invalid_argument
from headwater.protocol.rest_xml.shapes import parse_timestamp, timestamp_format

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
DROP = object()  # a header converter's "ignore this header"

# AWS's wording for a query integer it cannot read (partNumber has its own).
_QUERY_INT_MESSAGES = {"partNumber": "Part number must be an integer between 1 and 10000, inclusive"}

Convert = Callable[[str], Any]
Format = Callable[[Any], str]


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
    items = cast(ListShape, member).member
    item = _scalar_in(items, wire, "header")
    if items.type_name == "timestamp" and items.serialization.get("timestampFormat", "rfc822") == "rfc822":
        # "Mon, 16 Dec 2019 23:48:18 GMT" holds a comma itself: the parts pair up
        def dates(text: str) -> list[Any]:
            parts = split_header_list(text)
            return [item(f"{parts[i]}, {parts[i + 1]}") for i in range(0, len(parts) - 1, 2)]

        return dates
    return lambda text: [item(part) for part in split_header_list(text)]


def _quote_list_item(text: str) -> str:
    if '"' in text or "," in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def header_writer(member: Shape) -> Format:
    """Formatter of a result member as a header value (dates RFC 1123 unless the model says)."""
    kind = member.type_name
    if kind == "list":
        items = cast(ListShape, member).member
        item = header_writer(items)
        if items.type_name == "string":
            return lambda v: ",".join(_quote_list_item(str(x)) for x in v)
        return lambda v: ",".join(item(x) for x in v)
    if kind == "timestamp":
        return timestamp_format(member, "rfc822")
    if kind == "boolean":
        return lambda v: "true" if v else "false"
    if kind in ("integer", "long", "short", "byte"):
        return lambda v: str(int(v))
    if kind == "blob":
        return lambda v: base64.b64encode(v.encode() if isinstance(v, str) else v).decode("ascii")
    if member.serialization.get("jsonvalue"):
        return lambda v: base64.b64encode(json.dumps(v, separators=(",", ":")).encode()).decode("ascii")
    return str
