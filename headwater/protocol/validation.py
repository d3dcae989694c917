"""Model-driven input validation with AWS's ValidationException messages.

Theory of operation. Each shape compiles once into a checker ``check(value, parent, seg, errors)``
or into ``None`` when neither it nor anything below it carries a constraint, so unconstrained
subtrees cost nothing. Paths are built only when an error is reported: ``parent`` is a chain of
``(parent, seg)`` tuples and ``seg`` a member name or a 0-based list index.

AWS's rules, as pinned by kinesalite's suite run against real Kinesis (test/putRecords.js,
test/createStream.js, test/removeTagsFromStream.js, validations/index.js):

* ``N validation error(s) detected: <e1>; <e2>`` with at most 10 errors listed (and counted).
* ``Value <v> at '<path>' failed to satisfy constraint: <constraint>``; ``<v>`` is ``null`` or
  quoted: a blob shows as ``java.nio.HeapByteBuffer[pos=0 lim=N cap=N]``, a list as ``[a, b]``, a
  map as ``{k=v}``, a structure as a Java object name (``<package>.<Shape>@<hash>``).
* Paths use lower-camel member names; list elements are ``records.1.member`` (1-based), map
  values ``tags.<key>.member``.
* Per member: required (``Member must not be null``), enum, pattern, length (min, then max),
  value range. Lists first check their own length, then their elements.
* A list of scalars reports once for the whole list: ``Member must satisfy constraint: [...]``;
  maps likewise report ``Map keys must satisfy constraint: [...]`` and ``Map value must satisfy
  constraint: [...]``. The bracket lists every constraint of the element shape, max length first.
* Patterns print as the service's own model has them, unanchored (``0|([1-9]\\d{0,38})``), where
  botocore's copy anchors them (``^(0|([1-9]\\d{0,38}))$``).
* Lengths of strings count UTF-16 code units (Java's ``String.length()``); patterns must match
  the whole value (Java's ``matches()``), with ASCII ``\\d``/``\\w``/``\\s`` as in Java.

Members are checked in model order. AWS's own order is a Java hash order that even varies between
calls (kinesalite's suite compares several errors as an unordered set), so no client relies on it.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable, Mapping
from typing import Any, cast

from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from headwater.protocol.errors import AwsError
from headwater.protocol.shape_cache import ShapeCache

MAX_ERRORS = 10

Checker = Callable[[Any, Any, Any, "_Errors"], None]
Rule = tuple[Callable[[Any], bool], str]

_NOT_NULL = "Member must not be null"


def validate(shape: Shape, params: Mapping[str, Any], *, namespace: str = "") -> None:
    """Raise AWS's ValidationException if `params` break `shape`'s constraints.

    `namespace` prefixes structure names where AWS shows a Java object (``java_namespace``).
    """
    checker = _checker(shape)
    if checker is None:
        return
    errors = _Errors(namespace)
    checker(params, None, None, errors)
    if errors.items:
        count = len(errors.items)
        noun = "error" if count == 1 else "errors"
        raise AwsError(
            "ValidationException", f"{count} validation {noun} detected: " + "; ".join(errors.items)
        )


def java_namespace(service: ServiceModel) -> str:
    """The Java package AWS shows for a service's structures: ``com.amazonaws.kinesis.v20131202.``."""
    prefix = service.metadata.get("endpointPrefix", service.service_name)
    version = service.api_version.replace("-", "")
    return f"com.amazonaws.{prefix}.v{version}."


# --- error collection and rendering -------------------------------------------------------------


class _Errors:
    __slots__ = ("items", "namespace")

    def __init__(self, namespace: str) -> None:
        self.items: list[str] = []
        self.namespace = namespace

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_ERRORS

    def add(self, value: Any, shape: Shape, constraint: str, parent: Any, seg: Any) -> None:
        if len(self.items) >= MAX_ERRORS:
            return
        shown = "null" if value is None else f"'{_show(value, shape, self.namespace)}'"
        path = _render(parent, seg)
        self.items.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")


def _render(parent: Any, seg: Any) -> str:
    parts = []
    while True:
        parts.append(seg if type(seg) is str else f"{seg + 1}.member")
        if parent is None:
            break
        parent, seg = parent
    return ".".join(reversed(parts))


