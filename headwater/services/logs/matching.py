"""Evaluating parsed filter patterns (`patterns.py`) against log event messages.

`compile_pattern(text)` returns a predicate over messages. Term patterns match substrings
(case-sensitive, as CloudWatch Logs does). JSON patterns match only messages that are a JSON object;
a selector that leads nowhere fails every comparison except ``NOT EXISTS`` (and ``!=``, which holds
only for a value that exists). Space-delimited patterns split the message at spaces, keeping a
"quoted" or [bracketed] run as one field without its quotes or brackets, and align the pattern's
fields with the message's (``...`` absorbs any number); an alignment must satisfy every condition.
Numbers compare as numbers when the pattern's value is an unquoted number; text compares with
``*`` as a wildcard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from headwater.services.logs.patterns import BoolOp, Delimited, Expr, JsonPattern, Terms, Test, parse

Matcher = Callable[[str], bool]
_MISSING = object()


@lru_cache(maxsize=256)
def compile_pattern(text: str) -> Matcher:
    """Raises PatternError for a pattern that does not parse."""
    pattern = parse(text)
    if isinstance(pattern, Terms):
        return _terms_matcher(pattern)
    if isinstance(pattern, JsonPattern):
        return lambda message: _json_match(pattern.expr, message)
    return lambda message: _delimited_match(pattern, message)


def _terms_matcher(pattern: Terms) -> Matcher:
    def found(term: Any, message: str) -> bool:
        return bool(term.regex.search(message)) if term.regex is not None else term.text in message

    required = [t for t in pattern.terms if t.kind == "all"]
    excluded = [t for t in pattern.terms if t.kind == "not"]
    optional = [t for t in pattern.terms if t.kind == "any"]

    def match(message: str) -> bool:
        return (
            all(found(t, message) for t in required)
            and not any(found(t, message) for t in excluded)
            and (not optional or any(found(t, message) for t in optional))
        )

    return match


def _json_match(expr: Expr, message: str) -> bool:
    if not message.lstrip().startswith("{"):
        return False
    try:
        document = json.loads(message)
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    return _evaluate(expr, lambda path: _select(document, path))


def _select(document: Any, path: tuple[str | int, ...] | str) -> Any:
    node = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                return _MISSING
            node = node[step]
    return node


def _evaluate(expr: Expr, lookup: Callable[[Any], Any]) -> bool:
    if isinstance(expr, BoolOp):
        if expr.op == "&&":
            return _evaluate(expr.left, lookup) and _evaluate(expr.right, lookup)
        return _evaluate(expr.left, lookup) or _evaluate(expr.right, lookup)
    return _test(expr, lookup(expr.path))


def _test(test: Test, value: Any) -> bool:
    if test.op == "NOT EXISTS":
        return value is _MISSING
    if value is _MISSING:
        return False
    if test.op == "IS TRUE":
        return value is True
    if test.op == "IS FALSE":
        return value is False
    if test.op == "IS NULL":
        return value is None
    assert test.value is not None
    wanted = test.value.number()
    if wanted is not None:
        actual = _number(value)
        if actual is None:
            return test.op == "!=" and not _text_equal(test.value.text, value)
        return _compare(test.op, actual, wanted)
    equal = _text_equal(test.value.text, value)
    return equal if test.op == "=" else not equal


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _compare(op: str, actual: float, wanted: float) -> bool:
    return {
        "=": actual == wanted,
        "!=": actual != wanted,
        "<": actual < wanted,
        "<=": actual <= wanted,
        ">": actual > wanted,
        ">=": actual >= wanted,
    }[op]


def _text_equal(pattern: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if "*" not in pattern:
        return value == pattern
    return _wildcard(pattern).fullmatch(value) is not None


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def split_fields(message: str) -> list[str]:
    """A message's space-delimited fields; "quoted" and [bracketed] runs are one field each."""
    fields: list[str] = []
    i, n = 0, len(message)
    while i < n:
        if message[i].isspace():
            i += 1
            continue
        closer = {'"': '"', "[": "]"}.get(message[i])
        if closer is not None:
            end = message.find(closer, i + 1)
            if end >= 0:
                fields.append(message[i + 1 : end])
                i = end + 1
                continue
        start = i
        while i < n and not message[i].isspace():
            i += 1
        fields.append(message[start:i])
    return fields


def _delimited_match(pattern: Delimited, message: str) -> bool:
    values = split_fields(message)
    return any(
        all(_evaluate(cond, _field_lookup(bound)) for cond in pattern.conditions)
        for bound in _alignments(pattern.fields, values)
    )


def _field_lookup(bound: Mapping[str, str]) -> Callable[[Any], Any]:
    return lambda name: bound.get(name, _MISSING)


def _alignments(fields: tuple[str | None, ...], values: list[str]) -> list[Mapping[str, str]]:
    """Every binding of the pattern's field names to the message's fields (at most a few dozen)."""
    out: list[Mapping[str, str]] = []

    def walk(f: int, v: int, bound: dict[str, str]) -> None:
        if len(out) >= 64:
            return
        if f == len(fields):
            if v == len(values):
                out.append(dict(bound))
            return
        name = fields[f]
        if name is None:
            for skip in range(v, len(values) + 1):
                walk(f + 1, skip, bound)
            return
        if v < len(values):
            walk(f + 1, v + 1, {**bound, name: values[v]})

    walk(0, 0, {})
    return out
