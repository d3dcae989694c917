"""The Condition block of a statement, as IAM defines it and IoT policies use it.

`{"StringEquals": {"iot:ClientId": ["a", "b"]}}`: every operator and every key must hold (AND); the
values of one key are alternatives (OR). An operator is `[ForAnyValue:|ForAllValues:]<base>[IfExists]`.

A key the request does not carry makes a positive operator false and a negated one (StringNotEquals,
NotIpAddress...) true, unless `...IfExists` (then true) or `Null` asks about presence itself.
Multi-valued keys (`iot:Certificate.Subject.Organization.List`, `iot:ConnectAttributes`) take the set
operators: ForAnyValue holds when some request value matches (false when there are none),
ForAllValues when every one does (true when there are none). Policy variables may appear in values.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from headwater.services.iot.authz.patterns import Pattern


class Context(Protocol):
    def get(self, name: str) -> str | None: ...

    def values(self, name: str) -> list[str] | None: ...


# base operator -> (compare(request value, policy value text) , negated)
def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    try:
        return float(text)  # epoch seconds, as aws:EpochTime
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _numeric(
    test: Callable[[float, float], bool], parse: Callable[[str], float | None]
) -> Callable[[str, str], bool]:
    def compare(value: str, wanted: str) -> bool:
        left, right = parse(value), parse(wanted)
        return left is not None and right is not None and test(left, right)

    return compare


def _ip(value: str, wanted: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return False


_EQ: Callable[[float, float], bool] = lambda a, b: a == b  # noqa: E731
_LT: Callable[[float, float], bool] = lambda a, b: a < b  # noqa: E731
_LE: Callable[[float, float], bool] = lambda a, b: a <= b  # noqa: E731
_GT: Callable[[float, float], bool] = lambda a, b: a > b  # noqa: E731
_GE: Callable[[float, float], bool] = lambda a, b: a >= b  # noqa: E731

# compare functions get (request value, substituted policy value); "like" operators match patterns
_PLAIN: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "stringequals": (lambda v, w: v == w, False),
    "stringnotequals": (lambda v, w: v == w, True),
    "stringequalsignorecase": (lambda v, w: v.casefold() == w.casefold(), False),
    "stringnotequalsignorecase": (lambda v, w: v.casefold() == w.casefold(), True),
    "arnequals": (lambda v, w: v == w, False),
    "arnnotequals": (lambda v, w: v == w, True),
    "numericequals": (_numeric(_EQ, _number), False),
    "numericnotequals": (_numeric(_EQ, _number), True),
    "numericlessthan": (_numeric(_LT, _number), False),
    "numericlessthanequals": (_numeric(_LE, _number), False),
    "numericgreaterthan": (_numeric(_GT, _number), False),
    "numericgreaterthanequals": (_numeric(_GE, _number), False),
    "dateequals": (_numeric(_EQ, _date), False),
    "datenotequals": (_numeric(_EQ, _date), True),
    "datelessthan": (_numeric(_LT, _date), False),
    "datelessthanequals": (_numeric(_LE, _date), False),
    "dategreaterthan": (_numeric(_GT, _date), False),
    "dategreaterthanequals": (_numeric(_GE, _date), False),
    "bool": (lambda v, w: v.casefold() == w.casefold(), False),
    "binaryequals": (lambda v, w: v == w, False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
}
_LIKE: dict[str, bool] = {"stringlike": False, "stringnotlike": True, "arnlike": False, "arnnotlike": True}
OPERATORS = {*_PLAIN, *_LIKE, "null"}


def split_operator(operator: str) -> tuple[str | None, str, bool] | None:
    """(set qualifier, base operator folded, IfExists) or None for an operator IAM does not have."""
    qualifier: str | None = None
    base = operator
    if ":" in base:
        qualifier, _, base = base.partition(":")
        if qualifier.casefold() not in ("foranyvalue", "forallvalues"):
            return None
        qualifier = qualifier.casefold()
    folded = base.casefold()
    if_exists = folded.endswith("ifexists") and folded != "ifexists"
    if if_exists:
        folded = folded[: -len("ifexists")]
    if folded not in OPERATORS or (if_exists and folded == "null"):
        return None
    return qualifier, folded, if_exists


@dataclass(slots=True)
class Condition:
    operator: str  # as written
    key: str
    qualifier: str | None
    base: str
    if_exists: bool
    values: tuple[Pattern, ...]

    @classmethod
    def build(cls, operator: str, key: str, values: list[str], variables: bool = True) -> Condition | None:
        parts = split_operator(operator)
        if parts is None:
            return None
        qualifier, base, if_exists = parts
        ignore = base in ("stringequalsignorecase", "stringnotequalsignorecase")
        return cls(
            operator,
            key,
            qualifier,
            base,
            if_exists,
            tuple(Pattern(v, ignore_case=ignore, variables=variables) for v in values),
        )

    def holds(self, context: Context, missing: list[str] | None = None) -> bool:
        present = context.values(self.key)
        if self.base == "null":
            wanted = any(value.text.casefold() == "true" for value in self.values)
            return (present is None or not present) == wanted
        if present is None:
            if self.qualifier == "forallvalues":
                return True
            if self.qualifier == "foranyvalue":
                return False
            if self.if_exists:
                return True
            if missing is not None:
                missing.append(self.key)
            return self._negated
        hits = [self._matches_any(value, context, missing) for value in present]
        if self.qualifier == "forallvalues":
            return all(not hit if self._negated else hit for hit in hits)
        if self.qualifier == "foranyvalue":
            return any(not hit if self._negated else hit for hit in hits)
        return not any(hits) if self._negated else any(hits)

    @property
    def _negated(self) -> bool:
        if self.base in _LIKE:
            return _LIKE[self.base]
        return _PLAIN[self.base][1]

    def _matches_any(self, value: str, context: Context, missing: list[str] | None) -> bool:
        if self.base in _LIKE:
            return any(pattern.matches(value, context.get, missing) for pattern in self.values)
        compare = _PLAIN[self.base][0]
        for pattern in self.values:
            wanted = pattern.substitute(context.get, missing)
            if wanted is not None and compare(value, wanted):
                return True
        return False
