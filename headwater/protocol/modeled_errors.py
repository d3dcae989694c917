"""What the service model says about an error: its shape, HTTP status and Query-compatible code.

Shared by the JSON, REST-JSON and RPC v2 CBOR serializers (`ErrorWriter` serves the two whose
error is one document). An error is raised under its shape
name (``ResourceNotFoundException``); the model's ``error`` trait gives its HTTP status
(``httpStatusCode``) and, for an ``awsQueryCompatible`` service, the legacy Query code that goes
in the ``x-amzn-query-error: <code>;<Sender|Receiver>`` header (botocore reads the code from it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from botocore.model import NoShapeFoundError, ServiceModel, Shape, StructureShape

QUERY_ERROR_HEADER = "x-amzn-query-error"


@dataclass(frozen=True, slots=True)
class ModeledError:
    code: str
    status: int
    shape: StructureShape | None  # the error's structure, when the model has one by that name
    query_header: str | None  # the x-amzn-query-error value, for query-compatible services


def describe(service: ServiceModel, code: str, status: int | None = None) -> ModeledError:
    """The error `code` of `service`; `status` (when given) wins over the model's."""
    found: Shape | None
    try:
        found = service.shape_for(code)
    except NoShapeFoundError:
        found = None
    # An error shape is a structure with the ``exception`` trait.
    shape = cast(StructureShape, found) if found is not None and found.metadata.get("exception") else None
    trait: Mapping[str, Any] = shape.metadata.get("error", {}) if shape is not None else {}
    if status is None:
        status = int(trait.get("httpStatusCode", 400 if trait.get("senderFault", True) else 500))
    query_header = None
    if "awsQueryCompatible" in service.metadata:
        fault = "Sender" if trait.get("senderFault", status < 500) else "Receiver"
        query_header = f"{trait.get('code', code)};{fault}"
    return ModeledError(code, status, shape, query_header)


def body_fields(error: ModeledError, message: str, fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """The error structure's members to write: `fields`, plus the message under the model's
    spelling of its member (``message`` or ``Message``)."""
    out: dict[str, Any] = dict(fields or {})
    members = error.shape.members if error.shape is not None else {}
    key = "Message" if "Message" in members and "message" not in members else "message"
    if message and key not in out and ("message" not in out and "Message" not in out):
        out[key] = message
    return out


Headers = list[tuple[str, str]]


class ErrorWriter:
    """``serialize_error`` of a protocol whose error is one document, ``__type`` plus the error
    shape's members (AWS JSON, RPC v2 CBOR): `write` converts the members by shape (the codec's
    writer), `dumps` encodes the document, `headers` gives the protocol's own headers."""

    __slots__ = ("_dumps", "_headers", "_write")

    def __init__(
        self,
        write: Callable[[StructureShape, Any], Any],
        dumps: Callable[[Any], bytes],
        headers: Callable[[ServiceModel], Headers],
    ) -> None:
        self._write = write
        self._dumps = dumps
        self._headers = headers

    def serialize(
        self,
        service: ServiceModel,
        code: str,
        message: str,
        fields: Mapping[str, Any] | None = None,
        status: int | None = None,
    ) -> tuple[int, Headers, bytes]:
        """``(status, headers, body)`` of the error `code` (its shape name), `fields` its other
        members, at the model's status, with ``x-amzn-query-error`` for a query-compatible service."""
        error = describe(service, code, status)
        values: Any = body_fields(error, message, fields)
        if error.shape is not None:
            values = self._write(error.shape, values)
        headers = self._headers(service)
        if error.query_header:
            headers.append((QUERY_ERROR_HEADER, error.query_header))
        return error.status, headers, self._dumps({"__type": code, **values})
