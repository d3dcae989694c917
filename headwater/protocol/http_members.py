"""Members bound to HTTP parts in the REST protocols (REST-JSON, REST-XML): which member sits where,
worked out once per operation, then applied to a request or a response.

Each member of an input or output sits at one location (botocore's ``location`` trait): a URI
label (``uri``), the query string (``querystring``; a map member there takes query pairs), one
header (``header``), a family of headers sharing a prefix (``headers``), the status code
(``statusCode``), or the body. The bindings key every bound member by its wire name with its
converter, so a request costs one dict lookup per header and query pair actually sent, and a
response one per result member present. The protocols differ in their converters (how a bad value
is refused, date formats), which they pass in, and in which pairs a query map takes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl

from botocore.model import ListShape, MapShape, Shape

from headwater.protocol.scalar_text import Format, Parse

Headers = list[tuple[str, str]]
DROP = object()  # a header converter's "ignore this header" (S3: an unparsable If-Modified-Since)


def in_request_body(member: Shape) -> bool:
    return member.serialization.get("location") is None


def in_response_body(member: Shape) -> bool:
    """Labels and query members of a structure used as an output travel in the body."""
    return member.serialization.get("location") not in ("header", "headers", "statusCode")


@dataclass(frozen=True, slots=True)
class RequestBindings:
    labels: tuple[tuple[str, str, Parse], ...]  # (member, label, converter)
    headers: dict[str, tuple[str, Parse]]  # lower-case header -> (member, converter)
    prefixed: tuple[tuple[str, str], ...]  # (member, lower-case prefix): Metadata <- x-amz-meta-*
    prefixes: tuple[str, ...]  # the prefixes alone: one startswith() for a header that has none
    query: dict[str, tuple[str, Parse, bool]]  # query key -> (member, converter, is a list)
    query_map: tuple[str, Parse, bool] | None  # a map taking query pairs: (member, converter, lists)
    every_pair_to_map: bool  # the map takes the pairs bound to other members too


def request_bindings(
    members: Mapping[str, Shape],
    label: Callable[[Shape, str], Parse],
    query: Callable[[Shape, str], Parse],
    header: Callable[[Shape, str], Parse],
    *,
    every_pair_to_map: bool,
) -> RequestBindings:
    """The bindings of an input's members; `label(shape, wire)`, `query(shape, wire)` and
    `header(shape, wire)` give the converter of a URI label, a query value and a header. `every_pair_to_map`: Smithy's REST-JSON server tests give a
    query map every pair; S3 gives it those no other member is bound to."""
    labels: list[tuple[str, str, Parse]] = []
    headers: dict[str, tuple[str, Parse]] = {}
    prefixed: list[tuple[str, str]] = []
    keys: dict[str, tuple[str, Parse, bool]] = {}
    query_map: tuple[str, Parse, bool] | None = None
    for name, member in members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            labels.append((name, wire.rstrip("+"), label(member, wire)))
        elif location == "header":
            headers[wire.lower()] = (name, header(member, wire))
        elif location == "headers":
            prefixed.append((name, wire.lower()))
        elif location == "querystring" and member.type_name == "map":
            value = cast(MapShape, member).value
            many = value.type_name == "list"
            query_map = (name, query(cast(ListShape, value).member if many else value, name), many)
        elif location == "querystring":
            is_list = member.type_name == "list"
            keys[wire] = (name, query(cast(ListShape, member).member if is_list else member, wire), is_list)
    prefixes = tuple(prefix for _, prefix in prefixed)
    return RequestBindings(
        tuple(labels), headers, tuple(prefixed), prefixes, keys, query_map, every_pair_to_map
    )


def bind_request(
    bindings: RequestBindings,
    params: dict[str, Any],
    labels: Mapping[str, str] | None,
    query: str | Sequence[tuple[str, str]],
    headers: Mapping[str, str],
) -> None:
    """Sets the bound members of `params` from a request's URI `labels` (None: the caller binds
    them), `query` (the raw query string or decoded pairs; the first of a repeated key counts, a
    list member takes them all) and `headers` (any case)."""
    if labels is not None:
        for name, label, convert in bindings.labels:
            if label in labels:
                params[name] = convert(labels[label])
    query_map = bindings.query_map
    if bindings.query or query_map is not None:
        pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
        for key, text in pairs:
            entry = bindings.query.get(key)
            if entry is not None:
                name, convert, is_list = entry
                if is_list:
                    params.setdefault(name, []).append(convert(text))
                elif name not in params:
                    params[name] = convert(text)
                if not bindings.every_pair_to_map:
                    continue
            if query_map is not None:
                name, convert, many = query_map
                found = params.setdefault(name, {})
                if many:
                    found.setdefault(key, []).append(convert(text))
                else:
                    found.setdefault(key, convert(text))
    bound_headers, prefixes = bindings.headers, bindings.prefixes
    for header, text in headers.items():
        lower = header.lower()
        bound = bound_headers.get(lower)
        if bound is not None:
            value = bound[1](text)
            if value is not DROP:
                params[bound[0]] = value
        elif prefixes and lower.startswith(prefixes):
            for name, prefix in bindings.prefixed:
                if lower.startswith(prefix):
                    params.setdefault(name, {})[lower[len(prefix) :]] = text


@dataclass(frozen=True, slots=True)
class ResponseBindings:
    headers: dict[str, tuple[str, Format]]  # member -> (header, formatter)
    prefixed: dict[str, str]  # member -> header prefix
    status_member: str  # or ""


def response_bindings(members: Mapping[str, Shape], header: Callable[[Shape], Format]) -> ResponseBindings:
    """The bindings of an output's members; `header(shape)` formats a header value."""
    headers: dict[str, tuple[str, Format]] = {}
    prefixed: dict[str, str] = {}
    status_member = ""
    for name, member in members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "header":
            headers[name] = (wire, header(member))
        elif location == "headers":
            prefixed[name] = wire
        elif location == "statusCode":
            status_member = name
    return ResponseBindings(headers, prefixed, status_member)


def bind_response(
    bindings: ResponseBindings,
    result: Mapping[str, Any],
    status: int,
    body_members: frozenset[str] = frozenset(),
) -> tuple[int, Headers, dict[str, Any]]:
    """``(status, headers, body values)`` of a result: its bound members as headers and status
    (`status` unless a member says), and the present members of `body_members`."""
    headers: Headers = []
    body: dict[str, Any] = {}
    for name, value in result.items():
        if value is None:
            continue
        entry = bindings.headers.get(name)
        if entry is not None:
            headers.append((entry[0], entry[1](value)))
        elif name in bindings.prefixed:
            prefix = bindings.prefixed[name]
            headers.extend((prefix + str(k), str(v)) for k, v in value.items() if v is not None)
        elif name == bindings.status_member:
            status = int(value)
        elif name in body_members:
            body[name] = value
    return status, headers, body
