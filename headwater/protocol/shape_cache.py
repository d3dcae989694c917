"""One memoised shape compiler, shared by every model-driven codec and by validation.

Theory of operation. Each codec turns a botocore `Shape` into a closure once and reuses it. The
cache key is the shape's identity (`shape_key`): the service model it came from, its name and
type, and the member-level serialization traits that can differ between two references to one
shape (``locationName``, ``timestampFormat``...). Two ad-hoc models that both define an
``InputShape`` therefore never share an entry, since each `ServiceModel` has its own resolver; the
cache holds a reference to every resolver it keyed on so that its ``id()`` is never reused by a
later model while the entry lives.

Recursive shapes (a structure that contains itself) compile through a trampoline: before the
compiler runs, the cache stores a forwarding closure that calls whatever the compiler eventually
returns, so a recursive reference met during compilation resolves to it. Each codec supplies the
forwarder since only it knows its closures' signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from botocore.model import Shape

F = TypeVar("F")
Key = tuple[int, str, str, str]

_MISSING: Any = object()


def shape_key(shape: Shape) -> Key:
    """Identity of a shape for caching: its service model, name, type and member-level traits."""
    resolver = getattr(shape, "_shape_resolver", None)
    traits = repr(sorted(shape.serialization.items())) if shape.serialization else ""
    return (id(resolver), shape.name, shape.type_name, traits)


class ShapeCache(Generic[F]):
    """``cache(shape)`` -> ``compile(shape)``, computed once per shape identity.

    `forward(cell)` builds the trampoline for recursive shapes: a closure of type F that calls
    ``cell[0]`` (filled in once `compile` returns). F may include None (e.g. "no conversion").
    """

    __slots__ = ("_compile", "_entries", "_forward", "_pinned")

    def __init__(self, compile: Callable[[Shape], F], forward: Callable[[list[F]], F]) -> None:
        self._compile = compile
        self._forward = forward
        self._entries: dict[Key, F] = {}
        self._pinned: dict[int, object] = {}

    def __call__(self, shape: Shape) -> F:
        key = shape_key(shape)
        fn: F = self._entries.get(key, _MISSING)
        if fn is not _MISSING:
            return fn
        self._pinned.setdefault(key[0], getattr(shape, "_shape_resolver", None))
        cell: list[F] = []
        self._entries[key] = self._forward(cell)
        try:
            fn = self._compile(shape)
        except BaseException:
            del self._entries[key]
            raise
        cell.append(fn)
        self._entries[key] = fn
        return fn

    def __len__(self) -> int:
        return len(self._entries)