def _show(value: Any, shape: Shape, namespace: str) -> str:
    """`value` as AWS prints it (Java's toString of the deserialized object)."""
    kind = shape.type_name
    if kind == "blob":
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if kind == "list":
        item_shape = cast(ListShape, shape).member
        return "[" + ", ".join(_show(item, item_shape, namespace) for item in value) + "]"
    if kind == "map":
        value_shape = cast(MapShape, shape).value
        return "{" + ", ".join(f"{k}={_show(v, value_shape, namespace)}" for k, v in value.items()) + "}"
    if kind == "structure":
        return f"{namespace}{shape.name}@{zlib.crc32(repr(value).encode()):x}"
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


# --- rules -------------------------------------------------------------------------------------


def _length(value: Any) -> int:
    if type(value) is str and not value.isascii():
        # Java counts UTF-16 code units; a lone surrogate (valid in JSON) is one unit too
        return len(value.encode("utf-16-le", "surrogatepass")) // 2
    return len(value)


def aws_pattern(pattern: str) -> str:
    """The pattern as AWS prints it: botocore anchors some (``^(0|([1-9]\\d{0,38}))$``) where the
    service's own model does not (``0|([1-9]\\d{0,38})``). Matching is whole-value either way."""
    anchors, closes = _scan(pattern)
    if anchors != [0, len(pattern) - 1] or pattern[0] != "^" or pattern[-1] != "$":
        return pattern  # unanchored, or several anchored alternatives: printed as they are
    inner = pattern[1:-1]
    _, closes = _scan(inner)
    return inner[1:-1] if inner.startswith("(") and closes == len(inner) - 1 else inner


def _scan(text: str) -> tuple[list[int], int | None]:
    """(the positions of the anchors ``^``/``$`` outside classes and escapes, where the group the
    first character opens closes)."""
    anchors: list[int] = []
    closes: int | None = None
    depth, escaped, in_class = 0, False, False
    for position, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "^$":
            anchors.append(position)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and closes is None:
                closes = position
    return anchors, closes


def _compile_pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.ASCII)
    except re.error:
        return None  # a Java-only construct (e.g. \p{L}): better unchecked than wrongly refused


_SIZED = frozenset(("string", "blob", "list", "map"))
_NUMERIC = frozenset(("integer", "long", "short", "byte", "double", "float"))


def _rules(shape: Shape) -> tuple[Callable[[Any], bool] | None, list[Rule], list[str]]:
    """(one fast predicate over all constraints, the rules in AWS's per-member order, the
    constraint texts in AWS's bracket order); the rules only run once the predicate fails."""
    meta, kind = shape.metadata, shape.type_name
    lo, hi = meta.get("min"), meta.get("max")
    enum = meta.get("enum") if kind == "string" else None
    pattern = meta.get("pattern") if kind == "string" else None
    sized, numeric = kind in _SIZED, kind in _NUMERIC
    size = _length if kind == "string" else len
    rules: list[Rule] = []
    texts: dict[str, str] = {}
    checks: list[Callable[[Any], bool]] = []
    if enum:
        texts["enum"] = f"Member must satisfy enum value set: [{', '.join(enum)}]"
        rules.append((frozenset(enum).__contains__, texts["enum"]))
        checks.append(rules[-1][0])
    if pattern:
        texts["pattern"] = f"Member must satisfy regular expression pattern: {aws_pattern(pattern)}"
        regex = _compile_pattern(pattern)
        if regex is not None:
            match = regex.fullmatch
            rules.append((lambda v: match(v) is not None, texts["pattern"]))
            checks.append(rules[-1][0])
    if sized and lo is not None:
        texts["min_len"] = f"Member must have length greater than or equal to {lo}"
        rules.append((lambda v: size(v) >= lo, texts["min_len"]))
    if sized and hi is not None:
        texts["max_len"] = f"Member must have length less than or equal to {hi}"
        rules.append((lambda v: size(v) <= hi, texts["max_len"]))
    if sized and (lo or hi is not None):
        low, high = lo or 0, math.inf if hi is None else hi
        checks.append(lambda v: low <= size(v) <= high)
    if numeric and lo is not None:
        texts["min"] = f"Member must have value greater than or equal to {lo}"
        rules.append((lambda v: v >= lo, texts["min"]))
    if numeric and hi is not None:
        texts["max"] = f"Member must have value less than or equal to {hi}"
        rules.append((lambda v: v <= hi, texts["max"]))
    if numeric and (lo is not None or hi is not None):
        low, high = -math.inf if lo is None else lo, math.inf if hi is None else hi
        checks.append(lambda v: low <= v <= high)
    bracket = [texts[k] for k in ("max_len", "min_len", "pattern", "enum", "max", "min") if k in texts]
    return _all(checks), rules, bracket


