"""Compiled per-shape converters shared by the JSON and CBOR codecs.

Theory of operation. Walking a botocore `Shape` for every value (type-name dispatch, member dicts
rebuilt, isinstance chains) is what makes generic AWS codecs slow. Instead, each shape is compiled
once into a closure that converts one value: a structure holds a dict ``wire name -> (member
name, child closure)``, so parsing a request is one ``json.loads``/``cbor2.loads`` plus one closure
call per value. A `ShapeCodec` (one per wire dialect) caches readers (wire value -> Python value)
and writers (Python value -> encodable value) by shape identity: the service model, the shape
name, and the member-level serialization traits that can differ between two references to one
shape. Recursive shapes compile through a trampoline registered before their members compile.

The dialects (JSON, CBOR) differ only in blobs and timestamps, which they pass in as factories.
A writer of ``None`` means "the value is already encodable as is", which saves a call per value.

Type-mismatch messages are AWS's own (Coral's Java class names included): kinesalite's test suite,
run against real Kinesis, pins them (test/helpers.js ``assertType``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any, cast

from botocore.model import ListShape, MapShape, Shape, StructureShape

from headwater.protocol.errors import AwsError
from headwater.protocol.shape_cache import ShapeCache

Converter = Callable[[Any], Any]
Factory = Callable[[Shape], Converter | None]

_UTC = dt.UTC
_NUMBER_CLASS = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber"


# --- errors ------------------------------------------------------------------------------------


def serialization_error(message: str = "") -> AwsError:
    return AwsError("SerializationException", message)


def _java_class(value: Any) -> str:
    if isinstance(value, bool):
        return "class java.lang.Boolean"
    if isinstance(value, int | float):
        return _NUMBER_CLASS
    if isinstance(value, str):
        return "class java.lang.String"
    if isinstance(value, bytes | bytearray):
        return "class [B"
    if isinstance(value, dt.datetime):
        return "class java.util.Date"
    return f"class {type(value).__name__}"


def type_error(target: str, value: Any) -> AwsError:
    """`value` cannot become `target` ("an String", "a Blob"...): AWS's SerializationException."""
    if isinstance(value, list | tuple):
        return serialization_error("Start of list found where not expected")
    if isinstance(value, dict):
        return serialization_error("Start of structure or map found where not expected.")
    return serialization_error(f"{_java_class(value)} can not be converted to {target}")


def structure_mismatch(value: Any) -> AwsError:
    if isinstance(value, list | tuple):
        return serialization_error("Start of list found where not expected")
    return serialization_error("Expected null")


def error_document(code: str, message: str) -> dict[str, str]:
    """The body of an error in the JSON and CBOR protocols.

    AWS answers a SerializationException with a capitalised ``Message`` key, and with no message
    key at all when it has nothing to say (malformed body): kinesalite's AWS-validated
    test/connection.js and test/helpers.js. botocore and the Java SDKs read either spelling.
    """
    if not message:
        return {"__type": code}
    key = "Message" if code == "SerializationException" else "message"
    return {"__type": code, key: message}


# --- timestamps --------------------------------------------------------------------------------


def parse_iso8601(text: str) -> float:
    """Epoch seconds of an ISO-8601 date-time; naive values are UTC."""
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=_UTC)
    return when.timestamp()


def to_epoch_seconds(value: Any) -> float | int:
    """Epoch seconds of a result timestamp: int/float seconds or a datetime (naive = UTC)."""
    if type(value) is float or type(value) is int:
        return value
    if isinstance(value, dt.datetime):
        when = value if value.tzinfo is not None else value.replace(tzinfo=_UTC)
        return when.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise TypeError(f"not a timestamp: {value!r}")


