"""GetPartitions' Expression: a SQL-like predicate on partition keys, compiled to a function of a
partition's values.

Supported: comparisons (=, !=, <>, <, <=, >, >=) of a key with a literal, LIKE (with % and _),
IN (...), BETWEEN a AND b, IS [NOT] NULL, AND, OR, NOT and parentheses. Literals are quoted strings
or numbers; a key whose Hive type is numeric compares as a number, any other as a string.
Anything else is AWS's InvalidInputException.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from headwater.services.glue import errors

Predicate = Callable[[Mapping[str, str]], bool]
NUMERIC = {"tinyint", "smallint", "int", "integer", "bigint", "float", "double", "decimal"}

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><>|!=|<=|>=|=|<|>|\(|\)|,)"
    r"|(?P<word>`[^`]+`|[A-Za-z_][A-Za-z0-9_]*))"
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def compile_expression(text: str, key_types: Mapping[str, str]) -> Predicate:
    parser = _Parser(text, {name.lower(): kind.lower() for name, kind in key_types.items()})
    predicate = parser.disjunction()
    if parser.peek() is not None:
        raise parser.error()
    return predicate


class _Parser:
    def __init__(self, text: str, types: dict[str, str]) -> None:
        self.tokens: list[tuple[str, str]] = []
        self.text, self.types = text, types
        pos = 0
        while text[pos:].strip():
            match = _TOKEN.match(text, pos)
            if match is None:
                raise self.error()
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.at = 0

    def error(self) -> Exception:
        return errors.invalid(f"Unsupported expression '{self.text}'")

    def peek(self) -> str | None:
        return self.tokens[self.at][1].upper() if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise self.error()
        self.at += 1
        return self.tokens[self.at - 1]

    def expect(self, word: str) -> None:
        if self.take()[1].upper() != word:
            raise self.error()

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.peek() == "AND":
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def negation(self) -> Predicate:
        if self.peek() == "NOT":
            self.take()
            inner = self.negation()
            return lambda row: not inner(row)
        if self.peek() == "(":
            self.take()
            inner = self.disjunction()
            self.expect(")")
            return inner
        return self.comparison()

    def literal(self, numeric: bool) -> Any:
        kind, text = self.take()
        if kind == "str":
            text = text[1:-1].replace("''", "'")
        elif kind != "num":
            raise self.error()
        return _number(text) if numeric else text

    def comparison(self) -> Predicate:
        kind, word = self.take()
        name = word.strip("`").lower()
        if kind != "word" or name not in self.types:
            raise errors.invalid(f"Unknown column '{word}' in expression '{self.text}'")
        numeric = self.types[name].split("(")[0] in NUMERIC

        def value(row: Mapping[str, str]) -> Any:
            raw = row[name]
            return _number(raw, strict=False) if numeric else raw

        op = self.peek()
        if op in _COMPARE:
            self.take()
            compare, literal = _COMPARE[op], self.literal(numeric)
            return lambda row: _safe(compare, value(row), literal)
        negate = op == "NOT"
        if negate:
            self.take()
            op = self.peek()
        self.take()
        if op == "LIKE":
            pattern = re.compile(_like(str(self.literal(False))), re.DOTALL)
            return lambda row: (pattern.fullmatch(row[name]) is not None) != negate
        if op == "IN":
            self.expect("(")
            options = [self.literal(numeric)]
            while self.peek() == ",":
                self.take()
                options.append(self.literal(numeric))
            self.expect(")")
            return lambda row: (value(row) in options) != negate
        if op == "BETWEEN":
            low = self.literal(numeric)
            self.expect("AND")
            high = self.literal(numeric)
            return lambda row: _safe(lambda v, _: low <= v <= high, value(row), None) != negate
        if op == "IS":
            negate = self.peek() == "NOT"
            if negate:
                self.take()
            self.expect("NULL")
            return lambda row: (row.get(name) is None) != negate
        raise self.error()


def _number(text: str, strict: bool = True) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        if strict:
            raise errors.invalid(f"Invalid number: {text}") from None
        return None


def _safe(compare: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    try:
        return left is not None and compare(left, right)
    except TypeError:
        return False


def _like(pattern: str) -> str:
    return "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
