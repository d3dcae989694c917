"""The input SerDes: a record's JSON into a row of the table's columns.

OpenXJsonSerDe: keys lower-cased unless CaseInsensitive is false, dots in keys turned into
underscores when ConvertDotsInJsonKeysToUnderscores, ColumnToJsonKeyMappings naming the JSON key of
a column; lenient about numbers in strings; timestamps as epoch seconds, milliseconds or float
seconds, or text. HiveJsonSerDe: keys matched case-insensitively, strict types, timestamps read with
the TimestampFormats (Joda patterns; "millis" for epoch milliseconds) before Hive's default forms.
A record may hold several JSON objects one after the other (each becomes a row); JSON keys that
name no column are ignored and columns no key names are null, as the SerDes do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from headwater.services.firehose.convert.joda import compile_pattern
from headwater.services.firehose.convert.values import Coerce, Rules, coercer

_DECODER = json.JSONDecoder()
_NAME_CACHE = 10_000


class ConfigError(ValueError):
    """The deserializer's configuration cannot be honoured (a bad Joda pattern...)."""


def rules_of(deserializer: Mapping[str, Any]) -> Rules:
    if "HiveJsonSerDe" in deserializer:
        formats = list((deserializer["HiveJsonSerDe"] or {}).get("TimestampFormats") or [])
        try:
            parsers = tuple(compile_pattern(f) for f in formats if f != "millis")
        except ValueError as error:
            raise ConfigError(str(error)) from None
        return Rules(strict=True, key=str.lower, timestamp_formats=parsers, millis="millis" in formats)
    openx = deserializer.get("OpenXJsonSerDe") or {}
    lower = openx.get("CaseInsensitive", True) is not False
    dots = bool(openx.get("ConvertDotsInJsonKeysToUnderscores"))

    def key(name: str) -> str:
        name = name.replace(".", "_") if dots else name
        return name.lower() if lower else name

    mappings = {
        column.lower(): json_key for column, json_key in (openx.get("ColumnToJsonKeyMappings") or {}).items()
    }
    return Rules(strict=False, key=key, mappings=mappings)


class RowReader:
    """Rows (one list of column values per JSON object) from a record's bytes."""

    def __init__(self, schema: pa.Schema, rules: Rules) -> None:
        self._rules = rules
        self._names: dict[str, str] = {}  # JSON key -> its normalized name: keys repeat record after record
        self._columns: list[tuple[str, str | None, Coerce]] = []
        for column in schema:
            mapped = rules.mappings.get(column.name.lower())
            self._columns.append(
                (rules.key(column.name) if mapped is None else "", mapped, coercer(column.type, rules))
            )

    def rows(self, data: bytes) -> list[list[Any]]:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"The record is not UTF-8: {error}") from None
        rows: list[list[Any]] = []
        at = _skip(text, 0)
        while at < len(text):
            try:
                value, at = _DECODER.raw_decode(text, at)
            except json.JSONDecodeError as error:
                raise ValueError(f"Malformed JSON: {error}") from None
            if not isinstance(value, dict):
                raise ValueError("The record is not a JSON object")
            rows.append(self._row(value))
            at = _skip(text, at)
        if not rows:
            raise ValueError("The record is empty")
        return rows

    def _row(self, document: dict[str, Any]) -> list[Any]:
        keyed = {}
        names = self._names
        for key, value in document.items():
            name = names.get(key)
            if name is None:
                name = self._rules.key(key)
                if len(names) < _NAME_CACHE:
                    names[key] = name
            keyed[name] = value
        row = []
        for name, mapped, coerce in self._columns:
            value = document.get(mapped) if mapped is not None else keyed.get(name)
            try:
                row.append(coerce(value))
            except ValueError as error:
                raise ValueError(f"Column '{name or mapped}': {error}") from None
        return row


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at
