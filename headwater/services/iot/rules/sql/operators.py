"""IoT SQL's operators with the tables of the "Operators" page: which operand types combine, what
converts (numeric strings become Decimals for - * / % and comparisons; `+` concatenates as soon as
one side is a String), and where the answer is Undefined."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from headwater.services.iot.rules.sql.functions import remainder
from headwater.services.iot.rules.sql.values import UNDEFINED, equal, parse_decimal, to_bool, to_string


def _numeric(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str:
        return parse_decimal(value)
    return UNDEFINED


def _finite(value: Any) -> Any:
    return value if type(value) is int or math.isfinite(value) else UNDEFINED


def add(left: Any, right: Any) -> Any:
    lt, rt = type(left), type(right)
    if lt is str or rt is str:
        a, b = to_string(left), to_string(right)
        return UNDEFINED if a is UNDEFINED or b is UNDEFINED else a + b  # type: ignore[operator]
    if (lt is int or lt is float) and (rt is int or rt is float):
        return _finite(left + right)
    return UNDEFINED


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        a, b = _numeric(left), _numeric(right)
        if a is UNDEFINED or b is UNDEFINED:
            return UNDEFINED
        if type(left) is str or type(right) is str:  # "If all strings convert ... a Decimal value"
            a, b = float(a), float(b)
        try:
            return _finite(op(a, b))
        except (ZeroDivisionError, OverflowError):
            return UNDEFINED

    return apply


def _divide(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        quotient = abs(a) // abs(b)  # Java's integer division truncates toward zero
        return quotient if (a < 0) == (b < 0) else -quotient
    return a / b


def _modulo(left: Any, right: Any) -> Any:
    result = remainder(left, right)
    if result is not UNDEFINED and (type(left) is str or type(right) is str):
        return float(result)
    return result


ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": add,
    "-": _arith(lambda a, b: a - b),
    "*": _arith(lambda a, b: a * b),
    "/": _arith(_divide),
    "%": _modulo,
}


def _ordering(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        a, b = _numeric(left), _numeric(right)
        if a is UNDEFINED or b is UNDEFINED:
            return UNDEFINED
        return op(a, b)

    return apply


def _not_equal(left: Any, right: Any) -> Any:
    same = equal(left, right)
    if same is UNDEFINED:
        return UNDEFINED
    if left is None and right is None:
        return False
    return not same


def _in(left: Any, right: Any) -> Any:
    """`x IN array`: whether an element equals x (by `=`'s rules)."""
    if left is UNDEFINED or type(right) is not list:
        return UNDEFINED
    return any(equal(left, item) is True for item in right)


def _contains(left: Any, right: Any) -> Any:
    """`array CONTAINS x` (an element equals x) or `string CONTAINS substring`."""
    if right is UNDEFINED:
        return UNDEFINED
    if type(left) is list:
        return any(equal(item, right) is True for item in left)
    if type(left) is str and type(right) is str:
        return right in left
    return UNDEFINED


COMPARISON: dict[str, Callable[[Any, Any], Any]] = {
    "in": _in,
    "contains": _contains,
    "=": equal,
    "<>": _not_equal,
    "<": _ordering(lambda a, b: a < b),
    "<=": _ordering(lambda a, b: a <= b),
    ">": _ordering(lambda a, b: a > b),
    ">=": _ordering(lambda a, b: a >= b),
}


def logical_and(left: Any, right: Any) -> Any:
    a, b = to_bool(left), to_bool(right)
    if a is UNDEFINED or b is UNDEFINED:
        return UNDEFINED
    return a and b


def logical_or(left: Any, right: Any) -> Any:
    a, b = to_bool(left), to_bool(right)
    if a is UNDEFINED or b is UNDEFINED:
        return UNDEFINED
    return a or b


def logical_not(value: Any) -> Any:
    a = to_bool(value)
    return UNDEFINED if a is UNDEFINED else not a


def negate(value: Any) -> Any:
    number = _numeric(value)
    if number is UNDEFINED:
        return UNDEFINED
    return -float(number) if type(value) is str else -number
