"""Query-protocol compatibility for services whose botocore model moved to JSON (SQS): data, not code.

Theory of operation. AWS switched SQS from the Query protocol to JSON 1.0 with the
``awsQueryCompatible`` trait; botocore's model then lost the Query-era wire names and error codes,
yet both dialects are still spoken. ``overlays/<service>.json`` holds what was lost:

* ``query``: how to turn the JSON-era model into a Query-era one (`apply`):

  - ``metadata``: merged into the model's metadata (``protocol: query``, ``xmlNamespace``...);
  - ``resultWrapper``: the output wrapper element, ``{operation}`` replaced by the operation name;
  - ``lists``: ``{ListShape: {"flattened": bool, "member": item name}}``. A structure member that
    targets a flattened list takes the item name as its own wire name (Smithy's ``xmlFlattened`` +
    ``xmlName`` pair), so ``AttributeNames`` travels as ``AttributeName.N`` and botocore's empty
    list as a bare ``AttributeName=``;
  - ``maps``: ``{MapShape: {"flattened": bool, "key": name, "value": name}}``;
  - ``members``: ``{"Structure.member": wire name}`` (``CreateQueueRequest.Attributes`` ->
    ``Attribute``), which wins over the list rule above.

  Every named shape and member must exist in the botocore model, so a model upgrade that renames
  one fails loudly instead of silently changing the wire.
* ``errors``: ``{JSON __type: {"code": Query code, "status": HTTP, "fault": "Sender"|"Receiver",
  "query_message": optional Query-dialect text}}``. Services raise ``AwsError(<JSON name>, ...)``;
  the gateway renders it with this table in either dialect (`ErrorSpec`), and it can also be found
  by its Query code (the Query codec raises ``InvalidParameterValue``).

A service whose model speaks Query natively (STS) needs no ``query`` part; its overlay, if any, holds
only ``errors``: the Query codes of the errors the gateway raises under their JSON names (signature
errors, model validation).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from botocore.model import ListShape, MapShape, Shape, StructureShape

OVERLAYS = Path(__file__).parent / "overlays"


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One error in both dialects."""

    name: str  # the JSON ``__type`` (the model's shape name)
    query_code: str  # Query ``<Code>`` and the ``x-amzn-query-error`` header
    status: int
    sender_fault: bool
    query_message: str | None = None  # replaces the message in the Query dialect

    @property
    def fault(self) -> str:
        return "Sender" if self.sender_fault else "Receiver"


@dataclass(frozen=True, slots=True)
class Overlay:
    service: str
    query: Mapping[str, Any]
    errors: Mapping[str, ErrorSpec]  # by JSON name
    by_query_code: Mapping[str, ErrorSpec]

    def error(self, code: str) -> ErrorSpec | None:
        """The spec of an error raised under its JSON name or its Query code."""
        return self.errors.get(code) or self.by_query_code.get(code)


@cache
def overlay(service: str) -> Overlay | None:
    """The overlay of `service`, or None when it speaks no Query dialect."""
    path = OVERLAYS / f"{service}.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    errors = {name: _error_spec(name, spec) for name, spec in data.get("errors", {}).items()}
    return Overlay(
        service=data["service"],
        query=data.get("query", {}),
        errors=errors,
        by_query_code={spec.query_code: spec for spec in errors.values()},
    )


def speaks_query(service: str) -> bool:
    """True when `service` has an overlay (its errors in the Query dialect)."""
    return overlay(service) is not None


def has_query_overlay(service: str) -> bool:
    """True when an overlay turns `service`'s JSON-era model into a Query one (SQS)."""
    found = overlay(service)
    return found is not None and bool(found.query)


def _error_spec(name: str, spec: Mapping[str, Any]) -> ErrorSpec:
    fault = spec.get("fault", "Sender")
    if fault not in ("Sender", "Receiver"):
        raise ValueError(f"error {name}: fault must be Sender or Receiver, not {fault!r}")
    return ErrorSpec(name, spec["code"], int(spec["status"]), fault == "Sender", spec.get("query_message"))


# --- the Query-era model -------------------------------------------------------------------------


