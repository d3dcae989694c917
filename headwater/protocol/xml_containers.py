"""Writing XML by shape, what the Query and REST-XML codecs share: the compiled writer cache,
lists, maps, element names and the scalars they write alike (numbers, booleans, blobs: text that
never needs escaping).

Both codecs write elements into a list of strings with a writer per shape, compiled once
(`writer_cache`); they differ in structures (namespaces, attributes), strings (escaping) and
timestamps (formats), which each passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from botocore.model import ListShape, MapShape, Shape, StructureShape

from headwater.protocol.scalar_text import format_blob, format_boolean, format_float, format_integer
from headwater.protocol.shape_cache import ShapeCache

Writer = Callable[[Any, list[str], str], None]  # (value, output, element name) -> None


def wire_name(member: Shape, name: str) -> str:
    """The element (or Query field) name of a structure member, as botocore's Query/XML code spells it."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name: str | None = cast(ListShape, member).member.serialization.get("name")
        if item_name:
            return item_name
    wire: str = member.serialization.get("name", name)
    return wire


def text_writer(convert: Callable[[Any], str], escape: Callable[[str], str] | None) -> Writer:
    """A scalar element; `escape` None for text that never needs it (saves a call per value)."""
    if escape is None:

        def write_plain(value: Any, out: list[str], tag: str) -> None:
            out.append(f"<{tag}>{convert(value)}</{tag}>")

        return write_plain

    def write(value: Any, out: list[str], tag: str) -> None:
        out.append(f"<{tag}>{escape(convert(value))}</{tag}>")

    return write


_write_integer = text_writer(format_integer, None)
_write_float = text_writer(format_float, None)
_SCALAR_WRITERS: dict[str, Writer] = {
    "integer": _write_integer,
    "long": _write_integer,
    "short": _write_integer,
    "byte": _write_integer,
    "float": _write_float,
    "double": _write_float,
    "boolean": text_writer(format_boolean, None),
    "blob": text_writer(format_blob, None),
}


def _forward_writer(cell: list[Writer]) -> Writer:
    return lambda value, out, tag: cell[0](value, out, tag)


def writer_cache(
    structure: Callable[[StructureShape], Writer], timestamp: Callable[[Shape], Writer], string: Writer
) -> ShapeCache[Writer]:
    """A codec's writers by shape: its own `structure`, `timestamp` and `string` writers, the
    shared lists, maps and other scalars."""

    def compile_writer(shape: Shape) -> Writer:
        kind = shape.type_name
        if kind == "structure":
            return structure(cast(StructureShape, shape))
        if kind == "list":
            return list_writer(cast(ListShape, shape), cache)
        if kind == "map":
            return map_writer(cast(MapShape, shape), cache)
        if kind == "timestamp":
            return timestamp(shape)
        return _SCALAR_WRITERS.get(kind, string)

    cache: ShapeCache[Writer] = ShapeCache(compile_writer, _forward_writer)
    return cache


def list_writer(shape: ListShape, resolve: Callable[[Shape], Writer]) -> Writer:
    item = resolve(shape.member)
    if shape.serialization.get("flattened"):

        def write_flat(value: Any, out: list[str], tag: str) -> None:
            for element in value:
                item(element, out, tag)

        return write_flat
    item_tag = shape.member.serialization.get("name", "member")

    def write(value: Any, out: list[str], tag: str) -> None:
        out.append(f"<{tag}>")
        for element in value:
            item(element, out, item_tag)
        out.append(f"</{tag}>")

    return write


def map_writer(shape: MapShape, resolve: Callable[[Shape], Writer]) -> Writer:
    key_writer, value_writer = resolve(shape.key), resolve(shape.value)
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")
    flattened = bool(shape.serialization.get("flattened"))

    def write(value: Mapping[Any, Any], out: list[str], tag: str) -> None:
        entry_tag = tag if flattened else "entry"
        if not flattened:
            out.append(f"<{tag}>")
        for k, v in value.items():
            if v is None:
                continue
            out.append(f"<{entry_tag}>")
            key_writer(k, out, key_tag)
            value_writer(v, out, value_tag)
            out.append(f"</{entry_tag}>")
        if not flattened:
            out.append(f"</{tag}>")

    return write
