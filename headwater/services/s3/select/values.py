"""Values in S3 Select: records, path lookups, comparison with S3's loose typing, and CAST.

A CSV record is a list of strings with the header's names (FileHeaderInfo USE); a JSON or Parquet
record is the decoded value (a dict, usually). CSV fields are text until CAST: comparing a text
field with a number compares numerically when the text is a number, as S3 Select does. NULL and
MISSING are both None here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from headwater.services.s3.select import errors

Step = str | int  # a field name, or an index ([0])


@dataclass(slots=True)
class CsvRecord:
    fields: list[str]
    header: dict[str, int] | None  # exact names -> index
    folded: dict[str, int] | None  # lower-cased names -> index


def header_maps(names: Sequence[str]) -> tuple[dict[str, int], dict[str, int]]:
    exact = {name: i for i, name in enumerate(names)}
    folded = {name.lower(): i for i, name in enumerate(names)}
    return exact, folded


def lookup(record: Any, path: Sequence[tuple[Step, bool]]) -> Any:
    """The value at `path` (steps with their quoted flag) in `record`; None when absent."""
    value = record
    for step, quoted in path:
        if value is None:
            return None
        if isinstance(value, CsvRecord):
            value = _csv_field(value, step, quoted)
        elif isinstance(step, int):
            value = value[step] if isinstance(value, list) and -len(value) <= step < len(value) else None
        elif isinstance(value, dict):
            if step in value:
                value = value[step]
            elif quoted:
                return None
            else:
                lowered = step.lower()
                value = next((v for k, v in value.items() if str(k).lower() == lowered), None)
        else:
            return None
    return value


def _csv_field(record: CsvRecord, step: Step, quoted: bool) -> Any:
    if isinstance(step, int):
        return None
    if step.startswith("_") and step[1:].isdigit():
        index = int(step[1:])
        if index < 1:
            raise errors.invalid_column_index()
        return record.fields[index - 1] if index <= len(record.fields) else None
    if record.header is None or record.folded is None:
        return None
    at = record.header.get(step)
    if at is None and not quoted:
        at = record.folded.get(step.lower())
    return record.fields[at] if at is not None and at < len(record.fields) else None


def number(value: Any) -> int | float | Decimal | None:
    """A number from a number or numeric text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return None
    return None


def compare(left: Any, right: Any) -> int | None:
    """-1/0/1, or None when either side is NULL or they cannot be compared."""
    if left is None or right is None:
        return None
    if isinstance(left, str) != isinstance(right, str) or (isinstance(left, bool) != isinstance(right, bool)):
        a: Any = number(left)
        b: Any = number(right)
        if a is None or b is None:
            if isinstance(left, bool) or isinstance(right, bool):
                a, b = str(left).lower(), str(right).lower()
                return (a > b) - (a < b)
            return None
        return (a > b) - (a < b)
    try:
        return (left > right) - (left < right)
    except TypeError:
        return None


def cast(value: Any, type_name: str) -> Any:
    if value is None:
        return None
    try:
        if type_name in ("INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT"):
            if isinstance(value, str):
                return int(Decimal(value.strip()))
            return int(value)
        if type_name in ("FLOAT", "DOUBLE", "REAL"):
            return float(value.strip() if isinstance(value, str) else value)
        if type_name in ("DECIMAL", "NUMERIC"):
            return Decimal(value.strip() if isinstance(value, str) else str(value))
        if type_name in ("TEXT", "VARCHAR", "CHAR", "STRING", "NVARCHAR"):
            return text(value)
        if type_name == "BOOLEAN":
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise ValueError(value)
        if type_name in ("TIMESTAMP", "DATETIME", "TIMESTAMPTZ"):
            if isinstance(value, dt.datetime):
                return value
            return dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, InvalidOperation, TypeError, ArithmeticError):
        raise errors.cast_failed() from None
    raise errors.unsupported_syntax()


def text(value: Any) -> str:
    """A value as S3 Select writes it in CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)
