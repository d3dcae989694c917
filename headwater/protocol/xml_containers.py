"""Writing lists and maps as XML, shared by the Query and REST-XML codecs.

Both codecs write elements into a list of strings with a writer per shape; they differ in their
scalars (escaping, formats), so each passes its own `resolve` (shape -> that codec's writer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape

Writer = Callable[[Any, list[str], str], None]  # (value, output, element name) -> None


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
