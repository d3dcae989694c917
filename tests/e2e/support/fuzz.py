"""Valid requests for every operation of a botocore model, and the ways a hostile client bends them.

`requests_for` walks each operation's input shape and fills it (required members only, or every
member to a small depth) with values the model allows, pointing names at resources the fuzz module
creates so requests reach past "not found"; botocore's own serializer turns them into the wire
form of the service's protocol (JSON, Query, REST-XML). A `Wire` is then mutated at the byte,
document or header level by one of `MUTATIONS` (support/fuzz_sweep.py bends every member in turn), each drawing its choices from a `Draw` (Hypothesis's
`data.draw`, so failures shrink), signed with SigV4 and sent.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import cbor2
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest, prepare_request_dict
from botocore.credentials import Credentials
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.serialize import create_serializer
from hypothesis import strategies as st

Draw = Callable[[st.SearchStrategy[Any]], Any]
HUGE_DIGITS = "9" * 5000  # past Python's int() digit limit (4300)
MAX_DEPTH = 4


@dataclass
class Wire:
    """One request as bytes on the wire (before signing)."""

    service: str  # its signing name
    operation: str
    protocol: str
    method: str
    path: str  # raw, percent-encoded
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    raw_query: str | None = None  # set by mutations that write the query string themselves
    unsigned: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)  # applied after signing
    absent: tuple[str, ...] = ()  # optional top-level members the request leaves out
    full: bool = False  # every member filled (else the required ones only)

    def url(self, endpoint: str) -> str:
        query = self.raw_query if self.raw_query is not None else urlencode(self.query, quote_via=quote)
        return f"{endpoint}{self.path}" + (f"?{query}" if query else "")


# -- valid requests ------------------------------------------------------------------------------


def _string(shape: Shape, name: str, names: dict[str, str]) -> str:
    if name in names:
        return names[name]
    if shape.enum:
        return str(shape.enum[0])
    low = int(shape.metadata.get("min", 1) or 1)
    return "a" * max(low, 1)


def value_for(shape: Shape, name: str, names: dict[str, str], *, full: bool, depth: int = 0) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        if depth > MAX_DEPTH:
            return out
        required = set(shape.required_members)
        for member, member_shape in shape.members.items():
            if member_shape.serialization.get("eventstream") or member_shape.metadata.get("eventstream"):
                continue
            if member in required or full or (depth == 0 and member in names):
                out[member] = value_for(member_shape, member, names, full=full, depth=depth + 1)
        return out
    if kind == "list":
        return [value_for(shape.member, name, names, full=full, depth=depth + 1)]  # type: ignore[attr-defined]
    if kind == "map":
        key_shape = shape.key  # type: ignore[attr-defined]
        # every key an enum allows when full (SQS's attribute names), else the first
        keys = list(key_shape.enum or [_string(key_shape, "key", {})])[: None if full else 1]
        return {key: value_for(shape.value, name, names, full=full, depth=depth + 1) for key in keys}  # type: ignore[attr-defined]
    if kind == "string":
        return _string(shape, name, names)
    if kind in ("integer", "long"):
        if name in names:
            return int(names[name])
        return max(int(shape.metadata.get("min", 1) or 0), 1)
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    if kind == "blob":
        return b"data"
    return "a"


def serialize(model: ServiceModel, operation: OperationModel, params: dict[str, Any]) -> Wire:
    serializer = create_serializer(model.protocol, include_validation=False)
    request = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request, endpoint_url="http://placeholder")
    body = request["body"]
    if isinstance(body, str):
        body = body.encode()
    elif hasattr(body, "read"):
        body = body.read()
    elif isinstance(body, dict):  # Query: the form fields
        body = urlencode(body, quote_via=quote).encode()
    split = urlsplit(request["url"])
    return Wire(
        service=model.signing_name or model.service_name,
        operation=operation.name,
        protocol=model.protocol,
        method=request["method"],
        path=split.path or "/",
        query=parse_qsl(split.query, keep_blank_values=True),
        headers={k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request["headers"].items()},
        body=body or b"",
    )


def requests_for(model: ServiceModel, names: dict[str, str]) -> Iterator[Wire]:
    """For each operation: the required-members request, then the every-member one."""
    for name in model.operation_names:
        operation = model.operation_model(name)
        for full in (False, True):
            params = value_for(operation.input_shape, "", names, full=full) if operation.input_shape else {}
            try:
                wire = serialize(model, operation, params)
            except Exception:  # noqa: BLE001 - a serializer that cannot write a member: skip it
                continue
            members = operation.input_shape.members if operation.input_shape else {}
            yield replace(wire, absent=tuple(m for m in members if m not in params), full=full)


def signed(wire: Wire, endpoint: str) -> tuple[str, str, dict[str, str], bytes]:
    """(method, url, headers, body) ready to send; signed unless the mutation says otherwise."""
    url = wire.url(endpoint)
    headers = dict(wire.headers)
    if not wire.unsigned:
        request = AWSRequest(method=wire.method, url=url, data=wire.body, headers=headers)
        if wire.raw_query is not None:  # the signer would re-encode it; sign the clean form
            request.url = f"{endpoint}{wire.path}"
        auth = S3SigV4Auth if wire.service == "s3" else SigV4Auth
        try:
            auth(Credentials("test", "test"), wire.service, "us-east-1").add_auth(request)
            headers = dict(request.headers.items())
        except Exception:  # noqa: BLE001 - unsignable (e.g. undecodable): sent unsigned
            pass
    headers.update(wire.extra_headers)
    # the client writes the length of what it sends
    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
    return wire.method, url, headers, wire.body


# -- mutations -----------------------------------------------------------------------------------

# raw JSON texts no json.dumps would write: replaced into the document after it is dumped
_RAW = {
    "<huge-int>": HUGE_DIGITS,
    "<huge-negative>": "-" + HUGE_DIGITS,
    "<huge-float>": "1e999",
    "<huge-exponent>": "1e" + HUGE_DIGITS,
    "<nan>": "NaN",
    "<surrogate>": '"\\ud800"',
    "<deep>": "[" * 5000 + "]" * 5000,
}
_JSON_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    1.5,
    "",
    "x" * 300_000,
    "\u0000\uffff",
    [],
    {},
    [None],
    {"": None},
    *_RAW,
]


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _paths(value, (*prefix, index))


def _set(document: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


def mutate_json(wire: Wire, draw: Draw) -> Wire:
    try:
        document = json.loads(wire.body or b"{}")
    except ValueError:
        return wire
    path = draw(st.sampled_from(list(_paths(document))))
    how = draw(st.sampled_from(["replace", "delete", "extra"]))
    if how == "delete" and path:
        document = _set(document, path, None, delete=True)
    elif how == "extra" or not path and how == "delete":
        target = document
        for key in path:
            target = target[key]
        if isinstance(target, dict):
            target["BogusMember"] = draw(st.sampled_from(_JSON_VALUES))
        else:
            document = _set(document, path, draw(st.sampled_from(_JSON_VALUES)))
    else:
        document = _set(document, path, draw(st.sampled_from(_JSON_VALUES)))
    text = json.dumps(document)
    for placeholder, raw in _RAW.items():
        text = text.replace(json.dumps(placeholder), raw)
    return replace(wire, body=text.encode())


_TEXT_VALUES = [
    "",
    HUGE_DIGITS,
    "-" + HUGE_DIGITS,
    "0" * 5000 + "1",
    "1e999",
    "NaN",
    "-1",
    "18446744073709551616",
    "x" * 100_000,
    "true",
    "\u0000",
    "é\u2028",
    "2026-13-45T25:61:61Z",
    "bytes=" + HUGE_DIGITS + "-" + HUGE_DIGITS,
    "%",
    "a=b&c",
]
_RAW_QUERY_BITS = ["%FF%FE", "%", "%zz", "a=%E9", "Action", "=x", "&&&", "x.99999999999999999999.y=1"]


def _mutate_pairs(pairs: list[tuple[str, str]], draw: Draw) -> list[tuple[str, str]]:
    pairs = list(pairs)
    how = draw(st.sampled_from(["value", "delete", "extra", "index", "duplicate"]))
    if pairs and how in ("value", "delete", "duplicate"):
        index = draw(st.integers(0, len(pairs) - 1))
        key, value = pairs[index]
        if how == "value":
            pairs[index] = (key, draw(st.sampled_from(_TEXT_VALUES)))
        elif how == "delete":
            del pairs[index]
        else:
            pairs.append((key, draw(st.sampled_from(_TEXT_VALUES))))
    elif how == "index" and pairs:
        index = draw(st.integers(0, len(pairs) - 1))
        key, value = pairs[index]
        bent = re.sub(
            r"\.\d+", lambda _: "." + draw(st.sampled_from(["0", "-1", HUGE_DIGITS, "x"])), key, count=1
        )
        pairs[index] = (bent, value)
    else:
        pairs.append((draw(st.sampled_from(["Bogus", "Attribute.1.Name", "Entries.1.Id", "max-keys"])), "1"))
    return pairs


def mutate_form(wire: Wire, draw: Draw) -> Wire:
    """The Query protocol's form body (or, for REST, the query string)."""
    if wire.protocol == "query" and wire.method == "POST":
        pairs = parse_qsl(wire.body.decode("utf-8", "replace"), keep_blank_values=True)
        mutated = _mutate_pairs(pairs, draw)
        return replace(wire, body=urlencode(mutated, quote_via=quote).encode())
    return replace(wire, query=_mutate_pairs(wire.query, draw))


