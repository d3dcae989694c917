"""AWS Query requests (form fields in) and their XML responses (bytes out), driven by the model.

Theory of operation. A Query request is a flat set of fields whose names spell a path through the
input shape: ``MessageAttribute.1.Value.StringValue``. We first fold the fields into a trie keyed
by the dot-separated parts (a field that is both a leaf and a prefix keeps its leaf under ``""``),
then walk the trie with per-shape readers compiled once and cached, as `shapes.ShapeCodec` does
for JSON. The wire layout follows botocore's Query serializer, i.e. the model's traits:

* structure member: its ``locationName`` or its member name;
* list: ``<name>.member.N`` (``member`` = the list member's ``locationName``), or when
  ``flattened`` ``<name>.N``, where a flattened list whose member has a ``locationName`` replaces
  the member's own name with it (``AttributeNames`` -> ``AttributeName.1``); an empty list is
  sent as the bare ``<name>=``, and a bare value is a one-item list of scalars (AWS's own examples
  send ``AttributeName=All``). When two members share a wire name the first one reads it;
* map: ``<name>.entry.N.key`` / ``.value`` (``key``/``value`` = the locationNames), without the
  ``entry`` part when ``flattened``.

Responses walk the output shape with compiled writers appending XML text to a list; each writer
is handed the element name by its parent, so a flattened list simply repeats its item's element.
SQS escapes ``"`` and ``\\r`` in text too (``&quot;``, ``&#xD;``); a ``\\r`` left raw would be
normalised to ``\\n`` by the client's XML parser, and SDKs checksum message bodies.

Malformed values raise AWS's Query error ``InvalidParameterValue`` (the code SQS answers for a
value it cannot use); constraints (lengths, ranges, required members) are `validation.py`'s job.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import parse_qsl

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from headwater.protocol.errors import AwsError
from headwater.protocol.shape_cache import ShapeCache
from headwater.protocol.shapes import iso8601_millis, parse_iso8601, to_epoch_seconds
from headwater.protocol.xml_containers import text_writer, wire_name, writer_cache

CONTENT_TYPE = "text/xml"

Node = str | dict[str, Any]  # a trie node: a leaf value or {part: node}
Reader = Callable[[Node, str], Any]  # (node, field path for messages) -> value
Writer = Callable[[Any, list[str], str], None]  # (value, output, element name) -> None

_IGNORED = ("Action", "Version")


def invalid_value(path: str, value: Any, reason: str) -> AwsError:
    return AwsError(
        "InvalidParameterValue", f"Value {value} for parameter {path} is invalid. Reason: {reason}"
    )


# --- the trie ----------------------------------------------------------------------------------


def _trie(params: Mapping[str, str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in params.items():
        if key in _IGNORED:
            continue
        node = root
        *parents, last = key.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {} if child is None else {"": child}
            node = child
        if isinstance(node.get(last), dict):
            node[last][""] = value
        else:
            node[last] = value
    return root


def _leaf(node: Node, path: str) -> str:
    if isinstance(node, str):
        return node
    leaf = node.get("")
    if not isinstance(leaf, str):
        raise invalid_value(path, "", "Expected a value, found nested parameters.")
    return leaf


def _children(node: Node) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}  # a bare "" is how an empty list is sent


def _indexed(node: Node, path: str) -> list[tuple[str, Any]]:
    """The ``N`` children of `node` in index order (1-based on the wire)."""
    items = []
    for key, child in _children(node).items():
        if key == "":
            continue
        if not key.isdigit() or key.startswith("0"):
            raise invalid_value(f"{path}.{key}", key, "Expected a positive index.")
        items.append((int(key), f"{path}.{key}", child))
    items.sort(key=lambda item: item[0])
    return [(p, c) for _, p, c in items]


# --- scalar readers ----------------------------------------------------------------------------


def _read_string(node: Node, path: str) -> str:
    return _leaf(node, path)


def _int_reader(bits: int) -> Reader:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def read(node: Node, path: str) -> int:
        text = _leaf(node, path)
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise invalid_value(path, text, "Must be an integer.") from None
        if not low <= value <= high:
            raise invalid_value(path, text, "Must be an integer.")
        return value

    return read


def _read_float(node: Node, path: str) -> float:
    text = _leaf(node, path)
    try:
        value = float(text)
    except ValueError:
        raise invalid_value(path, text, "Must be a number.") from None
    if not math.isfinite(value):
        raise invalid_value(path, text, "Must be a number.")
    return value


def _read_boolean(node: Node, path: str) -> bool:
    text = _leaf(node, path)
    lower = text.lower()
    if lower not in ("true", "false"):
        raise invalid_value(path, text, "Must be true or false.")
    return lower == "true"


def _read_blob(node: Node, path: str) -> bytes:
    text = _leaf(node, path)
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        raise invalid_value(path, text, "Must be valid Base64.") from None


def _read_timestamp(node: Node, path: str) -> float:
    text = _leaf(node, path)
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_iso8601(text)
    except ValueError:
        raise invalid_value(path, text, "Must be an ISO-8601 date or epoch seconds.") from None


_SCALAR_READERS: dict[str, Reader] = {
    "string": _read_string,
    "character": _read_string,
    "integer": _int_reader(32),
    "long": _int_reader(64),
    "short": _int_reader(16),
    "byte": _int_reader(8),
    "float": _read_float,
    "double": _read_float,
    "boolean": _read_boolean,
    "blob": _read_blob,
    "timestamp": _read_timestamp,
}


# --- compiled readers --------------------------------------------------------------------------


def _forward_reader(cell: list[Reader]) -> Reader:
    return lambda node, path: cell[0](node, path)


_reader: ShapeCache[Reader] = ShapeCache(lambda shape: _compile_reader(shape), _forward_reader)


def _compile_reader(shape: Shape) -> Reader:
    kind = shape.type_name
    if kind == "structure":
        return _structure_reader(cast(StructureShape, shape))
    if kind == "list":
        return _list_reader(cast(ListShape, shape))
    if kind == "map":
        return _map_reader(cast(MapShape, shape))
    return _SCALAR_READERS.get(kind, _read_string)


def _structure_reader(shape: StructureShape) -> Reader:
    members: dict[str, tuple[str, Reader]] = {}
    for name, member in shape.members.items():
        # Two members may share a wire name (SQS's AttributeNames and MessageSystemAttributeNames
        # are both ``AttributeName.N``): the first, the Query-era one, receives it.
        members.setdefault(wire_name(member, name), (name, _reader(member)))

    def read(node: Node, path: str) -> dict[str, Any]:
        out = {}
        for wire, child in _children(node).items():
            entry = members.get(wire)
            if entry is not None:
                out[entry[0]] = entry[1](child, f"{path}.{wire}" if path else wire)
        return out

    return read


def _list_reader(shape: ListShape) -> Reader:
    item = _reader(shape.member)
    wrapper = (
        None if shape.serialization.get("flattened") else shape.member.serialization.get("name", "member")
    )
    # A bare, unindexed value is a one-item list of scalars: AWS's own examples send
    # ``AttributeName=All`` (API reference, ReceiveMessage). A bare empty value is an empty list.
    scalar = shape.member.type_name not in ("structure", "list", "map")

    def read(node: Node, path: str) -> list[Any]:
        if wrapper is not None:
            node = _children(node).get(wrapper, "")
            path = f"{path}.{wrapper}"
        if isinstance(node, str):
            return [item(node, path)] if node and scalar else []
        return [item(child, child_path) for child_path, child in _indexed(node, path)]

    return read


def _map_reader(shape: MapShape) -> Reader:
    key_reader, value_reader = _reader(shape.key), _reader(shape.value)
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    flattened = bool(shape.serialization.get("flattened"))

    def read(node: Node, path: str) -> dict[Any, Any]:
        if not flattened:
            node = _children(node).get("entry", "")
            path = f"{path}.entry"
        out = {}
        for entry_path, entry in _indexed(node, path):
            fields = _children(entry)
            if key_name not in fields:
                raise invalid_value(f"{entry_path}.{key_name}", "", "Expected a map key.")
            key = key_reader(fields[key_name], f"{entry_path}.{key_name}")
            if value_name in fields:
                out[key] = value_reader(fields[value_name], f"{entry_path}.{value_name}")
        return out

    return read


# --- XML writing -------------------------------------------------------------------------------

# SQS's own escaping: `"` and `\r` too, so that the client's XML parser gives them back verbatim.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#xD;"})


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _timestamp_writer(shape: Shape) -> Writer:
    if shape.serialization.get("timestampFormat", "iso8601") == "unixTimestamp":
        return text_writer(lambda v: str(to_epoch_seconds(v)), None)
    return text_writer(lambda v: iso8601_millis(to_epoch_seconds(v)), None)


def _structure_writer(shape: StructureShape) -> Writer:
    members = {name: (wire_name(m, name), _writer(m)) for name, m in shape.members.items()}

    def write(value: Mapping[str, Any], out: list[str], tag: str) -> None:
        out.append(f"<{tag}>")
        for name, item in value.items():
            entry = members.get(name)
            if entry is not None and item is not None:
                entry[1](item, out, entry[0])
        out.append(f"</{tag}>")

    return write


_writer = writer_cache(lambda shape: _structure_writer(shape), _timestamp_writer, text_writer(str, escape))


# --- API ---------------------------------------------------------------------------------------

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# AWS's front-end answer to a Query request without an Action: 404, this body, no content type
# (recorded from SQS, CloudSearch and SES; LocalStack's AWS-validated TestSqsQueryApi)
NO_ACTION_BODY = b"<UnknownOperationException/>\n"


def is_form(content_type: str) -> bool:
    """True for a form-encoded body (charset and other parameters allowed)."""
    return content_type.split(";", 1)[0].strip().lower() == FORM_CONTENT_TYPE


def decode_fields(query_string: bytes, body: bytes = b"") -> dict[str, str]:
    """The Query fields of a request: its query string, then its form body (which wins on a clash).

    `body` must only be passed when it is form-encoded. Raises InvalidParameterValue for text that
    is not UTF-8 once percent-decoded.
    """
    fields: dict[str, str] = {}
    for source in (query_string, body):
        if not source:
            continue
        try:
            text = source.decode("utf-8")
            fields.update(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict"))
        except UnicodeDecodeError:
            raise AwsError("InvalidParameterValue", "The request must be form-encoded UTF-8 text.") from None
    return fields


def parse_request(op: OperationModel, params: Mapping[str, str]) -> dict[str, Any]:
    """The operation's input from decoded form/query fields; raises InvalidParameterValue."""
    shape = op.input_shape
    if shape is None:
        return {}
    params_out: dict[str, Any] = _reader(shape)(_trie(params), "")
    return params_out