def apply(description: Mapping[str, Any], query: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a botocore service description with the overlay's Query-era traits applied."""
    spec = copy.deepcopy(dict(description))
    shapes: dict[str, Any] = spec["shapes"]
    spec["metadata"] = {**spec["metadata"], **query.get("metadata", {})}
    wrapper = query.get("resultWrapper")
    if wrapper:
        for name, op in spec["operations"].items():
            if "output" in op:
                op["output"] = {**op["output"], "resultWrapper": wrapper.format(operation=name)}
    for name, traits in query.get("lists", {}).items():
        shape = _shape(shapes, name, "list")
        shape["flattened"] = bool(traits.get("flattened", False))
        shape["member"] = {**shape["member"], "locationName": traits["member"]}
    for name, traits in query.get("maps", {}).items():
        shape = _shape(shapes, name, "map")
        shape["flattened"] = bool(traits.get("flattened", False))
        shape["key"] = {**shape["key"], "locationName": traits["key"]}
        shape["value"] = {**shape["value"], "locationName": traits["value"]}
    for shape in shapes.values():
        if shape["type"] != "structure":
            continue
        for member in shape["members"].values():
            target = shapes[member["shape"]]
            if target["type"] == "list" and target.get("flattened") and "locationName" in target["member"]:
                member["locationName"] = target["member"]["locationName"]
    for path, wire in query.get("members", {}).items():
        owner, _, member_name = path.partition(".")
        members = _shape(shapes, owner, "structure")["members"]
        if member_name not in members:
            raise ValueError(f"query overlay: {owner} has no member {member_name!r}")
        members[member_name] = {**members[member_name], "locationName": wire}
    return spec


def _shape(shapes: Mapping[str, Any], name: str, kind: str) -> dict[str, Any]:
    shape: dict[str, Any] | None = shapes.get(name)
    if shape is None or shape["type"] != kind:
        raise ValueError(f"query overlay: no {kind} shape {name!r} in the model")
    return shape


# --- request checks for awsQueryCompatible services ----------------------------------------------


def missing_member(shape: StructureShape, params: Mapping[str, Any], *, query: bool) -> str | None:
    """The first required top-level member absent from `params`, as AWS names it, else None.

    AWS SQS answers ``MissingParameter`` "The request must contain the parameter X." rather than a
    ValidationException, and checks nothing else up front (enum members such as ``AttributeNames``
    accept any name; ranges are the service's, with its own messages). Nested required members
    (batch entries, attribute values) are the service's too: AWS reports those per entry. In the
    Query dialect X is the wire name; a flattened map adds its key (``Attribute.Name``, as AWS
    answers a SetQueueAttributes without attributes).
    """
    for name in shape.required_members:
        if params.get(name) is None:
            return _query_name(shape.members[name], name) if query else name
    return None


def _query_name(member: Shape, name: str) -> str:
    wire: str = member.serialization.get("name", name)
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name: str = cast(ListShape, member).member.serialization.get("name", wire)
        return item_name
    if member.type_name == "map" and member.serialization.get("flattened"):
        return f"{wire}.{cast(MapShape, member).key.serialization.get('name', 'key')}"
    return wire


# The JSON front end of the awsQueryCompatible services (SQS, DynamoDB...) names the JSON token, not
# the Java class that Kinesis's older front end names: "STRING_VALUE can not be converted to an
# Integer" (AWS SQS, recorded in async-aws/aws#1667 and symfony/symfony#53910).
_TOKENS = {
    "class java.lang.String": "STRING_VALUE",
    "class com.amazon.coral.value.json.numbers.TruncatingBigNumber": "NUMBER_VALUE",
}
_TARGETS = {"an String": "a String", "an Boolean": "a Boolean", "an Long": "a Long", "an Double": "a Double"}


def token_type_message(message: str) -> str:
    """A JSON type-mismatch message in the awsQueryCompatible front end's words (others unchanged)."""
    subject, sep, target = message.partition(" can not be converted to ")
    token = _TOKENS.get(subject)
    if not sep or token is None:
        return message
    return f"{token}{sep}{_TARGETS.get(target, target)}"
