"""Brings parsed params/results and the vectors' expectations to one comparable form, by shape.

The vectors write blobs as text, timestamps as epoch numbers and special floats as the strings
``NaN``/``Infinity``; parsers give bytes, datetimes (or epoch floats) and float NaNs.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from botocore.model import Shape
from botocore.utils import parse_timestamp


def canon(shape: Shape | None, value: Any) -> Any:
    if value is None:
        return None
    if shape is None:
        return _plain(value)
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type or not isinstance(value, dict):
            return _plain(value)
        members = shape.members
        return {k: canon(members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [canon(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: canon(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
        if isinstance(value, str):
            return parse_timestamp(value).timestamp()
        return float(value)
    if kind in ("float", "double"):
        if isinstance(value, float):
            if math.isnan(value):
                return "NaN"
            if math.isinf(value):
                return "Infinity" if value > 0 else "-Infinity"
        return value
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if hasattr(value, "read"):
        return _plain(value.read())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_result(shape: Shape | None, value: Any) -> Any:
    """A vector's `result` as a service would return it: special-float strings become floats."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        return {k: to_result(shape.members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [to_result(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: to_result(shape.value, v) for k, v in value.items()}
    if kind in ("float", "double") and isinstance(value, str):
        return float(value)
    return value


def prune(value: Any) -> Any:
    """`value` without None members and empty containers: what no request can tell apart."""
    if isinstance(value, dict):
        out = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value
