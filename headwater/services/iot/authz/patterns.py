"""Resource and condition strings of an IoT policy: policy variables and IAM wildcards.

A string is parsed once (when the document is) into parts: literal text, `*` (any run of characters),
`?` (one character) and `${name}` variables. `$(*)`, `$(?)` and `$($)` (AWS IoT's spelling) and
`${*}`, `${?}`, `${$}` (IAM's) are the literal characters. MQTT's `+` and `#` are plain characters
here: a policy names topics, it does not filter them.

Evaluating a string substitutes its variables with the connection's values (a `Resolver`); a value
is literal text, never a wildcard. A variable without a value makes the whole string match nothing
(AWS leaves `${...}` in place, which no real resource contains) and is reported as missing, for
TestAuthorization's `missingContextValues`.

As in IAM, only a "2012-10-17" document has variables: in a "2008-10-17" one (or one without a
Version) `${...}` is literal text. Strings without variables are compiled once; strings with them keep a small cache of compiled
expressions per substituted text, so a client's second check on a topic costs a dict lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# a variable's value for this request, or None when the request has none
Resolver = Callable[[str], "str | None"]

_TOKEN = re.compile(r"\$\{([^}]*)\}|\$\(([*?$])\)|([*?])")
_WILDCARDS = re.compile(r"([*?])")  # a 2008-10-17 document: no variables, no escapes
_ESCAPES = {"*", "?", "$"}
_MAX_COMPILED = 4096


@dataclass(frozen=True, slots=True)
class Var:
    name: str


# a part: literal text (str), a wildcard ("*" / "?" as the singletons below) or a Var
class _Wild(str):
    __slots__ = ()


STAR = _Wild("*")
ONE = _Wild("?")
Part = str | Var


def parse(text: str, variables: bool = True) -> tuple[Part, ...]:
    parts: list[Part] = []
    literal: list[str] = []
    position = 0
    for match in (_TOKEN if variables else _WILDCARDS).finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        name, escaped, wild = match.groups() if variables else (None, None, match.group(1))
        if escaped is not None:
            literal.append(escaped)
            continue
        if name is not None and name.strip() in _ESCAPES:
            literal.append(name.strip())
            continue
        if "".join(literal):
            parts.append("".join(literal))
        literal = []
        parts.append(Var(name.strip()) if name is not None else (STAR if wild == "*" else ONE))
    literal.append(text[position:])
    if "".join(literal):
        parts.append("".join(literal))
    return tuple(parts)


def variable_names(parts: tuple[Part, ...]) -> list[str]:
    return [part.name for part in parts if isinstance(part, Var)]


class Pattern:
    """A Resource (or StringLike/ArnLike value) pattern: `matches(value, resolve)`."""

    __slots__ = ("text", "parts", "names", "_exact", "_regex", "_compiled", "ignore_case")

    def __init__(self, text: str, *, ignore_case: bool = False, variables: bool = True) -> None:
        self.text = text
        self.parts = parse(text, variables)
        self.names = variable_names(self.parts)
        self.ignore_case = ignore_case
        self._compiled: dict[str, re.Pattern[str]] = {}
        self._exact: str | None = None
        self._regex: re.Pattern[str] | None = None
        if not self.names:
            if all(not isinstance(part, _Wild) for part in self.parts):
                self._exact = "".join(str(part) for part in self.parts)
                if ignore_case:
                    self._exact = self._exact.casefold()
            else:
                self._regex = self._compile(_source(self.parts, None))

    def _compile(self, source: str) -> re.Pattern[str]:
        return re.compile(source, re.DOTALL | (re.IGNORECASE if self.ignore_case else 0))

    def substitute(self, resolve: Resolver, missing: list[str] | None = None) -> str | None:
        """The literal text with the variables' values (wildcards kept as written), None when one
        has no value."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, Var):
                value = resolve(part.name)
                if value is None:
                    if missing is not None:
                        missing.append(part.name)
                    return None
                out.append(value)
            else:
                out.append(str(part))
        return "".join(out)

    def matches(self, value: str, resolve: Resolver, missing: list[str] | None = None) -> bool:
        if self._exact is not None:
            return (value.casefold() if self.ignore_case else value) == self._exact
        if self._regex is not None:
            return self._regex.fullmatch(value) is not None
        values: list[str] = []
        for name in self.names:
            resolved = resolve(name)
            if resolved is None:
                if missing is not None:
                    missing.append(name)
                return False
            values.append(resolved)
        key = "\0".join(values)
        regex = self._compiled.get(key)
        if regex is None:
            if len(self._compiled) >= _MAX_COMPILED:
                self._compiled.clear()
            regex = self._compiled[key] = self._compile(_source(self.parts, iter(values)))
        return regex.fullmatch(value) is not None


def _source(parts: tuple[Part, ...], values: Iterator[str] | None) -> str:
    out: list[str] = []
    for part in parts:
        if part is STAR:
            out.append(".*")
        elif part is ONE:
            out.append(".")
        elif isinstance(part, Var):
            assert values is not None  # only strings with variables are compiled per value
            out.append(re.escape(next(values)))
        else:
            out.append(re.escape(part))
    return "".join(out)


def action_matcher(pattern: str) -> Callable[[str], bool]:
    """Actions compare case-insensitively, with `*` and `?` (no variables)."""
    folded = pattern.casefold()
    if folded == "*":
        return lambda action: True
    if "*" not in folded and "?" not in folded:
        return lambda action: action.casefold() == folded
    regex = re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in folded), re.DOTALL
    )
    return lambda action: regex.fullmatch(action.casefold()) is not None