def _all(checks: list[Callable[[Any], bool]]) -> Callable[[Any], bool] | None:
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    return lambda v: all(check(v) for check in checks)


def _is_scalar(shape: Shape) -> bool:
    return shape.type_name not in ("structure", "list", "map")


def _scalar_predicate(shape: Shape) -> tuple[Callable[[Any], bool], str] | None:
    """For an element shape: one predicate over all its rules, and its bracketed constraint text."""
    ok, _, bracket = _rules(shape)
    if ok is None:
        return None
    return ok, "[" + ", ".join(bracket) + "]"


# --- checker compilation -----------------------------------------------------------------------


def _forward(cell: list[Checker | None]) -> Checker:
    def trampoline(v: Any, parent: Any, seg: Any, errors: _Errors) -> None:
        fn = cell[0]
        if fn is not None:
            fn(v, parent, seg, errors)

    return trampoline


# A recursive reference sees the trampoline while its shape compiles.
_checker: ShapeCache[Checker | None] = ShapeCache(lambda shape: _compile(shape), _forward)


def _compile(shape: Shape) -> Checker | None:
    kind = shape.type_name
    if kind == "structure":
        structure = cast(StructureShape, shape)
        return None if structure.is_document_type else _structure_checker(structure)
    if kind == "list":
        return _list_checker(cast(ListShape, shape))
    if kind == "map":
        return _map_checker(cast(MapShape, shape))
    ok, rules, _ = _rules(shape)
    if ok is None:
        return None

    def check(v: Any, parent: Any, seg: Any, errors: _Errors) -> None:
        if not ok(v):
            for rule, text in rules:
                if not rule(v):
                    errors.add(v, shape, text, parent, seg)

    return check


def _structure_checker(shape: StructureShape) -> Checker | None:
    required = set(shape.required_members)
    members = []
    for name, member in shape.members.items():
        child = _checker(member)
        if child is not None or name in required:
            members.append((name, name[:1].lower() + name[1:], name in required, child, member))
    if not members:
        return None

    def check(v: Any, parent: Any, seg: Any, errors: _Errors) -> None:
        here = None if seg is None else (parent, seg)
        get = v.get
        for name, mseg, is_required, child, member in members:
            item = get(name)
            if item is None:
                if is_required:
                    errors.add(None, member, _NOT_NULL, here, mseg)
            elif child is not None:
                child(item, here, mseg, errors)

    return check


def _list_checker(shape: ListShape) -> Checker | None:
    _, rules, _ = _rules(shape)
    element = shape.member
    scalar = _scalar_predicate(element) if _is_scalar(element) else None
    child = None if _is_scalar(element) else _checker(element)
    if not rules and scalar is None and child is None:
        return None
    scalar_text = f"Member must satisfy constraint: {scalar[1]}" if scalar else ""

    def check(v: Any, parent: Any, seg: Any, errors: _Errors) -> None:
        for ok, text in rules:
            if not ok(v):
                errors.add(v, shape, text, parent, seg)
        if scalar is not None:
            element_ok = scalar[0]
            if not all(element_ok(item) for item in v if item is not None):
                errors.add(v, shape, scalar_text, parent, seg)
        elif child is not None:
            here = (parent, seg)
            for index, item in enumerate(v):
                if errors.full:
                    return
                if item is not None:
                    child(item, here, index, errors)

    return check


def _map_checker(shape: MapShape) -> Checker | None:
    _, rules, _ = _rules(shape)
    keys = _scalar_predicate(shape.key)
    value_shape = shape.value
    values = _scalar_predicate(value_shape) if _is_scalar(value_shape) else None
    child = None if _is_scalar(value_shape) else _checker(value_shape)
    if not rules and keys is None and values is None and child is None:
        return None
    keys_text = f"Map keys must satisfy constraint: {keys[1]}" if keys else ""
    values_text = f"Map value must satisfy constraint: {values[1]}" if values else ""

    def check(v: Any, parent: Any, seg: Any, errors: _Errors) -> None:
        for ok, text in rules:
            if not ok(v):
                errors.add(v, shape, text, parent, seg)
        if keys is not None and not all(keys[0](k) for k in v):
            errors.add(v, shape, keys_text, parent, seg)
        if values is not None:
            value_ok = values[0]
            if not all(value_ok(item) for item in v.values() if item is not None):
                errors.add(v, shape, values_text, parent, seg)
        elif child is not None:
            here = (parent, seg)
            for key, item in v.items():
                if item is not None:
                    child(item, here, f"{key}.member", errors)

    return check
