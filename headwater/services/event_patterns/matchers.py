"""The value tests one entry of a field's match list compiles to.

Every matcher tests one leaf the event holds at the field's path (a string, a number, a boolean or
``null``; see ``values``). Which leaves each one accepts (EventBridge's event patterns, which Lambda
filter rules share):

- exact values compare by JSON type: strings character by character, numbers by their text,
  ``true``/``false``/``null`` only themselves; ``""`` and ``null`` are different values;
- ``prefix``, ``suffix``, ``equals-ignore-case`` and ``wildcard`` accept strings only;
- ``numeric`` accepts JSON numbers only (never a numeric string), within +/-5.0e9;
- ``cidr`` accepts strings that are IPv4 or IPv6 addresses inside the block;
- ``anything-but`` accepts any leaf its inner test refuses: a number or ``null`` passes
  ``{"anything-but": {"prefix": "a"}}``, since only a string could start with "a".

``exists`` is not a value test (it is about whether the path has leaves at all) and lives in
``match``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Protocol

from headwater.services.event_patterns.values import is_number, number_text

# EventBridge limits numeric matching to values between -5.0e9 and +5.0e9 inclusive.
NUMERIC_LIMIT = 5.0e9


class Matcher(Protocol):
    def test(self, leaf: object) -> bool: ...


@dataclass(frozen=True, slots=True)
class ExactString:
    text: str

    def test(self, leaf: object) -> bool:
        return isinstance(leaf, str) and leaf == self.text


@dataclass(frozen=True, slots=True)
class ExactNumber:
    text: str

    def test(self, leaf: object) -> bool:
        return is_number(leaf) and number_text(leaf) == self.text


@dataclass(frozen=True, slots=True)
class ExactLiteral:
    """``true``, ``false`` or ``null``."""

    value: bool | None

    def test(self, leaf: object) -> bool:
        return leaf is self.value


@dataclass(frozen=True, slots=True)
class Prefix:
    text: str
    ignore_case: bool = False

    def test(self, leaf: object) -> bool:
        if not isinstance(leaf, str):
            return False
        if self.ignore_case:
            return leaf.casefold().startswith(self.text.casefold())
        return leaf.startswith(self.text)


@dataclass(frozen=True, slots=True)
class Suffix:
    text: str
    ignore_case: bool = False

    def test(self, leaf: object) -> bool:
        if not isinstance(leaf, str):
            return False
        if self.ignore_case:
            return leaf.casefold().endswith(self.text.casefold())
        return leaf.endswith(self.text)


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase:
    text: str

    def test(self, leaf: object) -> bool:
        return isinstance(leaf, str) and leaf.casefold() == self.text.casefold()


@dataclass(frozen=True, slots=True)
class Wildcard:
    source: str
    regex: re.Pattern[str]

    def test(self, leaf: object) -> bool:
        return isinstance(leaf, str) and self.regex.fullmatch(leaf) is not None


@dataclass(frozen=True, slots=True)
class Numeric:
    """A range; ``None`` leaves a side open-ended. ``=`` is the closed range [v, v]."""

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool

    def test(self, leaf: object) -> bool:
        if not is_number(leaf):
            return False
        value = float(leaf)
        if not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
            return False
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return self.high is None or value < self.high or (value == self.high and self.high_inclusive)


@dataclass(frozen=True, slots=True)
class Cidr:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def test(self, leaf: object) -> bool:
        if not isinstance(leaf, str):
            return False
        try:
            address = ipaddress.ip_address(leaf)
        except ValueError:
            return False
        return address.version == self.network.version and address in self.network


@dataclass(frozen=True, slots=True)
class AnythingBut:
    """Accepts any leaf that none of ``excluded`` accepts."""

    excluded: tuple[Matcher, ...]

    def test(self, leaf: object) -> bool:
        return not any(matcher.test(leaf) for matcher in self.excluded)


def compile_wildcard(source: str) -> re.Pattern[str]:
    """A wildcard value as a regex; raises ValueError for AWS's forbidden forms.

    ``*`` matches any run of characters (none included); ``\\*`` is a literal asterisk and
    ``\\\\`` a literal backslash; a backslash before anything else, or two ``*`` in a row, is an
    error.
    """
    parts: list[str] = []
    index = 0
    previous_star = False
    while index < len(source):
        char = source[index]
        if char == "*":
            if previous_star:
                raise ValueError(f"Consecutive wildcard characters at pos {index}")
            parts.append(".*")
            previous_star = True
            index += 1
            continue
        previous_star = False
        if char == "\\":
            following = source[index + 1 : index + 2]
            if following not in ("*", "\\"):
                raise ValueError(f"Invalid escape character at pos {index}")
            parts.append(re.escape(following))
            index += 2
            continue
        parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)
