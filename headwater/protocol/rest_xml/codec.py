"""S3's REST-XML protocol, sans IO: request params from an HTTP request, responses from results.

Theory of operation. Each member of an operation's input and output sits at one ``location``: the
URI (Bucket, Key), the query string, one header, a family of headers sharing a prefix
(``x-amz-meta-*`` -> Metadata), the status code, or the body. The body is either the ``payload``
member (a structure as XML, or raw bytes/text) or, with no payload member, the remaining members
as one XML document. A plan per operation, built once, keys every bound member by its wire name
with its converter (`http_members`), so a request costs one dict lookup per header and query pair
actually sent, and a response one per result member present: a 60-member PutObject input costs
nothing for its absent members. XML bodies go through `rest_xml.shapes` (compiled per shape).

Requests: an XML body that does not parse, is a DOCTYPE (no entity games), or whose root element
is not the one the model names is MalformedXML; a header or query value that is not the
integer/boolean/date its member says is InvalidArgument (If-Modified-Since and friends excepted:
HTTP says an unparsable date is ignored, and S3 keeps a non-date ``Expires`` as the raw string).
A blob payload (PutObject's Body) is not read here: `payload_member` tells the gateway to set it.

Responses: headers in the model's spelling; timestamps RFC 1123 in headers and ISO 8601 with
milliseconds in XML; the XML root is S3's own element name (`RESULT_ROOTS`: the model has none for
output shapes) with ``xmlns`` S3's namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast
from xml.etree.ElementTree import Element, ParseError, XMLParser

from botocore.model import OperationModel, StructureShape

from headwater.protocol.http_members import (
    RequestBindings,
    ResponseBindings,
    bind_request,
    bind_response,
    in_request_body,
    in_response_body,
    request_bindings,
    response_bindings,
)
from headwater.protocol.rest_xml.errors import (
    XML_DECLARATION,
    escape,
    malformed_xml,
    serialize_error,
)
from headwater.protocol.rest_xml.s3_routing import S3Target
from headwater.protocol.rest_xml.shapes import (
    Content,
    Reader,
    attributes_writer,
    content_writer,
    local_name,
    structure_reader,
)
from headwater.protocol.rest_xml.values import header_reader, header_writer, query_reader

__all__ = [
    "CONTENT_TYPE",
    "RESULT_ROOTS",
    "S3_XMLNS",
    "parse_request",
    "payload_member",
    "request_payload",
    "response_payload",
    "serialize_error",
    "serialize_response",
]

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
CONTENT_TYPE = "application/xml"

# The root element of each output without a payload member, as S3 sends it (API reference,
# "Response Syntax"; the two list roots marked * as measured against S3, where the docs differ).
RESULT_ROOTS = {
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CreateSession": "CreateSessionResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketLocation": "LocationConstraint",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetObjectAcl": "AccessControlPolicy",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "GetObjectTagging": "Tagging",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationsResult",  # *
    "ListBucketIntelligentTieringConfigurations": "ListIntelligentTieringConfigurationsResult",  # *
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListParts": "ListPartsResult",
}

# --- per-operation plans -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _InputPlan:
    bound: RequestBindings  # labels ("Bucket", "Key"...), query, headers
    payload: str  # the payload member, or ""
    payload_kind: str  # "structure" | "blob" | "string" | "body" (no payload member: body members)
    root: str  # the expected root element of an XML body
    body: Reader | None


@dataclass(frozen=True, slots=True)
class _OutputPlan:
    status: int
    bound: ResponseBindings  # headers, status code
    payload: str  # or ""
    payload_kind: str  # "structure" | "blob" | "string" | "eventstream" | "body" | "none"
    root: str
    body: Content | None
    attributes: Callable[[Mapping[str, Any]], str] | None  # the root's xmlAttribute members


@cache
def _input_plan(op: OperationModel) -> _InputPlan:
    shape = op.input_shape
    members = shape.members if shape is not None else {}
    bound = request_bindings(members, query_reader, query_reader, header_reader, every_pair_to_map=False)
    payload = shape.serialization.get("payload", "") if shape is not None else ""
    root, body = "", None
    if payload:
        target = members[payload]
        kind = target.type_name if target.type_name in ("structure", "blob") else "string"
        if kind == "structure":
            root = target.serialization.get("name", payload)
            body = structure_reader(cast(StructureShape, target))
    elif shape is not None and any(in_request_body(m) for m in members.values()):
        kind = "body"
        root, body = shape.serialization.get("name", shape.name), structure_reader(shape, in_request_body)
    else:
        kind = "none"
    return _InputPlan(bound, payload, kind, root, body)


@cache
def _output_plan(op: OperationModel) -> _OutputPlan:
    shape = op.output_shape
    members = shape.members if shape is not None else {}
    bound = response_bindings(members, header_writer)
    payload = shape.serialization.get("payload", "") if shape is not None else ""
    root, body = RESULT_ROOTS.get(op.name, f"{op.name}Result"), None
    attributes = None
    if payload:
        target = members[payload]
        if target.serialization.get("eventstream"):
            kind = "eventstream"
        elif target.type_name == "structure":
            structure = cast(StructureShape, target)
            kind, root = "structure", structure.serialization.get("name", structure.name)
            body, attributes = content_writer(structure), attributes_writer(structure)
        else:
            kind = target.type_name if target.type_name == "blob" else "string"
    elif shape is not None and any(in_response_body(m) for m in members.values()):
        kind, body = "body", content_writer(shape, in_response_body)
        attributes = attributes_writer(shape)
    else:
        kind = "none"
    status = int(op.http.get("responseCode", 200))
    return _OutputPlan(status, bound, payload, kind, root, body, attributes)


def request_payload(op: OperationModel) -> tuple[str, bool] | None:
    """The input's payload member, and whether its bytes are the gateway's to supply.

    ``(name, True)`` for a blob (PutObject/UploadPart ``Body``: set ``params[name]`` to the body
    stream); ``(name, False)`` when `parse_request` reads it from `body` (an XML structure, text).
    """
    plan = _input_plan(op)
    return (plan.payload, plan.payload_kind == "blob") if plan.payload else None


def response_payload(op: OperationModel) -> tuple[str, bool] | None:
    """The output's payload member, and whether the gateway sends it itself.

    ``(name, True)`` for a blob or an event stream (GetObject ``Body``: `serialize_response` gives
    body None and the gateway streams ``result[name]``); ``(name, False)`` when `serialize_response`
    writes it (an XML structure, GetBucketPolicy's text).
    """
    plan = _output_plan(op)
    return (plan.payload, plan.payload_kind in ("blob", "eventstream")) if plan.payload else None


def payload_member(op: OperationModel) -> tuple[str, bool] | None:
    """The operation's payload member: the request's, else the response's (no S3 operation has
    both a raw request payload and a raw response payload). See the two functions above."""
    return request_payload(op) or response_payload(op)


# --- requests ------------------------------------------------------------------------------------


def _parse_xml(body: bytes) -> Element:
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise malformed_xml()
    parser = XMLParser()
    try:
        parser.feed(body)
        return parser.close()
    except ParseError:
        raise malformed_xml() from None


def parse_request(
    op: OperationModel,
    target: S3Target | Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | None,
) -> dict[str, Any]:
    """The operation's params from a routed request. `target` is S3's (bucket and key) or, for any
    other REST-XML model, the URI labels `RestRouter.match` found. `headers` has lower-case names;
    `query` the decoded pairs (the first of a repeated key counts, a list member takes them all)."""
    plan = _input_plan(op)
    params: dict[str, Any] = {}
    labels: Mapping[str, str] | None = None
    if isinstance(target, S3Target):  # S3's bucket and key, as routed: nothing to convert
        for name, part, _ in plan.bound.labels:
            value = target.bucket if part == "Bucket" else target.key
            if value is not None:
                params[name] = value
    else:
        labels = target
    bind_request(plan.bound, params, labels, query, headers)
    if not body or not body.strip():
        return params
    if plan.body is not None:
        root = _parse_xml(body)
        if local_name(root.tag) != plan.root:
            raise malformed_xml()
        if plan.payload_kind == "structure":
            params[plan.payload] = plan.body(root)
        else:
            params.update(plan.body(root))
    elif plan.payload_kind == "string":
        params[plan.payload] = body.decode("utf-8", errors="replace")
    return params


# --- responses -----------------------------------------------------------------------------------


def _document(root: str, content: Callable[[list[str]], None], attrs: str = "") -> bytes:
    out = [XML_DECLARATION, f'<{root} xmlns="{S3_XMLNS}"{attrs}>']
    content(out)
    out.append(f"</{root}>")
    return "".join(out).encode()


def _location_document(result: Mapping[str, Any]) -> bytes:
    """GetBucketLocation's body is the region as the root's text, empty for us-east-1."""
    region = result.get("LocationConstraint") or ""
    if region == "us-east-1":
        region = ""
    if not region:
        return f'{XML_DECLARATION}<LocationConstraint xmlns="{S3_XMLNS}"/>'.encode()
    return f'{XML_DECLARATION}<LocationConstraint xmlns="{S3_XMLNS}">{escape(region)}</LocationConstraint>'.encode()


def serialize_response(
    op: OperationModel, result: Mapping[str, Any]
) -> tuple[int, list[tuple[str, str]], bytes | None]:
    """``(status, headers, body)`` for an operation's result.

    `body` is None when the payload is a blob/stream or an event stream (the gateway sends
    ``result[name]`` itself), b"" when the output has no body. An XML body comes with a
    ``Content-Type: application/xml`` header unless the result names a content type itself.
    """
    plan = _output_plan(op)
    status, headers, _ = bind_response(plan.bound, result, plan.status)
    kind, content = plan.payload_kind, plan.body
    body: bytes | None
    if kind == "body" and content is not None:
        if op.name == "GetBucketLocation":
            body = _location_document(result)
        else:
            attrs = plan.attributes(result) if plan.attributes is not None else ""
            body = _document(plan.root, lambda out: content(result, out), attrs)
    elif kind == "structure" and content is not None:
        value: Any = result.get(plan.payload)
        attrs = plan.attributes(value) if plan.attributes is not None and value else ""
        body = b"" if value is None else _document(plan.root, lambda out: content(value, out), attrs)
    elif kind == "string":
        value = result.get(plan.payload)
        body = b"" if value is None else value.encode() if isinstance(value, str) else bytes(value)
    elif kind in ("blob", "eventstream"):
        body = None
    else:
        body = b""
    if body and kind in ("body", "structure") and not any(h[0].lower() == "content-type" for h in headers):
        headers.append(("Content-Type", CONTENT_TYPE))
    return status, headers, body
