"""Requests for AWS services Headwater does not run, answered in the caller's own dialect.

Theory of operation. A client pointed at Headwater for a service it does not have (`aws firehose
list-delivery-streams`, boto3's `dynamodb.list_tables()`) should learn exactly that, in an error its
SDK parses and shows. Which service a request is for comes from what every SDK sends, strongest
first: an ``X-Amz-Target`` prefix (``Firehose_20150804.ListDeliveryStreams``), the ``/service/<S>``
segment of a Smithy RPC v2 CBOR path, then the SigV4 credential scope's service (``sns``,
``lambda``; signed requests are the SDKs' norm). The names come from the metadata of every
botocore model, read once on first use (only the head of each ``service-2.json``: ~0.3 s for all
~450 services) and kept.

The dialect comes from the request, as the SDK expects it back: a target is AWS JSON (or CBOR by
its content type), an RPC v2 CBOR path is that protocol, an ``Action`` is AWS Query (EC2's variant
for EC2), and anything else is the model's REST protocol (REST-JSON or REST-XML). The error code
is the one each dialect's front ends use for an operation they do not know: UnknownOperationException
(JSON, CBOR, REST-JSON) or InvalidAction (Query, EC2, REST-XML), with status 400: SDKs never retry
a 4xx, so the caller sees the message at once (a 501 is a server fault that some SDKs retry with
backoff before surfacing it), and the message names the service and the running ones.

`identify` returns None for a request that names no service or one that runs: those keep the
answers their own front ends give.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import botocore
import cbor2
from botocore.loaders import Loader
from botocore.model import ServiceModel

from headwater.protocol import query_codec, rpcv2_cbor
from headwater.protocol.rest_router import RestRouter

UNKNOWN_OPERATION = "UnknownOperationException"
INVALID_ACTION = "InvalidAction"
STATUS = 400
Headers = list[tuple[str, str]]

_FIELD = re.compile(rb'"(targetPrefix|signingName|endpointPrefix|jsonVersion|protocol)"\s*:\s*"([^"]*)"')
_PROTOCOLS = re.compile(rb'"protocols"\s*:\s*\[([^\]]*)\]')
_HEAD_BYTES = 4096  # `metadata` opens every model file


@dataclass(frozen=True, slots=True)
class ServiceHead:
    """What a botocore model's metadata says about how its service is called."""

    name: str  # botocore's name ("firehose")
    protocols: tuple[str, ...]  # preferred first
    target_prefix: str | None
    signing_name: str | None
    endpoint_prefix: str | None
    json_version: str


@dataclass(frozen=True, slots=True)
class Catalog:
    by_target: Mapping[str, ServiceHead]  # X-Amz-Target prefix (also the RPC v2 service segment)
    by_scope: Mapping[str, ServiceHead]  # SigV4 scope service: signing name, endpoint prefix, name


@dataclass(frozen=True, slots=True)
class Foreign:
    """A request for a service Headwater does not run."""

    service: str
    operation: str  # as the request named it: the target, the Action, or the REST operation
    dialect: str  # json | cbor | rpc-v2-cbor | query | ec2 | rest-json | rest-xml
    json_version: str = "1.1"


