"""The closures compiled statements are made of, and the literal forms they start from: a walk down
a path of keys and indexes, a function call, SELECT's output object, cast(), string literals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwater.services.iot.rules.sql.context import Context
from headwater.services.iot.rules.sql.functions import Spec
from headwater.services.iot.rules.sql.values import UNDEFINED, to_bool, to_int_floor, to_number, whole_to_int

Fn = Callable[[Context], Any]


def undefined(ctx: Context) -> Any:
    return UNDEFINED


def current_document(ctx: Context) -> Any:
    return ctx.doc


def walker(root: Fn | None, steps: tuple[Any, ...]) -> Fn:
    if root is None and len(steps) == 1:
        (key,) = steps

        def field(ctx: Context) -> Any:
            doc = ctx.doc
            return doc.get(key, UNDEFINED) if type(doc) is dict else UNDEFINED

        return field

    def walk(ctx: Context) -> Any:
        value = ctx.doc if root is None else root(ctx)
        for step in steps:
            if type(step) is str:
                if type(value) is not dict:
                    return UNDEFINED
                value = value.get(step, UNDEFINED)
            else:
                if type(value) is not list:
                    return UNDEFINED
                index = step(ctx)
                if type(index) is not int or not 0 <= index < len(value):
                    return UNDEFINED
                value = value[index]
        return value

    return walk


def caller(spec: Spec, args: list[Fn]) -> Fn:
    impl = spec.impl
    if spec.contextual:
        if not args:
            return impl
        if len(args) == 1:
            (first,) = args
            return lambda ctx: impl(ctx, first(ctx))
        return lambda ctx: impl(ctx, *[arg(ctx) for arg in args])
    if len(args) == 1:
        (only,) = args
        return lambda ctx: impl(only(ctx))
    if len(args) == 2:
        left, right = args
        return lambda ctx: impl(left(ctx), right(ctx))
    return lambda ctx: impl(*[arg(ctx) for arg in args])


def build_object(star: bool, items: list[tuple[tuple[str, ...], Fn]]) -> Fn:
    flat = all(len(key) == 1 for key, _ in items)
    simple = [(key[0], fn) for key, fn in items] if flat else []

    def build(ctx: Context) -> Any:
        out: dict[str, Any] = dict(ctx.doc) if star and type(ctx.doc) is dict else {}
        if flat:
            for key, fn in simple:
                value = fn(ctx)
                if value is not UNDEFINED:
                    out[key] = value
            return out
        for path, fn in items:
            value = fn(ctx)
            if value is UNDEFINED:
                continue
            target = out
            for part in path[:-1]:
                nested = target.get(part)
                # a copy: an object from the payload (`SELECT *, x AS a.b`) is never written to
                nested = target[part] = dict(nested) if type(nested) is dict else {}
                target = nested
            target[path[-1]] = value
        return out

    return build


def cast_int(value: Any) -> Any:
    if type(value) is bool:
        return int(value)
    if value is None:
        return UNDEFINED
    return to_int_floor(value)


def cast_decimal(value: Any, whole_as_int: bool) -> Any:
    if type(value) is bool:
        number: Any = 1.0 if value else 0.0
    else:
        number = to_number(value)
        if number is UNDEFINED:
            return UNDEFINED
        number = float(number)
    return whole_to_int(number) if whole_as_int else number


def cast_bool(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is float:
        return value != 0
    return to_bool(value)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}


def unquote(token: str) -> str:
    """A string literal's text: the quotes removed, backslash escapes (\\n, \\', \\uXXXX...) applied."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and i + 6 <= len(body) and _is_hex(body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)
