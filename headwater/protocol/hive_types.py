"""Hive type strings, as Glue columns carry them, parsed into pyarrow types (a format library:
Glue stores the strings, Firehose's record format conversion reads them; services are independent).

Grammar (case-insensitive names, whitespace allowed between tokens)::

    type      := primitive | decimal | char | varchar | array | map | struct | uniontype
    decimal   := "decimal" [ "(" int [ "," int ] ")" ]          -- default (10, 0)
    char      := "char" "(" int ")"       varchar := "varchar" "(" int ")"
    array     := "array" "<" type ">"     map := "map" "<" type "," type ">"
    struct    := "struct" "<" [ field { "," field } ] ">"      field := name ":" type

Struct field names may be backquoted (`a b`); char/varchar become strings (their lengths are
checked, then dropped: Parquet and ORC readers see strings). A string that is not a type raises
`HiveTypeError` with the position where parsing stopped.
"""

from __future__ import annotations

import re

import pyarrow as pa

PRIMITIVES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "double precision": pa.float64(),
    "string": pa.string(),
    "binary": pa.binary(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms"),
}

_TOKEN = re.compile(r"\s*(`[^`]*`|double\s+precision|[A-Za-z_][A-Za-z0-9_]*|\d+|[<>(),:])", re.IGNORECASE)


class HiveTypeError(ValueError):
    pass


def parse(text: str) -> pa.DataType:
    """The pyarrow type of a Hive type string ("array<struct<a:int,b:string>>" ...)."""
    parser = _Parser(text)
    result = parser.type()
    parser.end()
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _peek(self) -> str | None:
        match = _TOKEN.match(self.text, self.pos)
        return match.group(1) if match else None

    def _next(self) -> str:
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            raise self._error("expected a token")
        self.pos = match.end()
        return match.group(1)

    def _expect(self, token: str) -> None:
        if self._next() != token:
            raise self._error(f"expected '{token}'")

    def _error(self, what: str) -> HiveTypeError:
        return HiveTypeError(f"Error parsing type '{self.text}' at position {self.pos}: {what}")

    def _int(self) -> int:
        token = self._next()
        if not token.isdigit():
            raise self._error("expected a number")
        return int(token)

    def end(self) -> None:
        if self.text[self.pos :].strip():
            raise self._error("unexpected text after the type")

    def type(self) -> pa.DataType:
        name = " ".join(self._next().lower().split())
        if name in PRIMITIVES:
            return PRIMITIVES[name]
        if name == "decimal":
            return self._decimal()
        if name in ("char", "varchar"):
            self._expect("(")
            length = self._int()
            self._expect(")")
            limit = 255 if name == "char" else 65535
            if not 1 <= length <= limit:
                raise self._error(f"{name} length must be between 1 and {limit}")
            return pa.string()
        if name == "array":
            self._expect("<")
            item = self.type()
            self._expect(">")
            return pa.list_(item)
        if name == "map":
            self._expect("<")
            key = self.type()
            self._expect(",")
            value = self.type()
            self._expect(">")
            return pa.map_(key, value)
        if name == "struct":
            return self._struct()
        raise self._error(f"unknown type '{name}'")

    def _decimal(self) -> pa.DataType:
        precision, scale = 10, 0
        if self._peek() == "(":
            self._next()
            precision = self._int()
            if self._peek() == ",":
                self._next()
                scale = self._int()
            self._expect(")")
        if not 1 <= precision <= 38 or not 0 <= scale <= precision:
            raise self._error("decimal precision must be 1-38 and scale 0-precision")
        return pa.decimal128(precision, scale)

    def _struct(self) -> pa.DataType:
        self._expect("<")
        fields: list[pa.Field] = []
        if self._peek() == ">":
            self._next()
            return pa.struct(fields)
        while True:
            name = self._next()
            if name in "<>(),:":
                raise self._error("expected a field name")
            self._expect(":")
            fields.append(pa.field(name.strip("`"), self.type()))
            token = self._next()
            if token == ">":
                return pa.struct(fields)
            if token != ",":
                raise self._error("expected ',' or '>'")
