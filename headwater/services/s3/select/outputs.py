"""Writing result rows as CSV or JSON (OutputSerialization)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from headwater.services.s3.select.values import text


class CsvWriter:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.field_delimiter = settings.get("FieldDelimiter") or ","
        self.record_delimiter = settings.get("RecordDelimiter") or "\n"
        self.quote = settings.get("QuoteCharacter") or '"'
        self.escape = settings.get("QuoteEscapeCharacter") or self.quote
        self.always = (settings.get("QuoteFields") or "ASNEEDED").upper() == "ALWAYS"
        self._special = (self.field_delimiter, self.record_delimiter, self.quote, "\n", "\r")

    def write(self, row: Any) -> str:
        values = [value for _, value in row] if isinstance(row, list) else _flat(row)
        return self.field_delimiter.join(self._field(text(v)) for v in values) + self.record_delimiter

    def _field(self, value: str) -> str:
        if self.always or any(mark in value for mark in self._special if mark):
            return self.quote + value.replace(self.quote, self.escape + self.quote) + self.quote
        return value


class JsonWriter:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.record_delimiter = settings.get("RecordDelimiter") or "\n"

    def write(self, row: Any) -> str:
        document = dict(row) if isinstance(row, list) else row
        return json.dumps(document, separators=(",", ":"), default=_json_default) + self.record_delimiter


def _flat(record: Any) -> list[Any]:
    if isinstance(record, dict):
        return list(record.values())
    if isinstance(record, list):
        return record
    return [record]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def writer(settings: Mapping[str, Any]) -> CsvWriter | JsonWriter:
    if settings.get("JSON") is not None:
        return JsonWriter(settings["JSON"] or {})
    return CsvWriter(settings.get("CSV") or {})