def namespace(model: OperationModel | ServiceModel) -> str | None:
    """The response xmlns: the model's ``xmlNamespace``, else SQS's for SQS (its JSON-era model lost it)."""
    service = model.service_model if isinstance(model, OperationModel) else model
    ns = service.metadata.get("xmlNamespace")
    if isinstance(ns, dict):
        ns = ns.get("uri")
    if not ns and service.metadata.get("endpointPrefix") == "sqs":
        ns = f"http://queue.amazonaws.com/doc/{service.metadata.get('apiVersion', '2012-11-05')}/"
    return ns or None


def _open(tag: str, ns: str | None) -> str:
    return f'<{tag} xmlns="{escape(ns)}">' if ns else f"<{tag}>"


def serialize_response(op: OperationModel, result: Mapping[str, Any], request_id: str) -> bytes:
    """``<{Op}Response><{Op}Result>...</{Op}Result><ResponseMetadata>...`` for `result`."""
    out = ['<?xml version="1.0"?>', _open(f"{op.name}Response", namespace(op))]
    shape = op.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper") or f"{op.name}Result"
        _writer(shape)(result, out, wrapper)
    out.append(f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>")
    out.append(f"</{op.name}Response>")
    return "".join(out).encode()


def serialize_error(
    code: str,
    message: str,
    request_id: str,
    sender_fault: bool = True,
    *,
    xmlns: str | None = None,
    detail: bool = True,
) -> bytes:
    """The Query error envelope; `xmlns` (e.g. `namespace(op)`) is optional, clients ignore it.
    SQS's envelope has an empty ``<Detail/>``, STS's none (`detail`)."""
    kind = "Sender" if sender_fault else "Receiver"
    tail = "<Detail/>" if detail else ""
    return (
        f'<?xml version="1.0"?>{_open("ErrorResponse", xmlns)}<Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>{tail}</Error>"
        f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    ).encode()
