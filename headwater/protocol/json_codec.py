"""AWS JSON 1.0/1.1 bodies (the botocore ``json`` protocol), driven by the service model.

Sans-IO: request bytes in, a dict keyed by the model's member names out; a result dict in,
response bytes out. Blobs travel as base64 text, timestamps as epoch-seconds numbers (members
with a ``timestampFormat`` trait honour it). Malformed input raises AWS's SerializationException
with AWS's wording; constraints (lengths, patterns...) are `validation.py`'s job.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from email.utils import formatdate, parsedate_to_datetime
from importlib import import_module
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from headwater.protocol.modeled_errors import ErrorWriter
from headwater.protocol.shapes import (
    Converter,
    Factory,
    ShapeCodec,
    error_document,
    iso8601_millis,
    parse_iso8601,
    serialization_error,
    to_epoch_seconds,
    type_error,
    write_json_float,
)

CONTENT_TYPE = "application/x-amz-json-1.1"  # Kinesis, Firehose, DMS; see content_type() for SQS (1.0)


def content_type(model: OperationModel | ServiceModel) -> str:
    """``application/x-amz-json-<jsonVersion>`` of the model's service."""
    service = model.service_model if isinstance(model, OperationModel) else model
    return f"application/x-amz-json-{service.metadata.get('jsonVersion', '1.0')}"


# --- blobs -------------------------------------------------------------------------------------

_B64_BAD = re.compile(r"[^A-Za-z0-9+/=]|=[^=]")
_B64_INDEX = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _read_blob(v: Any) -> bytes:
    if type(v) is not str:
        raise type_error("a Blob", v)
    n = len(v)
    if n % 4:
        raise _blob_error(v, f"Base64 encoded length is expected a multiple of 4 bytes but found: {n}")
    try:
        data = binascii.a2b_base64(v, strict_mode=True)
    except binascii.Error:
        bad = _B64_BAD.search(v)
        raise _blob_error(v, f"Invalid Base64 character: '{bad.group()[0] if bad else '='}'") from None
    if n and v[-1] == "=":
        # AWS rejects encodings whose unused low bits are not zero (non-canonical last character).
        two_pads = v[-2] == "="
        if _B64_INDEX[v[-3] if two_pads else v[-2]] & (0xF if two_pads else 0x3):
            raise _blob_error(v, "Invalid last non-pad Base64 character dectected")  # sic: AWS's text
    return data


def _blob_error(v: str, detail: str) -> Exception:
    return serialization_error(f"'{v}' can not be converted to a Blob: {detail}")


def _write_blob(v: Any) -> str:
    if isinstance(v, str):
        v = v.encode()
    return base64.b64encode(v).decode("ascii")


# --- timestamps --------------------------------------------------------------------------------


def _read_timestamp(v: Any) -> float:
    if type(v) is float or type(v) is int:
        return float(v)
    if type(v) is str:
        try:
            return float(v)
        except ValueError:
            pass
        try:
            return parse_iso8601(v)
        except ValueError:
            pass
        try:  # a member whose timestampFormat is rfc822
            return parsedate_to_datetime(v).timestamp()
        except (TypeError, ValueError):
            raise serialization_error(f"'{v}' can not be converted to an Date") from None
    raise type_error("an Date", v)


def _timestamp_writer(shape: Shape) -> Converter:
    fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
    if fmt == "iso8601":
        return lambda v: iso8601_millis(to_epoch_seconds(v))
    if fmt == "rfc822":
        return lambda v: formatdate(to_epoch_seconds(v), usegmt=True)
    return to_epoch_seconds


def json_shape_codec(timestamp_reader: Factory, timestamp_writer: Factory) -> ShapeCodec:
    """A `ShapeCodec` for JSON documents: strict base64 blobs with AWS's messages, NaN and the
    infinities as strings. REST-JSON shares it but for its timestamps."""
    return ShapeCodec(
        blob_reader=lambda shape: _read_blob,
        timestamp_reader=timestamp_reader,
        blob_writer=lambda shape: _write_blob,
        timestamp_writer=timestamp_writer,
        float_writer=lambda shape: write_json_float,
    )


_codec = json_shape_codec(lambda shape: _read_timestamp, _timestamp_writer)


# --- API ---------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # NaN / Infinity are not JSON, and AWS refuses them


def loads(body: bytes) -> Any:
    """The one way request JSON is read, so the generic codec and the fast paths refuse alike:
    NaN/Infinity are not JSON. Raises ValueError (or RecursionError) on what is not JSON.

    An unpaired `\\uD800` escape is read as the lone surrogate it names, as AWS's parsers do (SQS
    then refuses it in a body as an invalid character); anything that encodes such text must
    expect it (`dumps` below, `errors="surrogatepass"` where bytes are derived)."""
    return json.loads(body, parse_constant=_reject_constant)


def _orjson(name: str) -> Any:
    try:
        return getattr(import_module("orjson"), name)
    except ImportError:  # a dependency, but the standard library does the same, slower
        return None


# orjson reads a 10 KiB SendMessageBatch ~3x, and writes its answer ~50x, faster than `json`.
_orjson_loads: Callable[[bytes], Any] | None = _orjson("loads")
_orjson_dumps: Callable[[Any], bytes] | None = _orjson("dumps")
_ORJSON_REFUSED: tuple[type[Exception], ...] = (ValueError, TypeError)


def loads_checked(body: bytes) -> Any:
    """`loads` for callers that check the type of every value they use (the fast paths): the same
    values, except that an integer beyond 64 bits may come back as a float (orjson's reading),
    which such a check refuses, sending the request to the generic codec and so to `loads`. What
    orjson refuses (NaN, lone surrogates, a BOM, other encodings, deep nesting) `loads` reads or
    refuses as it always did."""
    if _orjson_loads is not None:
        try:
            return _orjson_loads(body)
        except _ORJSON_REFUSED:
            pass
    return loads(body)


_dumps_unicode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(value: Any) -> bytes:
    """JSON bytes for the fast paths (whose answers hold no floats: orjson would write NaN as null):
    UTF-8 as is, or, when the value holds a lone surrogate echoed from a request (no UTF-8 can carry
    one) or an integer beyond 64 bits, as `json` writes it, the surrogate escaped as the generic
    codec writes it."""
    if _orjson_dumps is not None:
        try:
            return _orjson_dumps(value)
        except TypeError:  # orjson.JSONEncodeError: a lone surrogate, a huge integer, a non-str key
            pass
    text = _dumps_unicode(value)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _dumps(value)


def parse_request(op: OperationModel, body: bytes) -> dict[str, Any]:
    """The operation's input as a dict keyed by member names; raises SerializationException."""
    if not body:
        return {}
    try:
        data = loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise serialization_error() from None
    return _codec.read_params(op.input_shape, data)


def serialize_shape(shape: Shape, value: Any) -> bytes:
    """One value of `shape` (e.g. an event-stream event's structure) as JSON bytes."""
    return _dumps(_codec.write(shape, value))


def serialize_response(op: OperationModel, result: Mapping[str, Any]) -> bytes:
    """The operation's output; empty for operations without one (as AWS answers CreateStream)."""
    shape = op.output_shape
    if shape is None:
        return b""
    return serialize_shape(shape, result)


def serialize_error(code: str, message: str) -> bytes:
    return _dumps(error_document(code, message))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# A model-driven error: ``__type`` plus the error shape's members, at the model's status, with
# ``x-amzn-query-error`` for an awsQueryCompatible service. `serialize_error` is the bare form.
serialize_modeled_error = ErrorWriter(
    _codec.write, _dumps, lambda service: [("Content-Type", content_type(service))]
).serialize
