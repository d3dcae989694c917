"""A compiled pattern: a tree of object nodes whose leaves are match lists.

``{"a": ["x"], "b": {"c": [{"prefix": "p"}]}, "$or": [{"d": [1]}, {"e": [2]}]}`` becomes an
``ObjectPattern`` with the fields ``a`` (a ``FieldRule``) and ``b`` (a nested ``ObjectPattern``),
and one ``$or`` group of two branches. Every field must match and, for each ``$or`` group, at
least one branch; a ``FieldRule`` matches when any of its entries does.
"""

from __future__ import annotations

from dataclasses import dataclass

from headwater.services.event_patterns.matchers import Matcher


@dataclass(frozen=True, slots=True)
class FieldRule:
    """A field's match list: value tests plus the ``exists`` entries, ORed."""

    matchers: tuple[Matcher, ...]
    exists_true: bool = False
    exists_false: bool = False


@dataclass(frozen=True, slots=True)
class ObjectPattern:
    fields: tuple[tuple[str, FieldRule | ObjectPattern], ...]
    any_of: tuple[tuple[ObjectPattern, ...], ...] = ()

    def rules_for(self, key: str) -> list[FieldRule | ObjectPattern]:
        """What this pattern asks of ``key`` at this level, in itself and in its ``$or`` branches."""
        found = [rule for name, rule in self.fields if name == key]
        for group in self.any_of:
            for branch in group:
                found.extend(branch.rules_for(key))
        return found