_CBOR_VALUES: list[Any] = [
    None,
    2**64,
    -(2**64),
    float("nan"),
    b"\xff" * 3,
    "x" * 70_000,
    [],
    {},
    {1: 2},
    cbor2.CBORTag(1, "not-an-epoch"),
    cbor2.CBORTag(99999, None),
    cbor2.undefined,
]


def mutate_cbor(wire: Wire, draw: Draw) -> Wire:
    """A JSON-protocol request in the CBOR dialect (X-Amz-Target with application/x-amz-cbor-1.1,
    as the Java SDK speaks Kinesis), one value bent; or bytes that are no CBOR at all."""
    if wire.protocol != "json":
        return wire
    headers = {**wire.headers, "Content-Type": "application/x-amz-cbor-1.1"}
    if draw(st.booleans()):
        return replace(
            wire,
            headers=headers,
            body=draw(st.sampled_from([b"\xbf", b"\x9f\x01", b"\xff", b"\x5b" + b"\xff" * 8])),
        )
    document = json.loads(wire.body or b"{}")
    path = draw(st.sampled_from(list(_paths(document))))
    document = _set(document, path, draw(st.sampled_from(_CBOR_VALUES))) if path else document
    return replace(wire, headers=headers, body=cbor2.dumps(document))


def mutate_raw_query(wire: Wire, draw: Draw) -> Wire:
    bit = draw(st.sampled_from(_RAW_QUERY_BITS))
    query = urlencode(wire.query, quote_via=quote)
    if wire.protocol == "query" and wire.method == "POST":
        return replace(wire, body=wire.body + b"&" + bit.encode())
    return replace(wire, raw_query=f"{query}&{bit}" if query else bit)


