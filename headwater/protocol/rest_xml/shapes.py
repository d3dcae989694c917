"""XML bodies of REST-XML (S3) requests and responses, read and written by shape.

Theory of operation. As in query_codec, each botocore shape compiles once into a closure, cached
by `shape_cache.shape_key`, with a trampoline for recursive shapes (S3's lifecycle filters nest). The
layout follows botocore's rest-xml serializer and parser:

* structure member: an element named by the member's ``locationName`` (or its name); a flattened
  list member repeats its item element directly in the parent, named by the list member's
  ``locationName`` when it has one (``Contents``, ``CommonPrefixes``, ``Rule``...);
  ``xmlAttribute`` members are attributes (``<Grantee xsi:type="CanonicalUser">``);
* list: ``<name><member>..</member></name>``, ``member`` being the item's ``locationName``;
* map: ``<name><entry><key/><value/></entry></name>``, no ``entry`` wrapper when flattened;
* timestamp: ISO 8601 with milliseconds (``2009-10-12T17:50:30.000Z``); blob: base64.

Reading is lenient the way S3 is: namespaces are ignored, unknown elements skipped, a list takes
every child whatever its tag. A value that cannot be converted (``<Days>x</Days>``) is
MalformedXML. Timestamps read as aware UTC datetimes; writers take a datetime (naive = UTC), epoch
seconds, or a preformatted string.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, cast
from xml.etree.ElementTree import Element

from botocore.model import ListShape, MapShape, Shape, StructureShape

from headwater.protocol.rest_xml.errors import escape, malformed_xml
from headwater.protocol.scalar_text import EPOCH, as_datetime, http_date, parse_timestamp
from headwater.protocol.shape_cache import ShapeCache
from headwater.protocol.xml_containers import text_writer, wire_name, writer_cache

Reader = Callable[[Element], Any]
Writer = Callable[[Any, list[str], str], None]  # (value, output, element name)
Content = Callable[[Mapping[str, Any], list[str]], None]  # a structure's members, without its tag

_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", '"': "&quot;", "\r": "&#xD;", "\n": "&#xA;"})


def local_name(tag: str) -> str:
    """``{namespace}Name`` -> ``Name``."""
    return tag[tag.rfind("}") + 1 :]


# --- timestamps ----------------------------------------------------------------------------------


# Formatted by hand: strftime costs more than the rest of a ListObjects entry.
def iso8601(value: Any) -> str:
    """``2009-10-12T17:50:30.000Z``; a string passes through."""
    if isinstance(value, str):
        return value
    w = as_datetime(value)
    return (
        f"{w.year:04d}-{w.month:02d}-{w.day:02d}T{w.hour:02d}:{w.minute:02d}:{w.second:02d}"
        f".{w.microsecond // 1000:03d}Z"
    )


def rfc1123(value: Any) -> str:
    """``Mon, 12 Oct 2009 17:50:30 GMT``; a string passes through."""
    return value if isinstance(value, str) else http_date(value)


def epoch_seconds(value: Any) -> str:
    if isinstance(value, str):
        return value
    seconds = (as_datetime(value) - EPOCH).total_seconds()
    return str(int(seconds)) if seconds == int(seconds) else f"{seconds:.3f}"


def timestamp_format(shape: Shape, default: str) -> Callable[[Any], str]:
    """The formatter of a timestamp shape: its ``timestampFormat``, else `default`."""
    fmt = shape.serialization.get("timestampFormat", default)
    return {"rfc822": rfc1123, "unixTimestamp": epoch_seconds}.get(fmt, iso8601)


# --- readers -------------------------------------------------------------------------------------


def _text(element: Element) -> str:
    return element.text or ""


def _read_int(element: Element) -> int:
    try:
        return int(_text(element).strip(), 10)
    except ValueError:
        raise malformed_xml() from None


def _read_float(element: Element) -> float:
    try:
        return float(_text(element).strip())
    except ValueError:
        raise malformed_xml() from None


def _read_boolean(element: Element) -> bool:
    text = _text(element).strip()
    if text == "true":
        return True
    if text == "false":
        return False
    raise malformed_xml()


def _read_timestamp(element: Element) -> dt.datetime:
    try:
        return parse_timestamp(_text(element))
    except ValueError:
        raise malformed_xml() from None


def _read_blob(element: Element) -> bytes:
    try:
        return base64.b64decode(_text(element).strip(), validate=True)
    except binascii.Error:
        raise malformed_xml() from None


_SCALAR_READERS: dict[str, Reader] = {
    "integer": _read_int,
    "long": _read_int,
    "short": _read_int,
    "byte": _read_int,
    "float": _read_float,
    "double": _read_float,
    "boolean": _read_boolean,
    "timestamp": _read_timestamp,
    "blob": _read_blob,
}


def _forward_reader(cell: list[Reader]) -> Reader:
    return lambda element: cell[0](element)


reader: ShapeCache[Reader] = ShapeCache(lambda shape: _compile_reader(shape), _forward_reader)


def _compile_reader(shape: Shape) -> Reader:
    kind = shape.type_name
    if kind == "structure":
        return structure_reader(cast(StructureShape, shape))
    if kind == "list":
        item = reader(cast(ListShape, shape).member)
        return lambda element: [item(child) for child in element]
    if kind == "map":
        return _map_reader(cast(MapShape, shape))
    return _SCALAR_READERS.get(kind, _text)


def structure_reader(shape: StructureShape, only: Callable[[Shape], bool] | None = None) -> Reader:
    """A structure's reader; `only` keeps the members it accepts (the body members of an input)."""
    # wire name -> (member name, reader, how it sits: "one" | "list" | "map")
    members: dict[str, tuple[str, Reader, str]] = {}
    attributes: list[tuple[str, str, Reader]] = []  # (attribute local name, member, reader)
    for name, member in shape.members.items():
        if only is not None and not only(member):
            continue
        if member.serialization.get("xmlAttribute"):
            attributes.append((member.serialization["name"].rpartition(":")[2], name, _text))
            continue
        wire = wire_name(member, name)
        flattened = member.type_name in ("list", "map") and member.serialization.get("flattened")
        if flattened and member.type_name == "list":
            # botocore's serializer names a flattened list's items after the member, its parser
            # after the item's locationName: read both.
            item_reader = reader(cast(ListShape, member).member)
            members.setdefault(member.serialization.get("name", name), (name, item_reader, "list"))
        if wire in members and (members[wire][2] == "list" or not flattened):
            continue  # two members, one element name: the repeatable one reads it (<Event>)
        if not flattened:
            members[wire] = (name, reader(member), "one")
        elif member.type_name == "list":
            members[wire] = (name, reader(cast(ListShape, member).member), "list")
        else:
            members[wire] = (name, _entry_reader(cast(MapShape, member)), "map")

    def read(element: Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in element:
            entry = members.get(local_name(child.tag))
            if entry is None:
                continue
            name, read_child, how = entry
            if how == "one":
                out[name] = read_child(child)
            elif how == "list":
                out.setdefault(name, []).append(read_child(child))
            else:
                k, v = read_child(child)
                out.setdefault(name, {})[k] = v
        if attributes and element.attrib:
            by_local = {local_name(k): v for k, v in element.attrib.items()}
            for attr, name, _ in attributes:
                if attr in by_local:
                    out[name] = by_local[attr]
        return out

    return read


def _entry_reader(shape: MapShape) -> Callable[[Element], tuple[Any, Any]]:
    key_reader, value_reader = reader(shape.key), reader(shape.value)
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")

    def read(entry: Element) -> tuple[Any, Any]:
        key = value = None
        for child in entry:
            tag = local_name(child.tag)
            if tag == key_name:
                key = key_reader(child)
            elif tag == value_name:
                value = value_reader(child)
        if key is None:
            raise malformed_xml()
        return key, value

    return read


def _map_reader(shape: MapShape) -> Reader:
    entry = _entry_reader(shape)
    return lambda element: dict(entry(child) for child in element)


# --- writers -------------------------------------------------------------------------------------


def _timestamp_writer(shape: Shape) -> Writer:
    fmt = timestamp_format(shape, "iso8601")
    return text_writer(lambda v: escape(v) if isinstance(v, str) else fmt(v), None)


writer = writer_cache(lambda shape: _structure_writer(shape), _timestamp_writer, text_writer(str, escape))


def _namespace_attribute(shape: Shape) -> str:
    ns = shape.serialization.get("xmlNamespace")
    if isinstance(ns, Mapping):
        prefix = ns.get("prefix")
        return f' xmlns{":" + prefix if prefix else ""}="{ns["uri"]}"'
    return f' xmlns="{ns}"' if ns else ""


def content_writer(shape: StructureShape, only: Callable[[Shape], bool] | None = None) -> Content:
    """Writes a structure's member elements (model order); `only` keeps the members it accepts."""
    members = [
        (name, wire_name(member, name), writer(member))
        for name, member in shape.members.items()
        if not member.serialization.get("xmlAttribute") and (only is None or only(member))
    ]

    def write(value: Mapping[str, Any], out: list[str]) -> None:
        for name, tag, write_member in members:
            item = value.get(name)
            if item is not None:
                write_member(item, out, tag)

    return write


def attributes_writer(shape: StructureShape) -> Callable[[Mapping[str, Any]], str]:
    """The ``xmlAttribute`` members of a structure value as attribute text (`` name="value"``)."""
    attributes = [
        (name, member.serialization["name"])
        for name, member in shape.members.items()
        if member.serialization.get("xmlAttribute")
    ]

    def write(value: Mapping[str, Any]) -> str:
        attrs = ""
        for name, attr in attributes:
            item = value.get(name)
            if item is not None:
                attrs += f' {attr}="{str(item).translate(_ATTR_ESCAPES)}"'
        return attrs

    return write


def _structure_writer(shape: StructureShape) -> Writer:
    content = content_writer(shape)
    namespace = _namespace_attribute(shape)
    attributes = attributes_writer(shape)

    def write(value: Mapping[str, Any], out: list[str], tag: str) -> None:
        out.append(f"<{tag}{namespace}{attributes(value)}>")
        content(value, out)
        out.append(f"</{tag}>")

    return write
