"""Every member of every operation bent on its own, without chance.

Random draws rarely land on one given member of one operation, and a request whose every member
is filled fails on the first odd one, hiding the rest. So each member path of an operation's input
(structure members, a list's first item, each key an enum allows in a map) gets a request of its
own: the required members (and the resources the fuzz names), the containers leading to that
member with their own required members, and in the member's place a sentinel. botocore serializes
it, and the sentinel is replaced in the wire form (a JSON value, a form field, a header, a query
parameter, a path segment or an XML element) by each bend: null, a number of thousands of digits,
a string of them, a wrong type, an empty or oversized value, bytes that are no UTF-8.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx
from botocore.model import OperationModel, ServiceModel, Shape

from headwater.protocol.models import service_model
from tests.e2e.support.fuzz import HUGE_DIGITS, MAX_DEPTH, Wire, requests_for, serialize, signed, value_for

SENTINEL = "ZZBENDZZ"  # survives every encoding unchanged (no character to escape)

# what replaces the sentinel, by where it landed; JSON replaces the quoted string (a value of any
# type), text places replace the bare sentinel
JSON_BENDS = ["null", HUGE_DIGITS, f'"{HUGE_DIGITS}"', "{}", '"\\ud800"']
TEXT_BENDS = ["", HUGE_DIGITS, "x" * 70_000, "%FF%FE"]
HEADER_BENDS = ["", HUGE_DIGITS, "-1", "x" * 7000, "\udcff"]


def _member_paths(shape: Shape, depth: int = 0) -> Iterator[tuple[tuple[Any, ...], Shape]]:
    if depth > MAX_DEPTH:
        return
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if member.serialization.get("eventstream") or member.metadata.get("eventstream"):
                continue
            yield (name,), member
            for rest, leaf in _member_paths(member, depth + 1):
                yield (name, *rest), leaf
    elif kind == "list":
        for rest, leaf in _member_paths(shape.member, depth + 1):  # type: ignore[attr-defined]
            yield (0, *rest), leaf
    elif kind == "map":
        key_shape = shape.key  # type: ignore[attr-defined]
        for key in list(key_shape.enum or ["k"])[:12]:
            yield (key,), shape.value  # type: ignore[attr-defined]
            for rest, leaf in _member_paths(shape.value, depth + 1):  # type: ignore[attr-defined]
                yield (key, *rest), leaf


def _with_member(
    params: dict[str, Any], shape: Shape, path: tuple[Any, ...], names: dict[str, str]
) -> dict[str, Any]:
    """`params` with the containers along `path` (each with its required members) and the
    sentinel at its end."""
    params = copy.deepcopy(params)
    node: Any = params
    current = shape
    for index, key in enumerate(path):
        kind = current.type_name
        child = (
            current.members[key]
            if kind == "structure"
            else current.member  # type: ignore[attr-defined]
            if kind == "list"
            else current.value  # type: ignore[attr-defined]
        )
        last = index == len(path) - 1
        if kind == "map":  # the one key alone: another key's placeholder value could mask it
            for other in [k for k in node if k != key]:
                del node[other]
        if kind == "list":
            if not node:
                node.append(None)
            key = 0
        if last:
            node[key] = SENTINEL
            return params
        existing = node[key] if (kind == "list" or key in node) else None
        if not isinstance(existing, dict | list):
            node[key] = value_for(child, str(key), names, full=False, depth=index + 1)
        node = node[key]
        current = child
    return params


def _bent(wire: Wire) -> Iterator[tuple[str, Wire]]:
    """The wire with its sentinel replaced by each bend, wherever the serializer put it."""
    quoted = f'"{SENTINEL}"'
    if wire.protocol == "json" and quoted.encode() in wire.body:
        for bend in JSON_BENDS:
            yield bend[:12], replace(wire, body=wire.body.replace(quoted.encode(), bend.encode()))
        return
    if SENTINEL.encode() in wire.body:
        form = wire.protocol == "query"
        for bend in TEXT_BENDS:
            text = bend if form else bend.replace("%FF%FE", "\udcff")
            encoded = text.encode("utf-8", "surrogateescape") if not form else text.encode()
            if form and bend != "%FF%FE":
                encoded = quote(bend, safe="").encode()
            yield bend[:12], replace(wire, body=wire.body.replace(SENTINEL.encode(), encoded))
        return
    for name, value in wire.headers.items():
        if SENTINEL in value:
            for bend in HEADER_BENDS:
                headers = {k: v for k, v in wire.headers.items() if k != name}
                if bend == "\udcff":  # a byte no UTF-8 decoder takes, sent as latin-1
                    bend = "\xff"
                yield (
                    f"{name}:{bend[:8]}",
                    replace(
                        wire,
                        headers=headers,
                        extra_headers={**wire.extra_headers, name: value.replace(SENTINEL, bend)},
                    ),
                )
            return
    for index, (key, value) in enumerate(wire.query):
        if SENTINEL in value:
            for bend in TEXT_BENDS:
                pairs = list(wire.query)
                pairs[index] = (key, value.replace(SENTINEL, bend))
                if bend == "%FF%FE":  # raw, so it is not encoded again
                    rest = [p for i, p in enumerate(wire.query) if i != index]
                    raw = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in rest)
                    yield (
                        f"?{key}={bend[:8]}",
                        replace(wire, raw_query=f"{raw}&{quote(key, safe='')}=%FF%FE".lstrip("&")),
                    )
                else:
                    yield f"?{key}={bend[:8]}", replace(wire, query=pairs)
            return
    if SENTINEL in wire.path:
        for bend in ("", "%FF%FE", HUGE_DIGITS, "x" * 2000, "%2F..%2F"):
            yield f"path={bend[:8]}", replace(wire, path=wire.path.replace(SENTINEL, bend))


def bends_for(model: ServiceModel, names: dict[str, str]) -> Iterator[tuple[str, Wire]]:
    """(what, request) for every member path of every operation of `model`, each bent each way."""
    for name in model.operation_names:
        operation: OperationModel = model.operation_model(name)
        shape = operation.input_shape
        if shape is None:
            continue
        base = value_for(shape, "", names, full=False)
        for path, _ in _member_paths(shape):
            params = _with_member(base, shape, path, names)
            try:
                wire = serialize(model, operation, params)
            except Exception:  # noqa: BLE001,S112 - the serializer cannot write a sentinel here (a timestamp)
                continue
            where = ".".join(map(str, path))
            for what, bent in _bent(wire):
                yield f"{where}={what}", bent


class Served:
    """A service model narrowed to the operations one part of a service serves (the others all
    answer one error, so bending them proves nothing)."""

    def __init__(self, model: ServiceModel, operations: Iterable[str]) -> None:
        served = set(operations)
        self._model = model
        self.operation_names = [name for name in model.operation_names if name in served]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def sweep(
    endpoint: str,
    service: str,
    operations: Iterable[str],
    names: dict[str, str],
    *,
    allow_501: bool = True,
    after: Callable[[str], None] | None = None,
) -> list[str]:
    """Each served operation's valid request, then each member bent on its own, sent to `endpoint`:
    the answers in the 5xx range (501 aside when `allow_501`) as "<operation> <bend>: <status>".
    `after(operation)` runs after each request (e.g. to restore what a Delete removed)."""
    wanted = set(operations)
    model: Any = Served(service_model(service), wanted)
    wires = [("as built", wire) for wire in requests_for(model, names)]
    assert {wire.operation for _, wire in wires} == wanted
    failures = []
    with httpx.Client(timeout=httpx.Timeout(15.0)) as http:
        for what, wire in [*wires, *bends_for(model, names)]:
            method, url, headers, body = signed(wire, endpoint)
            try:
                status = http.request(method, url, headers=headers, content=body).status_code
            except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError, ValueError):
                continue
            if status >= 500 and not (allow_501 and status == 501):
                failures.append(f"{wire.operation} {what}: {status}")
            if after is not None:
                after(wire.operation)
    return failures
