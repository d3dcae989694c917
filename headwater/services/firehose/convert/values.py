"""JSON values coerced to a column's pyarrow type, with the two SerDes' rules.

Theory of operation
-------------------
`coercer(type, rules)` builds, once per column, a function from a decoded JSON value to what
`pyarrow.array(..., type=...)` takes (ints, floats, Decimals, epoch milliseconds, days, lists,
dicts, (key, value) pairs for maps), raising `ValueError` with a message for the error document
when the value cannot be that type. OpenX is lenient (numeric and boolean strings are parsed,
epoch seconds, milliseconds or float seconds are timestamps); Hive is strict (a number column
takes JSON numbers only) and reads timestamps with its TimestampFormats. Both make strings of
scalars for a string column and JSON text of objects and arrays, as Hive's SerDes do.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from headwater.services.firehose.convert.joda import Parser

Coerce = Callable[[Any], Any]
_INT_RANGES = {8: 1 << 7, 16: 1 << 15, 32: 1 << 31, 64: 1 << 63}
_EPOCH = date(1970, 1, 1)
# below this an integer timestamp is epoch seconds (year 5138 in seconds), above it milliseconds
_SECONDS_LIMIT = 100_000_000_000
_NANOS = re.compile(r"(\.\d{6})\d+")  # Python reads microseconds; Hive writes up to nanoseconds


@dataclass(frozen=True)
class Rules:
    strict: bool  # HiveJsonSerDe
    key: Callable[[str], str]  # a JSON key as the columns name it (lower-cased, dots converted...)
    timestamp_formats: tuple[Parser, ...] = ()
    millis: bool = False  # Hive's "millis" format: integers are epoch milliseconds
    mappings: Mapping[str, str] = field(default_factory=dict)  # column -> JSON key (top level)


def coercer(dtype: pa.DataType, rules: Rules) -> Coerce:
    inner = _build(dtype, rules)

    def coerce(value: Any) -> Any:
        return None if value is None else inner(value)

    return coerce


def unchanged(dtype: pa.DataType) -> tuple[frozenset[type], tuple[int, int] | None]:
    """The classes of values a column's coercer returns as they are (None included), and for an
    integer column the range they must be in: a column holding only those needs no coercing."""
    none = type(None)
    if pa.types.is_boolean(dtype):
        return frozenset({bool, none}), None
    if pa.types.is_integer(dtype):
        return frozenset({int, none}), (-_INT_RANGES[dtype.bit_width], _INT_RANGES[dtype.bit_width])
    if pa.types.is_floating(dtype):
        return frozenset({float, none}), None
    if pa.types.is_string(dtype):
        return frozenset({str, none}), None
    return frozenset(), None


def _build(dtype: pa.DataType, rules: Rules) -> Coerce:
    if pa.types.is_boolean(dtype):
        return lambda v: _boolean(v, rules.strict)
    if pa.types.is_integer(dtype):
        low, high = -_INT_RANGES[dtype.bit_width], _INT_RANGES[dtype.bit_width]
        # the common case inline (a plain int in range), the rest with its rules and messages
        return lambda v: (
            v if v.__class__ is int and low <= v < high else _integer(v, dtype.bit_width, rules.strict)
        )
    if pa.types.is_floating(dtype):
        return lambda v: v if v.__class__ is float else _float(v, rules.strict)
    if pa.types.is_decimal(dtype):
        return lambda v: _decimal(v, dtype.precision, dtype.scale, rules.strict)
    if pa.types.is_string(dtype):
        return lambda v: v if v.__class__ is str else _string(v)
    if pa.types.is_binary(dtype):
        return lambda v: _string(v).encode()
    if pa.types.is_timestamp(dtype):
        return lambda v: _timestamp(v, rules)
    if pa.types.is_date(dtype):
        return _date
    if pa.types.is_list(dtype):
        item = coercer(dtype.value_type, rules)
        return lambda v: [item(x) for x in _expect(v, list, "an array")]
    if pa.types.is_map(dtype):
        key, value = coercer(dtype.key_type, rules), coercer(dtype.item_type, rules)
        return lambda v: [(key(k), value(x)) for k, x in _expect(v, dict, "an object").items()]
    if pa.types.is_struct(dtype):
        return _struct(dtype, rules)
    raise ValueError(f"Unsupported column type {dtype}")


def _expect(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"Expected {what}, got {json.dumps(value)[:100]}")
    return value


def _struct(dtype: pa.StructType, rules: Rules) -> Coerce:
    fields = [
        (f.name.lower(), coercer(f.type, rules), f.name)
        for f in (dtype.field(i) for i in range(dtype.num_fields))
    ]

    def coerce(value: Any) -> Any:
        given = {rules.key(k): x for k, x in _expect(value, dict, "an object").items()}
        return {name: convert(given.get(wanted)) for wanted, convert, name in fields}

    return coerce


def _boolean(value: Any, strict: bool) -> bool:
    if isinstance(value, bool):
        return value
    if not strict and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"Cannot convert {json.dumps(value)[:100]} to boolean")


def _integer(value: Any, bits: int, strict: bool) -> int:
    result: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    elif isinstance(value, float) and value.is_integer():
        result = int(value)
    elif not strict and isinstance(value, str):
        try:
            result = int(value.strip())
        except ValueError:
            result = None
    if result is None:
        raise ValueError(f"Cannot convert {json.dumps(value)[:100]} to an integer")
    if not -_INT_RANGES[bits] <= result < _INT_RANGES[bits]:
        raise ValueError(f"Value {result} is out of range for a {bits}-bit integer")
    return result


def _float(value: Any, strict: bool) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not strict and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"Cannot convert {json.dumps(value)[:100]} to a floating point number")


def _decimal(value: Any, precision: int, scale: int, strict: bool) -> Decimal:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, str))
        or (strict and isinstance(value, str))
    ):
        raise ValueError(f"Cannot convert {json.dumps(value)[:100]} to decimal({precision},{scale})")
    try:
        result = Decimal(str(value)).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)  # as HiveDecimal
    except InvalidOperation:
        raise ValueError(
            f"Cannot convert {json.dumps(value)[:100]} to decimal({precision},{scale})"
        ) from None
    if len(result.as_tuple().digits) > precision:
        raise ValueError(f"Value {value} does not fit decimal({precision},{scale})")
    return result


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _timestamp(value: Any, rules: Rules) -> int:
    if isinstance(value, bool):
        raise ValueError(f"Cannot convert {value} to a timestamp")
    if isinstance(value, (int, float)):
        if rules.strict and not rules.millis:
            raise ValueError(f"Cannot convert {value} to a timestamp: give TimestampFormats 'millis'")
        if rules.millis or (isinstance(value, int) and abs(value) >= _SECONDS_LIMIT):
            return int(value)
        if not math.isfinite(value):
            raise ValueError(f"Cannot convert {value} to a timestamp")
        return round(value * 1000)
    if not isinstance(value, str):
        raise ValueError(f"Cannot convert {json.dumps(value)[:100]} to a timestamp")
    if rules.millis and value.strip().lstrip("-").isdigit():
        return int(value)
    for parse in rules.timestamp_formats:
        try:
            return parse(value)
        except ValueError:
            continue
    return _default_timestamp(value)


def _default_timestamp(text: str) -> int:
    """Hive's default text forms: "yyyy-MM-dd HH:mm:ss[.fffffffff]" and ISO 8601 (T, Z or offset)."""
    try:
        at = datetime.fromisoformat(_NANOS.sub(r"\1", text.strip()).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Cannot parse '{text[:100]}' as a timestamp") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _date(value: Any) -> int:
    if isinstance(value, str):
        try:
            return (date.fromisoformat(value.strip()[:10]) - _EPOCH).days
        except ValueError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool):
        return value  # days since the epoch
    raise ValueError(f"Cannot convert {json.dumps(value)[:100]} to a date")
