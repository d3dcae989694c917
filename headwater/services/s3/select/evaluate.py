"""Evaluating a parsed S3 Select expression on one record.

`Evaluator(query)` resolves column references against the table alias once per node (cached by
node id) and evaluates WHERE and projections per record. Aggregates are folded by `Aggregator`:
one accumulator per aggregate call, and the projections evaluated once at the end with those
results in place of the calls.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from headwater.services.s3.select import errors
from headwater.services.s3.select.query import Query
from headwater.services.s3.select.values import Step, cast, compare, lookup, number, text

Path = list[tuple[Step, bool]]
_COMPARISONS: dict[type, Callable[[int], bool]] = {
    exp.EQ: lambda c: c == 0,
    exp.NEQ: lambda c: c != 0,
    exp.GT: lambda c: c > 0,
    exp.GTE: lambda c: c >= 0,
    exp.LT: lambda c: c < 0,
    exp.LTE: lambda c: c <= 0,
}


class Evaluator:
    def __init__(self, query: Query) -> None:
        self.query = query
        self._paths: dict[int, Path] = {}
        self.results: dict[int, Any] = {}  # aggregate call id -> its result (at the end)

    def matches(self, record: Any) -> bool:
        where = self.query.where
        return where is None or self.value(where, record) is True

    def value(self, node: exp.Expression, record: Any) -> Any:  # noqa: C901 - one dispatch table
        if id(node) in self.results:
            return self.results[id(node)]
        if isinstance(node, exp.Column | exp.Dot | exp.Bracket):
            return lookup(record, self.path(node))
        if isinstance(node, exp.Literal):
            return node.this if node.is_string else _literal_number(node.this)
        if isinstance(node, exp.Null):
            return None
        if isinstance(node, exp.Boolean):
            return bool(node.this)
        if isinstance(node, exp.Paren):
            return self.value(node.this, record)
        comparison = _COMPARISONS.get(type(node))
        if comparison is not None:
            result = compare(self.value(node.this, record), self.value(node.expression, record))
            return None if result is None else comparison(result)
        if isinstance(node, exp.And):
            left = self.value(node.this, record)
            return False if left is False else _and(left, self.value(node.expression, record))
        if isinstance(node, exp.Or):
            left = self.value(node.this, record)
            return True if left is True else _or(left, self.value(node.expression, record))
        if isinstance(node, exp.Not):
            inner = self.value(node.this, record)
            return None if inner is None else not inner
        if isinstance(node, exp.Is):
            return self._is(node, record)
        if isinstance(node, exp.Between):
            target = self.value(node.this, record)
            low = compare(target, self.value(node.args["low"], record))
            high = compare(target, self.value(node.args["high"], record))
            return None if low is None or high is None else low >= 0 and high <= 0
        if isinstance(node, exp.In):
            target = self.value(node.this, record)
            return any(compare(target, self.value(item, record)) == 0 for item in node.expressions)
        if isinstance(node, exp.Like | exp.ILike | exp.Escape):
            return self._like(node, record)
        if isinstance(node, exp.Cast | exp.TryCast):
            return cast(self.value(node.this, record), node.to.this.name)
        if isinstance(node, exp.Binary):
            return self._arithmetic(node, record)
        if isinstance(node, exp.Neg):
            value = number(self.value(node.this, record))
            return None if value is None else -value
        return self._function(node, record)

    def path(self, node: exp.Expression) -> Path:
        cached = self._paths.get(id(node))
        if cached is None:
            cached = self._paths[id(node)] = self._resolve(_steps(node))
        return cached

    def _resolve(self, steps: Path) -> Path:
        # `s.x` and `S3Object.x` name the record; the alias is optional (`x`, `_1`)
        if len(steps) > 1 and isinstance(steps[0][0], str):
            head = steps[0][0].lower()
            if head == self.query.alias or head == "s3object":
                return steps[1:]
        return steps

    def _is(self, node: exp.Is, record: Any) -> bool:
        target = node.expression
        value = self.value(node.this, record)
        if isinstance(target, exp.Null) or (
            isinstance(target, exp.Column) and target.name.upper() == "MISSING"
        ):
            return value is None
        if isinstance(target, exp.Boolean):
            return value is bool(target.this)
        raise errors.unsupported_syntax()

    def _like(self, node: exp.Expression, record: Any) -> Any:
        escape = None
        if isinstance(node, exp.Escape):
            escape = self.value(node.expression, record)
            node = node.this
        value, pattern = self.value(node.this, record), self.value(node.expression, record)
        if value is None or pattern is None:
            return None
        flags = re.IGNORECASE | re.DOTALL if isinstance(node, exp.ILike) else re.DOTALL
        return _like_pattern(str(pattern), escape, flags).fullmatch(text(value)) is not None

    def _arithmetic(self, node: exp.Binary, record: Any) -> Any:
        left, right = self.value(node.this, record), self.value(node.expression, record)
        if isinstance(node, exp.DPipe):
            return None if left is None or right is None else text(left) + text(right)
        a: Any = number(left)
        b: Any = number(right)
        if a is None or b is None:
            if left is None or right is None:
                return None
            raise errors.evaluator_error()
        if isinstance(a, Decimal) != isinstance(b, Decimal):
            a, b = Decimal(str(a)), Decimal(str(b))
        try:
            if isinstance(node, exp.Add):
                return a + b
            if isinstance(node, exp.Sub):
                return a - b
            if isinstance(node, exp.Mul):
                return a * b
            if isinstance(node, exp.Div):
                return a // b if isinstance(a, int) and isinstance(b, int) else a / b
            if isinstance(node, exp.Mod):
                return a % b
        except ZeroDivisionError:
            raise errors.evaluator_error("Division by zero in the SQL expression.") from None
        raise errors.unsupported_syntax()

    def _function(self, node: exp.Expression, record: Any) -> Any:
        if isinstance(node, exp.Lower | exp.Upper | exp.Length | exp.Trim):
            value = self.value(node.this, record)
            if value is None:
                return None
            if isinstance(node, exp.Lower):
                return text(value).lower()
            if isinstance(node, exp.Upper):
                return text(value).upper()
            if isinstance(node, exp.Length):
                return len(text(value))
            return text(value).strip()
        if isinstance(node, exp.Substring):
            value = self.value(node.this, record)
            start = number(self.value(node.args["start"], record)) if node.args.get("start") else 1
            length = node.args.get("length")
            if value is None or start is None:
                return None
            begin = max(int(start) - 1, 0)
            if length is None:
                return text(value)[begin:]
            count = number(self.value(length, record))
            end = int(start) - 1 + int(count or 0)
            return text(value)[begin : max(end, begin)]
        if isinstance(node, exp.Coalesce):
            for item in (node.this, *node.expressions):
                value = self.value(item, record)
                if value is not None:
                    return value
            return None
        if isinstance(node, exp.Nullif):
            value = self.value(node.this, record)
            return None if compare(value, self.value(node.expression, record)) == 0 else value
        if isinstance(node, exp.Anonymous) and node.name.upper() == "UTCNOW" and not node.expressions:
            return dt.datetime.now(dt.UTC)
        if isinstance(node, exp.Alias):
            return self.value(node.this, record)
        if isinstance(node, exp.Anonymous):
            raise errors.unsupported_function(node.name)
        if isinstance(node, exp.Func):
            raise errors.unsupported_function(node.sql_name())
        raise errors.unsupported_syntax()


def _steps(node: exp.Expression) -> Path:
    if isinstance(node, exp.Column):
        return [(part.name, bool(part.args.get("quoted"))) for part in node.parts]
    if isinstance(node, exp.Dot):
        return [*_steps(node.this), (node.expression.name, bool(node.expression.args.get("quoted")))]
    if isinstance(node, exp.Bracket):
        indexes = node.expressions
        if len(indexes) != 1 or not isinstance(indexes[0], exp.Literal):
            raise errors.unsupported_syntax()
        index = indexes[0]
        step: Step = index.this if index.is_string else int(index.this)
        return [*_steps(node.this), (step, index.is_string)]
    raise errors.unsupported_syntax()


def _literal_number(raw: str) -> int | float | Decimal:
    try:
        return int(raw)
    except ValueError:
        return Decimal(raw) if "e" not in raw.lower() else float(raw)


def _and(left: Any, right: Any) -> Any:
    if right is False:
        return False
    return None if left is None or right is None else bool(left and right)


def _or(left: Any, right: Any) -> Any:
    if right is True:
        return True
    return None if left is None or right is None else bool(left or right)


_LIKE_CACHE: dict[tuple[str, str | None, int], re.Pattern[str]] = {}


def _like_pattern(pattern: str, escape: Any, flags: int) -> re.Pattern[str]:
    key = (pattern, escape, flags)
    compiled = _LIKE_CACHE.get(key)
    if compiled is None:
        parts: list[str] = []
        chars = iter(pattern)
        for char in chars:
            if escape is not None and char == escape:
                parts.append(re.escape(next(chars, "")))
            elif char == "%":
                parts.append(".*")
            elif char == "_":
                parts.append(".")
            else:
                parts.append(re.escape(char))
        if len(_LIKE_CACHE) > 256:
            _LIKE_CACHE.clear()
        compiled = _LIKE_CACHE[key] = re.compile("".join(parts), flags)
    return compiled
