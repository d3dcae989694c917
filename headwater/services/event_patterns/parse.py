"""Compiling a pattern's JSON text into a ``tree.ObjectPattern``, refusing what AWS refuses.

The grammar (EventBridge event patterns, shared by Lambda filter rules):

- a pattern is a non-empty JSON object; each field holds a non-empty array (the match list) or a
  non-empty object (a nested pattern);
- a match list holds strings, numbers, ``true``, ``false``, ``null`` (exact values) and
  one-key objects: ``prefix``/``suffix`` (a string, or ``{"equals-ignore-case": s}``),
  ``equals-ignore-case``, ``wildcard``, ``cidr`` (strings), ``exists`` (a boolean), ``numeric``
  (``["=", n]``, or a lower bound ``>``/``>=`` and/or an upper bound ``<``/``<=``) and
  ``anything-but`` (a string, a number, a list of only strings or only numbers, or one of
  ``{"prefix": s}``, ``{"suffix": s}``, ``{"equals-ignore-case": s | [s...]}``,
  ``{"wildcard": s | [s...]}``);
- ``"$or": [{...}, {...}, ...]`` (at least two objects, none using an operator name as a field)
  at any object level ORs its branches.

Any other shape raises ``PatternError`` with Lambda's text and a ``reason``.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any

from headwater.services.event_patterns.errors import PatternError
from headwater.services.event_patterns.matchers import (
    NUMERIC_LIMIT,
    AnythingBut,
    Cidr,
    EqualsIgnoreCase,
    ExactLiteral,
    ExactNumber,
    ExactString,
    Matcher,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
    compile_wildcard,
)
from headwater.services.event_patterns.tree import FieldRule, ObjectPattern
from headwater.services.event_patterns.values import is_number, loads, number_text

OR_KEY = "$or"
OPERATORS = frozenset(
    {"prefix", "suffix", "equals-ignore-case", "wildcard", "cidr", "exists", "numeric", "anything-but"}
)


def parse_pattern(text: str) -> ObjectPattern:
    """The compiled tree of a pattern's JSON text."""
    try:
        document = loads(text)
    except RecursionError:
        raise PatternError("Pattern is nested too deeply") from None
    except ValueError as error:
        raise PatternError(f"Pattern is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise PatternError("Filter is not an object")
    try:
        return _object(document, in_or=False)
    except RecursionError:
        raise PatternError("Pattern is nested too deeply") from None


def _object(node: dict[str, Any], *, in_or: bool) -> ObjectPattern:
    if not node:
        raise PatternError("Empty objects are not allowed")
    fields: list[tuple[str, FieldRule | ObjectPattern]] = []
    groups: list[tuple[ObjectPattern, ...]] = []
    for key, value in node.items():
        if key == OR_KEY:
            groups.append(_or_group(value))
            continue
        if in_or and key in OPERATORS:
            raise PatternError(f"{key} is an operator name and cannot be a field inside {OR_KEY}")
        if isinstance(value, dict):
            fields.append((key, _object(value, in_or=in_or)))
        elif isinstance(value, list):
            fields.append((key, _match_list(value)))
        else:
            raise PatternError(f'"{key}" must be an object or an array')
    return ObjectPattern(tuple(fields), tuple(groups))


def _or_group(value: object) -> tuple[ObjectPattern, ...]:
    if not isinstance(value, list):
        raise PatternError(f"{OR_KEY} must be followed by an array")
    if not all(isinstance(branch, dict) for branch in value):
        raise PatternError(f"Only JSON objects are allowed in the array of {OR_KEY}")
    if len(value) < 2:
        raise PatternError(f"{OR_KEY} needs at least 2 objects")
    return tuple(_object(branch, in_or=True) for branch in value)


def _match_list(values: list[Any]) -> FieldRule:
    if not values:
        raise PatternError("Empty arrays are not allowed")
    matchers: list[Matcher] = []
    exists_true = exists_false = False
    for value in values:
        if isinstance(value, dict):
            name, argument = _operator(value)
            if name == "exists":
                if not isinstance(argument, bool):
                    raise PatternError("exists match pattern must be either true or false")
                exists_true |= argument
                exists_false |= not argument
            else:
                matchers.append(_OPERATORS[name](argument))
        elif isinstance(value, list):
            raise PatternError("Match value must be String, number, true, false, or null")
        else:
            matchers.append(_exact(value))
    return FieldRule(tuple(matchers), exists_true, exists_false)


def _operator(node: dict[str, Any]) -> tuple[str, Any]:
    if not node:
        raise PatternError("Match expression name not found")
    if len(node) > 1:
        raise PatternError("Only one key allowed in match expression")
    ((name, argument),) = node.items()
    if name not in OPERATORS:
        raise PatternError(f"Unrecognized match type {name}")
    return name, argument


def _exact(value: object) -> Matcher:
    if isinstance(value, str):
        return ExactString(value)
    if is_number(value):
        return ExactNumber(number_text(value))
    if value is None or isinstance(value, bool):
        return ExactLiteral(value)
    raise PatternError("Match value must be String, number, true, false, or null")


def _string(name: str, argument: object) -> str:
    if not isinstance(argument, str):
        raise PatternError(f"{name} match pattern must be a string")
    return argument


def _affix(name: str, argument: object) -> tuple[str, bool]:
    """A prefix or suffix: a string, or ``{"equals-ignore-case": string}``."""
    if isinstance(argument, dict):
        inner, value = _single(argument, f"{name} match pattern")
        if inner != "equals-ignore-case":
            raise PatternError(f"Unsupported {name} pattern: {inner}")
        return _string(f"{name}/equals-ignore-case", value), True
    return _string(name, argument), False


def _single(node: dict[str, Any], what: str) -> tuple[str, Any]:
    if len(node) != 1:
        raise PatternError(f"{what} must have exactly one key")
    ((name, value),) = node.items()
    return name, value


def _prefix(argument: object) -> Matcher:
    text, ignore_case = _affix("prefix", argument)
    return Prefix(text, ignore_case)


def _suffix(argument: object) -> Matcher:
    text, ignore_case = _affix("suffix", argument)
    return Suffix(text, ignore_case)


def _equals_ignore_case(argument: object) -> Matcher:
    return EqualsIgnoreCase(_string("equals-ignore-case", argument))


def _wildcard(argument: object) -> Matcher:
    source = _string("wildcard", argument)
    try:
        return Wildcard(source, compile_wildcard(source))
    except ValueError as error:
        raise PatternError(str(error)) from None


def _cidr(argument: object) -> Matcher:
    text = _string("cidr", argument)
    if text.count("/") != 1:
        raise PatternError(f"Malformed CIDR, one '/' required: {text}")
    try:
        return Cidr(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise PatternError(f"Nonstandard IP address: {text}") from None


def _bound(operator: str, value: object) -> float:
    if not is_number(value):
        raise PatternError(f"Value of {operator} must be numeric")
    number = float(value)
    if not -NUMERIC_LIMIT <= number <= NUMERIC_LIMIT:
        raise PatternError(f"Value of {operator} must be between -5.0E9 and 5.0E9 inclusive")
    return number


def _numeric(argument: object) -> Matcher:
    if not isinstance(argument, list):
        raise PatternError("Value of numeric must be an array.")
    terms = list(argument)
    if not terms or not isinstance(terms[0], str):
        raise PatternError(f"Invalid member in numeric match: {_show(terms[0]) if terms else ''}")
    if len(terms) < 2:
        raise PatternError(f"Value of {terms[0]} must be numeric")
    operator, value = terms[0], terms[1]
    if operator == "=":
        if len(terms) > 2:
            raise PatternError("Too many elements in numeric expression")
        number = _bound(operator, value)
        return Numeric(number, True, number, True)
    if operator in ("<", "<="):
        if len(terms) > 2:
            raise PatternError("Too many elements in numeric expression")
        return Numeric(None, False, _bound(operator, value), operator == "<=")
    if operator not in (">", ">="):
        raise PatternError(f"Unrecognized numeric range operator: {operator}")
    low = _bound(operator, value)
    if len(terms) == 2:
        return Numeric(low, operator == ">=", None, False)
    upper = terms[2]
    if upper not in ("<", "<="):
        raise PatternError(f"Bad numeric range operator: {_show(upper)}")
    if len(terms) != 4:
        raise PatternError(
            "Too many terms in numeric range expression"
            if len(terms) > 4
            else f"Value of {upper} must be numeric"
        )
    high = _bound(upper, terms[3])
    if low >= high:
        raise PatternError("Bottom must be less than top")
    return Numeric(low, operator == ">=", high, upper == "<=")


def _anything_but(argument: object) -> Matcher:
    if isinstance(argument, dict):
        return _anything_but_operator(argument)
    if isinstance(argument, str) or is_number(argument):
        argument = [argument]
    if not isinstance(argument, list):
        raise PatternError("Value of anything-but must be an array or single string/number value.")
    if any(not isinstance(value, str) and not is_number(value) for value in argument):
        raise PatternError("Inside anything-but list, start|null|boolean is not supported.")
    strings = [value for value in argument if isinstance(value, str)]
    if not argument or (strings and len(strings) != len(argument)):
        raise PatternError(
            "Inside anything-but list, either all values are number or string, mixed type is not supported"
        )
    if strings:
        return AnythingBut(tuple(ExactString(value) for value in strings))
    return AnythingBut(tuple(Numeric(float(value), True, float(value), True) for value in argument))


def _anything_but_operator(node: dict[str, Any]) -> Matcher:
    name, value = _single(node, "anything-but expression")
    if name in ("prefix", "suffix"):
        text = _string(name, value)
        if not text:
            raise PatternError("Null prefix/suffix not allowed")
        return AnythingBut((Prefix(text) if name == "prefix" else Suffix(text),))
    if name in ("equals-ignore-case", "wildcard"):
        texts = value if isinstance(value, list) else [value]
        if not texts or not all(isinstance(text, str) for text in texts):
            raise PatternError(
                f"Inside anything-but/{name} list, number|start|null|boolean is not supported."
            )
        make = _equals_ignore_case if name == "equals-ignore-case" else _wildcard
        return AnythingBut(tuple(make(text) for text in texts))
    raise PatternError(f"Unsupported anything-but pattern: {name}")


def _show(value: object) -> str:
    """A pattern value in a reason, as written (strings bare)."""
    if isinstance(value, str):
        return value
    return number_text(value) if is_number(value) else json.dumps(value)


_OPERATORS: dict[str, Callable[[Any], Matcher]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "cidr": _cidr,
    "numeric": _numeric,
    "anything-but": _anything_but,
}