def _head(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as file:
        data: bytes = file.read(_HEAD_BYTES)
    return data.partition(b'"operations"')[0]


def _read_head(name: str, path: Path) -> ServiceHead:
    head = _head(path)
    fields = {key.decode(): value.decode() for key, value in _FIELD.findall(head)}
    listed = _PROTOCOLS.search(head)
    protocols = tuple(json.loads(b"[" + listed.group(1) + b"]")) if listed else ()
    return ServiceHead(
        name=name,
        protocols=protocols or (fields.get("protocol", ""),),
        target_prefix=fields.get("targetPrefix"),
        signing_name=fields.get("signingName"),
        endpoint_prefix=fields.get("endpointPrefix"),
        json_version=fields.get("jsonVersion", "1.1"),
    )


@cache
def catalog() -> Catalog:
    """Every botocore service's head (its newest API version), indexed. Blocking: call off the loop."""
    root = Path(botocore.__file__).parent / "data"
    heads: list[ServiceHead] = []
    for folder in sorted(root.iterdir()):
        versions = sorted(v for v in folder.iterdir() if v.is_dir()) if folder.is_dir() else []
        for version in reversed(versions):
            files = sorted(version.glob("service-2.json*"))
            if files:
                heads.append(_read_head(folder.name, files[0]))
                break
    by_target = {head.target_prefix: head for head in heads if head.target_prefix}
    by_scope: dict[str, ServiceHead] = {}
    for head in heads:  # a service's own name wins, then its signing name, then its endpoint prefix
        for scope in (head.endpoint_prefix, head.signing_name):
            if scope and scope not in by_scope:
                by_scope[scope] = head
    for head in heads:
        by_scope[head.name] = head
    return Catalog(by_target, by_scope)


def identify(
    known: Catalog,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    scope_service: str | None,
    action: str | None,
    running: Collection[str],
) -> Foreign | None:
    """The foreign service a request names (see the module docstring), or None."""
    target = headers.get("x-amz-target", "")
    prefix, _, operation = target.partition(".")
    head = known.by_target.get(prefix) if target else None
    if head is not None:
        dialect = "cbor" if headers.get("content-type", "").startswith("application/x-amz-cbor") else "json"
        found = Foreign(head.name, target, dialect, head.json_version)
    elif (rpc := rpcv2_cbor.route(method, raw_path, headers)) is not None and rpc[0] in known.by_target:
        head = known.by_target[rpc[0]]
        found = Foreign(head.name, rpc[1], "rpc-v2-cbor")
    elif scope_service is not None and scope_service in known.by_scope:
        head = known.by_scope[scope_service]
        found = _by_scope(head, method, raw_path, query, action)
    else:
        return None
    return None if found.service in running else found


def _by_scope(head: ServiceHead, method: str, raw_path: str, query: str, action: str | None) -> Foreign:
    if action:
        return Foreign(head.name, action, "ec2" if "ec2" in head.protocols else "query")
    rest = next((p for p in head.protocols if p.startswith("rest-")), None)
    if rest is not None:
        return Foreign(head.name, _rest_operation(head.name, method, raw_path, query), rest)
    if "json" in head.protocols:
        return Foreign(head.name, f"{method} {raw_path}", "json", head.json_version)
    return Foreign(head.name, f"{method} {raw_path}", "query")


@lru_cache(maxsize=8)
def _router(service: str) -> RestRouter:
    loaded = Loader().load_service_model(service, "service-2")
    return RestRouter(ServiceModel(loaded, service_name=service))


def _rest_operation(service: str, method: str, raw_path: str, query: str) -> str:
    """The model's name for a REST request (``ListFunctions``), else its method and path."""
    try:
        found = _router(service).match(method, raw_path, query)
    except Exception:  # a model this router cannot compile: the method and path still say enough
        found = None
    return found.operation.name if found is not None else f"{method} {raw_path}"


def message(foreign: Foreign, running: Collection[str]) -> str:
    return (
        f"Headwater does not implement {foreign.service} ({foreign.operation}); "
        f"running services: {', '.join(running)}"
    )


def answer(foreign: Foreign, running: Collection[str], request_id: str) -> tuple[int, Headers, bytes]:
    """The error response: status, headers (without the request id ones) and body."""
    text = message(foreign, running)
    if foreign.dialect in ("json", "rest-json"):
        content_type = (
            f"application/x-amz-json-{foreign.json_version}"
            if foreign.dialect == "json"
            else "application/json"
        )
        body = json.dumps({"__type": UNKNOWN_OPERATION, "message": text}).encode()
        return STATUS, [("content-type", content_type), ("x-amzn-errortype", UNKNOWN_OPERATION)], body
    if foreign.dialect in ("cbor", "rpc-v2-cbor"):
        payload = cbor2.dumps({"__type": UNKNOWN_OPERATION, "message": text})
        if foreign.dialect == "cbor":
            return STATUS, [("content-type", "application/x-amz-cbor-1.1")], payload
        return (
            STATUS,
            [("content-type", rpcv2_cbor.CONTENT_TYPE), ("smithy-protocol", "rpc-v2-cbor")],
            payload,
        )
    code, escaped = INVALID_ACTION, query_codec.escape(text)
    if foreign.dialect == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{escaped}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escaped}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    return STATUS, [("content-type", "text/xml")], body
