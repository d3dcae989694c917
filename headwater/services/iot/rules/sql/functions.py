"""IoT SQL's pure functions (math, strings, collections, hashes), each with the argument tables of
the "Functions" page: wrong types convert by the standard rules or give Undefined, never an error.

`PURE` maps a lower-case name to (implementation, fewest arguments, most arguments, first version).
The message's own functions (topic(), clientid()...) are in `message_functions`.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal, InvalidOperation, localcontext
from typing import Any, NamedTuple

from headwater.services.iot.rules.sql.values import (
    UNDEFINED,
    equal,
    is_number,
    to_decimal,
    to_int_floor,
    to_int_nearest,
    to_number,
    to_string,
)


class Spec(NamedTuple):
    impl: Callable[..., Any]
    min_args: int
    max_args: int
    since_2016: bool = False
    contextual: bool = False  # the implementation takes the Context first


def _double(fn: Callable[[float], float]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        number = to_decimal(value)
        if number is UNDEFINED:
            return UNDEFINED
        try:
            result = fn(number)  # type: ignore[arg-type]
        except (ValueError, OverflowError):  # imaginary or too large: Undefined
            return UNDEFINED
        return result if math.isfinite(result) else UNDEFINED

    return apply


def _abs(value: Any) -> Any:
    number = to_number(value)
    if number is UNDEFINED:
        return UNDEFINED
    return abs(number) if type(value) is not str else float(abs(number))


def _round_away(number: float) -> int:
    return int(math.copysign(math.floor(abs(number) + 0.5), number))


def _rounder(fn: Callable[[float], int]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        number = to_number(value)
        if number is UNDEFINED or type(number) is int:
            return number
        return fn(number) if math.isfinite(number) else UNDEFINED

    return apply


def _sign(value: Any) -> Any:
    number = to_number(value)
    if number is UNDEFINED:
        return UNDEFINED
    return (number > 0) - (number < 0)


def remainder(left: Any, right: Any) -> Any:
    """`%`, mod() and remainder(): Int % Int is an Int; the sign follows the dividend (as Java's)."""
    a, b = to_number(left), to_number(right)
    if a is UNDEFINED or b is UNDEFINED or b == 0:
        return UNDEFINED
    if type(a) is int and type(b) is int:
        return int(math.copysign(abs(a) % abs(b), a)) if a % b else 0
    return math.fmod(a, b)


def _power(base: Any, exponent: Any) -> Any:
    a, b = to_decimal(base), to_decimal(exponent)
    if a is UNDEFINED or b is UNDEFINED:
        return UNDEFINED
    try:
        result = math.pow(a, b)  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return UNDEFINED
    return result if math.isfinite(result) else UNDEFINED


def _atan2(y: Any, x: Any) -> Any:
    a, b = to_decimal(y), to_decimal(x)
    if a is UNDEFINED or b is UNDEFINED:
        return UNDEFINED
    return math.atan2(a, b)  # type: ignore[arg-type]


def _bits(op: Callable[[int, int], int]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        a, b = to_int_floor(left), to_int_floor(right)
        if a is UNDEFINED or b is UNDEFINED:
            return UNDEFINED
        return op(a, b)  # type: ignore[arg-type]

    return apply


def _bitnot(value: Any) -> Any:
    number = to_int_floor(value)
    return UNDEFINED if number is UNDEFINED else ~number  # type: ignore[operator]


def _trunc(value: Any, places: Any) -> Any:
    if type(value) is int and type(places) is int:
        return value
    number, digits = to_number(value), to_int_floor(places)
    if number is UNDEFINED or digits is UNDEFINED:
        return UNDEFINED
    digits = min(max(digits, 0), 34)  # type: ignore[type-var]
    try:
        with localcontext(prec=1100):  # 34 places of a number up to 1E999
            exact = Decimal(repr(number)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN)  # type: ignore[operator]
    except InvalidOperation:
        return UNDEFINED
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def _chr(value: Any) -> Any:
    code = to_int_floor(value)
    if code is UNDEFINED or not 0 <= code < 128:  # type: ignore[operator]
        return UNDEFINED
    return chr(code)  # type: ignore[arg-type]


def _text(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        text = to_string(value)
        return UNDEFINED if text is UNDEFINED else fn(text)  # type: ignore[arg-type]

    return apply


def _text2(fn: Callable[[str, str], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        a, b = to_string(left), to_string(right)
        if a is UNDEFINED or b is UNDEFINED:
            return UNDEFINED
        return fn(a, b)  # type: ignore[arg-type]

    return apply


_BLANK = "".join(chr(code) for code in range(33))  # Java's trim(): every character up to U+0020


def _pad(left: bool) -> Callable[[Any, Any], Any]:
    def apply(value: Any, count: Any) -> Any:
        text, spaces = to_string(value), to_int_floor(count)
        if text is UNDEFINED or spaces is UNDEFINED:
            return UNDEFINED
        pad = " " * min(max(spaces, 0), 1000)  # type: ignore[type-var,operator]
        return pad + text if left else text + pad  # type: ignore[operator]

    return apply


_ABSENT: Any = object()  # an argument not given (unlike one given and Undefined)


def _substring(value: Any, start: Any, end: Any = _ABSENT) -> Any:
    text, first = to_string(value), to_int_floor(start)
    if text is UNDEFINED or first is UNDEFINED:
        return UNDEFINED
    size = len(text)  # type: ignore[arg-type]
    first = min(max(first, 0), size)  # type: ignore[type-var]
    if end is _ABSENT:
        return text[first:]  # type: ignore[index]
    last = to_int_floor(end)
    if last is UNDEFINED:
        return UNDEFINED
    last = min(max(last, 0), size)  # type: ignore[type-var]
    return text[first:last] if first < last else ""  # type: ignore[index,operator]


def _length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # Java counts UTF-16 code units


def _regex(pattern: Any) -> re.Pattern[str] | None:
    text = to_string(pattern)
    if text is UNDEFINED:
        return None
    try:
        return _compile_regex(text)  # type: ignore[arg-type]
    except (re.error, RecursionError, OverflowError):
        return None


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _compile_regex(text: str) -> re.Pattern[str]:
    compiled = _REGEX_CACHE.get(text)
    if compiled is None:
        if len(_REGEX_CACHE) > 256:
            _REGEX_CACHE.clear()
        compiled = _REGEX_CACHE[text] = re.compile(text)
    return compiled


def _regexp_matches(value: Any, pattern: Any) -> Any:
    text, compiled = to_string(value), _regex(pattern)
    if text is UNDEFINED or compiled is None:
        return UNDEFINED
    return compiled.search(text) is not None  # type: ignore[arg-type]


def _regexp_substr(value: Any, pattern: Any) -> Any:
    text, compiled = to_string(value), _regex(pattern)
    if text is UNDEFINED or compiled is None:
        return UNDEFINED
    found = compiled.search(text)  # type: ignore[arg-type]
    return found.group(0) if found else ""


_JAVA_GROUP = re.compile(r"\\(.)|\$(\d+)|\$\{(\w+)\}|(\\)")


def _java_replacement(replacement: str) -> str | None:
    """Java's `$1` / `${name}` / `\\$` replacement syntax as Python's `\\g<1>`."""
    if replacement.endswith("\\") and not replacement.endswith("\\\\"):
        return None
    out = []
    last = 0
    for found in _JAVA_GROUP.finditer(replacement):
        out.append(replacement[last : found.start()].replace("\\", "\\\\"))
        escaped, number, name, _ = found.groups()
        if escaped is not None:
            out.append("\\\\" if escaped == "\\" else escaped)
        elif number is not None or name is not None:
            out.append(f"\\g<{number or name}>")
        last = found.end()
    tail = replacement[last:]
    if "$" in tail:
        return None
    out.append(tail)
    return "".join(out)


def _regexp_replace(value: Any, pattern: Any, replacement: Any) -> Any:
    text, compiled, repl = to_string(value), _regex(pattern), to_string(replacement)
    if text is UNDEFINED or compiled is None or repl is UNDEFINED:
        return UNDEFINED
    python = _java_replacement(repl)  # type: ignore[arg-type]
    if python is None:
        return UNDEFINED
    try:
        return compiled.sub(python, text)  # type: ignore[arg-type]
    except (re.error, IndexError):
        return UNDEFINED


def _replace(value: Any, old: Any, new: Any) -> Any:
    a, b, c = to_string(value), to_string(old), to_string(new)
    if a is UNDEFINED or b is UNDEFINED or c is UNDEFINED:
        return UNDEFINED
    return a.replace(b, c)  # type: ignore[union-attr,arg-type]


def _affix(starts: bool) -> Callable[[Any, Any], Any]:
    def apply(value: Any, affix: Any) -> Any:
        a, b = to_string(value), to_string(affix)
        if a is UNDEFINED or b is UNDEFINED:
            return UNDEFINED
        return a.startswith(b) if starts else a.endswith(b)  # type: ignore[union-attr,arg-type]

    return apply


def _hash(name: str) -> Callable[[Any], Any]:
    return _text(lambda text: hashlib.new(name, text.encode()).hexdigest())


def concat(*values: Any) -> Any:
    if not values:
        return UNDEFINED
    if len(values) == 1:
        return values[0]
    if any(type(value) is list for value in values):
        out: list[Any] = []
        for value in values:
            if type(value) is list:
                out.extend(value)
            elif value is not UNDEFINED:
                out.append(value)
        return out
    if not any(type(value) is str for value in values):
        return UNDEFINED
    texts = [to_string(value) for value in values]
    return UNDEFINED if UNDEFINED in texts else "".join(texts)  # type: ignore[arg-type]


def get(collection: Any, key: Any) -> Any:
    kind = type(collection)
    if kind is dict:
        return collection.get(key, UNDEFINED) if type(key) is str else UNDEFINED
    if kind is list or kind is str:
        index = to_int_nearest(key)
        if index is UNDEFINED or not 0 <= index < len(collection):  # type: ignore[operator]
            return UNDEFINED
        return collection[index]
    return UNDEFINED


def _nanvl(value: Any, fallback: Any) -> Any:
    if value is UNDEFINED or value is None or (type(value) is float and value != value):
        return fallback
    return value


def _transform(mode: Any, attributes: Any, elements: Any) -> Any:
    if mode != "enrichArray" or type(attributes) is not dict or type(elements) is not list:
        return UNDEFINED
    return [{**element, **attributes} for element in elements if type(element) is dict]


def _indexof(text: str, part: str) -> int:
    return text.find(part)


def _rand() -> float:
    return random.random()  # noqa: S311 - rand() is not for secrets


PURE: dict[str, Spec] = {
    "abs": Spec(_abs, 1, 1),
    "acos": Spec(_double(math.acos), 1, 1),
    "asin": Spec(_double(math.asin), 1, 1),
    "atan": Spec(_double(math.atan), 1, 1),
    "atan2": Spec(_atan2, 2, 2),
    "bitand": Spec(_bits(lambda a, b: a & b), 2, 2),
    "bitor": Spec(_bits(lambda a, b: a | b), 2, 2),
    "bitxor": Spec(_bits(lambda a, b: a ^ b), 2, 2),
    "bitnot": Spec(_bitnot, 1, 1),
    "ceil": Spec(_rounder(math.ceil), 1, 1),
    "chr": Spec(_chr, 1, 1),
    "concat": Spec(concat, 0, 1 << 16),
    "cos": Spec(_double(math.cos), 1, 1),
    "cosh": Spec(_double(math.cosh), 1, 1),
    "endswith": Spec(_affix(False), 2, 2),
    "exp": Spec(_double(math.exp), 1, 1),
    "floor": Spec(_rounder(math.floor), 1, 1),
    "get": Spec(get, 2, 2),
    "indexof": Spec(_text2(_indexof), 2, 2, since_2016=True),
    "isnull": Spec(lambda value: value is None, 1, 1),
    "isundefined": Spec(lambda value: value is UNDEFINED, 1, 1, since_2016=True),
    "length": Spec(_text(_length), 1, 1, since_2016=True),
    "ln": Spec(_double(math.log), 1, 1),
    "log": Spec(_double(math.log10), 1, 1),
    "lower": Spec(_text(str.lower), 1, 1),
    "lpad": Spec(_pad(True), 2, 2),
    "ltrim": Spec(_text(lambda text: text.lstrip(_BLANK)), 1, 1),
    "md5": Spec(_hash("md5"), 1, 1),
    "mod": Spec(remainder, 2, 2),
    "nanvl": Spec(_nanvl, 2, 2),
    "numbytes": Spec(_text(lambda text: len(text.encode())), 1, 1, since_2016=True),
    "power": Spec(_power, 2, 2),
    "rand": Spec(_rand, 0, 0),
    "regexp_matches": Spec(_regexp_matches, 2, 2),
    "regexp_replace": Spec(_regexp_replace, 3, 3),
    "regexp_substr": Spec(_regexp_substr, 2, 2),
    "remainder": Spec(remainder, 2, 2),
    "replace": Spec(_replace, 3, 3),
    "round": Spec(_rounder(_round_away), 1, 1),
    "rpad": Spec(_pad(False), 2, 2),
    "rtrim": Spec(_text(lambda text: text.rstrip(_BLANK)), 1, 1),
    "sha1": Spec(_hash("sha1"), 1, 1),
    "sha224": Spec(_hash("sha224"), 1, 1),
    "sha256": Spec(_hash("sha256"), 1, 1),
    "sha384": Spec(_hash("sha384"), 1, 1),
    "sha512": Spec(_hash("sha512"), 1, 1),
    "sign": Spec(_sign, 1, 1),
    "sin": Spec(_double(math.sin), 1, 1),
    "sinh": Spec(_double(math.sinh), 1, 1),
    "sqrt": Spec(_double(math.sqrt), 1, 1),
    "startswith": Spec(_affix(True), 2, 2),
    "substring": Spec(_substring, 2, 3),
    "tan": Spec(_double(math.tan), 1, 1),
    "tanh": Spec(_double(math.tanh), 1, 1),
    "transform": Spec(_transform, 3, 3, since_2016=True),
    "trim": Spec(_text(lambda text: text.strip(_BLANK)), 1, 1),
    "trunc": Spec(_trunc, 2, 2),
    "upper": Spec(_text(str.upper), 1, 1),
}

__all__ = ["PURE", "Spec", "concat", "equal", "get", "is_number", "remainder"]