_HEADERS = [
    "range",
    "x-amz-copy-source-range",
    "content-md5",
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-target",
    "content-type",
    "content-encoding",
    "if-modified-since",
    "if-match",
    "x-amz-max-parts",
    "x-amz-part-number-marker",
    "x-amz-object-attributes",
    "x-amz-copy-source",
    "x-amz-object-lock-retain-until-date",
    "x-amz-expected-bucket-owner",
    "x-amz-checksum-crc32",
    "x-amz-decoded-content-length",
    "x-amz-tagging",
    "x-amz-meta-a",
    "expires",
    "authorization",
    "x-amz-security-token",
]


def mutate_header(wire: Wire, draw: Draw) -> Wire:
    names = sorted({*wire.headers, *_HEADERS} - {"content-length", "host"})
    name = draw(st.sampled_from(names))
    value = draw(st.sampled_from([*_TEXT_VALUES[:14], "AWS4-HMAC-SHA256 Credential=/", "aws-chunked"]))
    value = value[:8000]  # a header line the server accepts at all
    if name == "authorization":
        return replace(wire, unsigned=True, headers={**wire.headers, name: value})
    return replace(wire, extra_headers={**wire.extra_headers, name: value})


def mutate_path(wire: Wire, draw: Draw) -> Wire:
    bit = draw(st.sampled_from(["%", "%FF", "%00", "/..", "//", "/" + "k" * 2000, "/%E9", "?"]))
    return replace(wire, path=wire.path + bit, unsigned=draw(st.booleans()))


def mutate_body(wire: Wire, draw: Draw) -> Wire:
    how = draw(st.sampled_from(["truncate", "garbage", "utf8", "empty", "xml", "double"]))
    body = wire.body
    if how == "truncate" and body:
        body = body[: draw(st.integers(0, len(body) - 1))]
    elif how == "garbage":
        body = draw(st.binary(max_size=64))
    elif how == "utf8":
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + b"\xff\xfe\xc3" + body[cut:]
    elif how == "empty":
        body = b""
    elif how == "xml":
        body = (
            b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;<b>"
            + HUGE_DIGITS.encode()
            + b"</b></a>"
        )
    else:
        body = body + body
    return replace(wire, body=body)


def mutate_none(wire: Wire, draw: Draw) -> Wire:
    return wire


MUTATIONS: dict[str, Callable[[Wire, Draw], Wire]] = {
    "none": mutate_none,
    "json": mutate_json,
    "form": mutate_form,
    "raw-query": mutate_raw_query,
    "header": mutate_header,
    "path": mutate_path,
    "body": mutate_body,
    "cbor": mutate_cbor,
}
