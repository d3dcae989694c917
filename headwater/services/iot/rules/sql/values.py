"""IoT SQL's values and AWS's conversion tables (the "Data types" page of the IoT SQL reference).

Values are plain JSON values as the JSON parser gives them, so a payload is never copied or wrapped:
Int is `int`, Decimal is `float` (AWS keeps 34 digits; several of its functions already answer in
double precision, and a payload's numbers arrive as doubles from every device SDK), Boolean `bool`,
String `str`, Array `list`, Object `dict`, Null `None`, and Undefined the `UNDEFINED` sentinel. A
`bool` is never a number here although Python says it is: every test is on `type(x) is ...`.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final


class _Undefined:
    """AWS's Undefined: a missing key, a function given arguments it cannot use. Dropped from
    output objects; serialized by itself it is the empty string."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()

# The strings AWS converts to a Decimal (Data types, "To decimal"): no '+', no leading '.', and an
# exponent without '+'.
_DECIMAL_TEXT = re.compile(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?")


def is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def parse_decimal(text: str) -> int | float | _Undefined:
    if _DECIMAL_TEXT.fullmatch(text) is None:
        return UNDEFINED
    if "." in text or "e" in text or "E" in text:
        number = float(text)
        return number if math.isfinite(number) else UNDEFINED
    return int(text)


def to_number(value: Any) -> Any:
    """The standard conversion to a number (Int stays Int): numbers, numeric strings, else
    Undefined (Null also gives Undefined where an operator needs a number)."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str:
        return parse_decimal(value)
    return UNDEFINED


def to_decimal(value: Any) -> float | _Undefined:
    number = to_number(value)
    return UNDEFINED if number is UNDEFINED else float(number)


def to_int_floor(value: Any) -> int | _Undefined:
    """Int conversion as most functions describe it: "rounded down to the nearest Int"."""
    number = to_number(value)
    if number is UNDEFINED:
        return UNDEFINED
    if type(number) is float:
        if not math.isfinite(number):
            return UNDEFINED
        return math.floor(number)
    return number


def to_int_nearest(value: Any) -> int | _Undefined:
    """The standard conversion ("To int"): a Decimal rounds to the nearest Int, a string's
    decimal places are truncated."""
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        return _round_half_up(value) if math.isfinite(value) else UNDEFINED
    if kind is str:
        number = parse_decimal(value)
        if number is UNDEFINED:
            return UNDEFINED
        return int(number)  # type: ignore[arg-type]
    return UNDEFINED


def to_bool(value: Any) -> bool | _Undefined:
    """Booleans, and the strings "true"/"false" in any case; anything else is Undefined."""
    if type(value) is bool:
        return value
    if type(value) is str:
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return UNDEFINED


def to_string(value: Any) -> str | _Undefined:
    """The standard conversion to String: Null and Undefined have none."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return format_decimal(value)
    if kind is list or kind is dict:
        return dumps_text(value)
    return UNDEFINED


def format_decimal(value: float) -> str:
    if value != value or value in (math.inf, -math.inf):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    text = repr(value)
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        text = f"{mantissa}E{int(exponent)}"
    return text


def whole_to_int(value: Any) -> Any:
    """SQL 2016-03-23 processes a whole-number Decimal (10.0) as the Int 10."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def sql_type(value: Any) -> str:
    kind = type(value)
    if kind is bool:
        return "Boolean"
    if kind is int:
        return "Int"
    if kind is float:
        return "Decimal"
    if kind is str:
        return "String"
    if kind is list:
        return "Array"
    if kind is dict:
        return "Object"
    if value is None:
        return "Null"
    return "Undefined"


def equal(left: Any, right: Any) -> Any:
    """The `=` table: Undefined on either side gives Undefined; mismatched types are unequal;
    Int and Decimal compare as Decimals; arrays in order, objects regardless of key order."""
    if left is UNDEFINED or right is UNDEFINED:
        return UNDEFINED
    return _deep_equal(left, right)


def _deep_equal(left: Any, right: Any) -> bool:
    lt, rt = type(left), type(right)
    if lt is bool or rt is bool:
        return lt is rt and left == right
    if (lt is int or lt is float) and (rt is int or rt is float):
        return bool(left == right)
    if lt is not rt:
        return False
    if lt is list:
        return len(left) == len(right) and all(_deep_equal(a, b) for a, b in zip(left, right, strict=True))
    if lt is dict:
        return left.keys() == right.keys() and all(_deep_equal(v, right[k]) for k, v in left.items())
    return bool(left == right)


# Serialization: orjson (a dependency; the standard library is the fallback), with the standard
# library again for what orjson's writer refuses (integers beyond 64 bits, from a cast or literal).
try:
    import orjson as _orjson

    def dumps(value: Any) -> bytes:
        try:
            return _orjson.dumps(value)
        except TypeError:
            return _std_dumps(value).encode()

    loads = _orjson.loads  # ValueError (JSONDecodeError) for what is not JSON

except ImportError:  # pragma: no cover - orjson is in the dependencies

    def dumps(value: Any) -> bytes:
        return _std_dumps(value).encode()

    def loads(data: bytes | bytearray | memoryview | str) -> Any:
        return _std_loads(bytes(data) if isinstance(data, memoryview | bytearray) else data)


def _std_dumps(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _std_loads(data: bytes | bytearray | str) -> Any:
    import json

    return json.loads(data)  # ValueError for what is not JSON


def dumps_text(value: Any) -> str:
    return dumps(value).decode()