def iso8601_millis(seconds: float) -> str:
    """``2009-10-12T17:50:30.000Z`` of epoch seconds."""
    when = dt.datetime.fromtimestamp(seconds, _UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def to_epoch_millis(value: Any) -> int:
    if type(value) is int:
        return value * 1000
    return round(to_epoch_seconds(value) * 1000)


# --- scalar readers common to both dialects ------------------------------------------------------


def _read_string(v: Any) -> str:
    if type(v) is str:
        return v
    raise type_error("an String", v)


def _int_reader(bits: int, java: str) -> Converter:
    low, span = -(1 << (bits - 1)), 1 << bits

    def read(v: Any) -> int:
        if type(v) is not int:
            # Coral truncates JSON numbers to the Java type (kinesalite: a 1e11 ShardCount is no
            # error), so fractional numbers are accepted too; strings and booleans are not.
            if type(v) is float and math.isfinite(v):
                v = int(v)
            else:
                raise type_error(f"an {java}", v)
        n: int = v
        if low <= n < low + span:
            return n
        return (n - low) % span + low

    return read


_SPECIAL_FLOATS = frozenset({"NaN", "Infinity", "-Infinity"})


def _float_reader(java: str) -> Converter:
    def read(v: Any) -> float:
        if type(v) is float:
            return v
        if type(v) is int:
            return float(v)
        if type(v) is str and v in _SPECIAL_FLOATS:  # JSON has no NaN/Infinity: AWS sends strings
            return float(v)
        raise type_error(f"an {java}", v)

    return read


def _read_boolean(v: Any) -> bool:
    if type(v) is bool:
        return v
    if type(v) is str:
        upper = v.upper()
        if upper in ("TRUE", "FALSE"):
            return upper == "TRUE"
        raise serialization_error(f"'{upper}' can not be converted to an Boolean")
    if type(v) is float:
        return v != 0.0  # AWS accepts doubles for booleans (kinesalite helpers.js), not integers
    raise type_error("an Boolean", v)


def _identity(v: Any) -> Any:
    return v


def write_json_float(v: Any) -> Any:
    """A float for a JSON document: NaN and the infinities as the strings AWS JSON uses."""
    if v != v:
        return "NaN"
    if v in (math.inf, -math.inf):
        return "Infinity" if v > 0 else "-Infinity"
    return v


_SCALAR_READERS: dict[str, Converter] = {
    "string": _read_string,
    "integer": _int_reader(32, "Integer"),
    "long": _int_reader(64, "Long"),
    "short": _int_reader(16, "Short"),
    "byte": _int_reader(8, "Byte"),
    "double": _float_reader("Double"),
    "float": _float_reader("Float"),
    "boolean": _read_boolean,
}


# --- the compiler ------------------------------------------------------------------------------


def is_event_stream(shape: Shape) -> bool:
    return bool(shape.serialization.get("eventstream"))


def _forward_reader(cell: list[Converter]) -> Converter:
    return lambda v: cell[0](v)


def _forward_writer(cell: list[Converter | None]) -> Converter:
    def forward(v: Any) -> Any:
        fn = cell[0]
        return v if fn is None else fn(v)

    return forward


class ShapeCodec:
    """Readers and writers for one wire dialect, compiled once per shape and cached.

    `blob_reader`/`timestamp_reader` and `blob_writer`/`timestamp_writer` build the converters the
    dialects disagree on; everything else (structures, lists, maps, numbers...) is shared.
    """

    def __init__(
        self,
        *,
        blob_reader: Factory,
        timestamp_reader: Factory,
        blob_writer: Factory,
        timestamp_writer: Factory,
        float_writer: Factory | None = None,
    ) -> None:
        self._blob_reader = blob_reader
        self._timestamp_reader = timestamp_reader
        self._blob_writer = blob_writer
        self._timestamp_writer = timestamp_writer
        self._float_writer = float_writer
        self.reader: ShapeCache[Converter] = ShapeCache(self._compile_reader, _forward_reader)
        self.writer: ShapeCache[Converter | None] = ShapeCache(self._compile_writer, _forward_writer)

    def read_params(self, shape: StructureShape | None, data: Any) -> dict[str, Any]:
        """An operation's params from its decoded body (`data` None: nothing sent)."""
        if data is None:
            return {}
        if shape is None:
            if type(data) is not dict:
                raise structure_mismatch(data)
            return {}
        params: dict[str, Any] = self.reader(shape)(data)
        return params

    def write(self, shape: Shape, value: Any) -> Any:
        """`value` of `shape`, ready for the encoder."""
        writer = self.writer(shape)
        return value if writer is None else writer(value)

    def _compile_reader(self, shape: Shape) -> Converter:
        kind = shape.type_name
        if kind == "structure":
            structure = cast(StructureShape, shape)
            return _identity if structure.is_document_type else self._structure_reader(structure)
        if kind == "list":
            return self._list_reader(cast(ListShape, shape))
        if kind == "map":
            return self._map_reader(cast(MapShape, shape))
        if kind == "blob":
            return self._blob_reader(shape) or _identity
        if kind == "timestamp":
            return self._timestamp_reader(shape) or _identity
        return _SCALAR_READERS.get(kind, _identity)

    def _structure_reader(self, shape: StructureShape) -> Converter:
        members: dict[str, tuple[str, Converter]] = {}
        for name, member in shape.members.items():
            members[member.serialization.get("name", name)] = (name, self.reader(member))

        def read(v: Any) -> dict[str, Any]:
            if type(v) is not dict:
                raise structure_mismatch(v)
            out = {}
            for key, item in v.items():
                entry = members.get(key)
                if entry is not None and item is not None:
                    out[entry[0]] = entry[1](item)
            return out

        return read

    def _list_reader(self, shape: ListShape) -> Converter:
        item_reader = self.reader(shape.member)

        def read(v: Any) -> list[Any]:
            if type(v) is not list:
                if isinstance(v, dict):
                    raise serialization_error("Start of structure or map found where not expected.")
                raise serialization_error("Expected list or null")
            return [item_reader(item) for item in v if item is not None]

        return read

    def _map_reader(self, shape: MapShape) -> Converter:
        key_reader = self.reader(shape.key)
        value_reader = self.reader(shape.value)

        def read(v: Any) -> dict[Any, Any]:
            if type(v) is not dict:
                if isinstance(v, list):
                    raise serialization_error("Start of list found where not expected")
                raise serialization_error("Expected map or null")
            return {key_reader(k): value_reader(item) for k, item in v.items() if item is not None}

        return read

    def _compile_writer(self, shape: Shape) -> Converter | None:
        kind = shape.type_name
        if kind == "structure":
            structure = cast(StructureShape, shape)
            return None if structure.is_document_type else self._structure_writer(structure)
        if kind == "list":
            item_writer = self.writer(cast(ListShape, shape).member)
            if item_writer is None:
                return lambda v: v if type(v) is list else list(v)
            return lambda v: [item_writer(item) for item in v]
        if kind == "map":
            value_writer = self.writer(cast(MapShape, shape).value)
            if value_writer is None:
                return lambda v: {k: item for k, item in v.items() if item is not None}
            return lambda v: {k: value_writer(item) for k, item in v.items() if item is not None}
        if kind == "blob":
            return self._blob_writer(shape)
        if kind == "timestamp":
            return self._timestamp_writer(shape)
        if kind in ("float", "double") and self._float_writer is not None:
            return self._float_writer(shape)
        return None

    def _structure_writer(self, shape: StructureShape) -> Converter:
        members: dict[str, tuple[str, Converter | None]] = {}
        for name, member in shape.members.items():
            if is_event_stream(member):
                continue  # sent as event-stream frames, never in the body
            members[name] = (member.serialization.get("name", name), self.writer(member))

        def write(v: Mapping[str, Any]) -> dict[str, Any]:
            out = {}
            for name, item in v.items():
                entry = members.get(name)
                if entry is not None and item is not None:
                    fn = entry[1]
                    out[entry[0]] = item if fn is None else fn(item)
            return out

        return write
