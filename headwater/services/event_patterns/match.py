"""Matching events against a compiled pattern.

An event is seen as EventBridge sees it: a set of paths to leaves. ``{"a": {"b": [1, [2]]}}``
holds the leaves 1 and 2 at ``a.b``; arrays (nested ones too) only spread leaves over one path,
and an empty array holds none. So:

- a match list matches when any entry matches any leaf at its path (an array in the event
  matches if any element does);
- ``{"exists": true}`` matches when the path has at least one leaf (``null`` is a leaf);
  ``{"exists": false}`` when it has none: the field is absent, an empty array, or an object
  (exists only works on leaf nodes, so ``{"c": {"d": 1}}`` does not make ``c`` exist);
- a nested pattern against an array of objects must match within one element (EventBridge's
  array-consistent matching: two fields never match across different elements of one array).
  Against an absent field, a leaf or an array without objects it sees an empty object, where
  only ``exists: false`` entries can match. (So ``exists: false`` inside such a pattern is judged
  per element: ``[{"b": 1}, {"c": 2}]`` lacks ``b`` in its second element.)

Paths are followed on mappings only; the event itself is any ``Mapping`` (JSON parsed with
``values.loads`` keeps number texts for exact matches).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from headwater.services.event_patterns.parse import parse_pattern
from headwater.services.event_patterns.tree import FieldRule, ObjectPattern
from headwater.services.event_patterns.values import MISSING

_EMPTY: Mapping[str, Any] = {}


class Pattern:
    """A compiled filter pattern; ``compile_pattern`` builds one."""

    __slots__ = ("root", "source")

    def __init__(self, root: ObjectPattern, source: str) -> None:
        self.root = root
        self.source = source

    def matches(self, event: Mapping[str, Any]) -> bool:
        return _match_object(self.root, event)

    def rules_for(self, key: str) -> list[FieldRule | ObjectPattern]:
        """What the pattern asks of a top-level key (``data``, ``body``), ``$or`` branches included."""
        return self.root.rules_for(key)

    def __repr__(self) -> str:
        return f"Pattern({self.source!r})"


def compile_pattern(text: str) -> Pattern:
    """Compile a pattern's JSON text; raises ``PatternError`` for one AWS refuses."""
    return Pattern(parse_pattern(text), text)


def _match_object(pattern: ObjectPattern, event: Mapping[str, Any]) -> bool:
    for key, rule in pattern.fields:
        value = event.get(key, MISSING)
        if isinstance(rule, ObjectPattern):
            if not _match_nested(rule, value):
                return False
        elif not _match_rule(rule, value):
            return False
    return all(any(_match_object(branch, event) for branch in group) for group in pattern.any_of)


def _match_nested(pattern: ObjectPattern, value: object) -> bool:
    if isinstance(value, Mapping):
        return _match_object(pattern, value)
    if isinstance(value, list):
        objects = [item for item in _spread(value) if isinstance(item, Mapping)]
        if objects:
            return any(_match_object(pattern, item) for item in objects)
    return _match_object(pattern, _EMPTY)


def _match_rule(rule: FieldRule, value: object) -> bool:
    leaves: Sequence[object]
    if isinstance(value, list):
        leaves = [item for item in _spread(value) if not isinstance(item, Mapping)]
    elif value is MISSING or isinstance(value, Mapping):
        leaves = ()
    else:
        leaves = (value,)  # the common case: one leaf, no list built
    if not leaves:
        return rule.exists_false
    if rule.exists_true:
        return True
    return any(matcher.test(leaf) for matcher in rule.matchers for leaf in leaves)


def _spread(value: object) -> Iterator[object]:
    """The items an event value holds at its path: itself, or its arrays' elements flattened."""
    if value is MISSING:
        return
    if not isinstance(value, list):
        yield value
        return
    stack: list[Iterator[object]] = [iter(value)]
    while stack:
        item = next(stack[-1], MISSING)
        if item is MISSING:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        else:
            yield item
