"""Which protocol family (and, where the request says, which service) an HTTP request belongs to.

Theory of operation. AWS clients name the service and operation in different places per protocol
family, and one listener serves them all, so a request is classified from its method, path, query
string and headers alone (never its body: S3 must be claimed before its body is read). The
signals, strongest first:

1. ``/_headwater`` and ``/_headwater/...`` are the admin API (no bucket name has an underscore).
2. A known ``X-Amz-Target`` prefix (``Kinesis_20131202.PutRecord``) is AWS JSON or CBOR.
3. ``POST .../service/<Svc>/operation/<Op>`` with ``smithy-protocol: rpc-v2-cbor`` is Smithy
   RPC v2 CBOR when `<Svc>` names a registered model (its ``targetPrefix``).
4. A SigV4 credential scope (header or presigned query) naming a REST-JSON model's
   ``signingName`` or ``endpointPrefix`` (or a `SIGNING_ALIASES` scope) is that service's, matched to an operation by its
   `RestRouter` (no match: the service answers UnknownOperationException itself).
5. S3's rule (`s3_claims`): signed for ``s3``, ``x-amz-content-sha256``, PUT/DELETE/HEAD/OPTIONS,
   form uploads, bucket hosts, GETs to paths that are not queue URLs. Only its unambiguous signals
   (a signature, ``x-amz-content-sha256``, a bucket host) are weighed before step 6: an unsigned
   ``GET /2015-03-31/functions/`` could be a bucket listing, but with Lambda registered it is
   Lambda's (unsigned S3 access is rare; unsigned REST-JSON calls only come from hand-made tests).
6. An unsigned request whose method and path match a REST-JSON route is that service's.
7. The rest of S3's rule, then AWS Query (an ``Action`` in the query string, a form body, a queue
   URL path, or a signature for a Query-speaking service), then nothing: the gateway answers
   "unroutable" in its generic dialect.

Steps 2, 5, 7 are exactly the rules the gateway and the S3 front end applied before this module
existed, so Kinesis, SQS and S3 requests classify as they always did; steps 3, 4 and 6 only fire
for models registered with those protocols. A Query request's Action may also sit in its form body:
`service` is then a best guess the gateway refines once it has read the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl

from botocore.model import ServiceModel

from headwater.protocol import query_codec, query_compat, rpcv2_cbor
from headwater.protocol.auth import sigv4
from headwater.protocol.rest_router import RestRouter
from headwater.protocol.rest_xml.s3_routing import bucket_from_host
from headwater.protocol.routing import query_service, queue_path

_TARGETS_KEPT = 4096

# SigV4 scopes a REST-JSON model is signed with besides its own names: devices and AWS's docs sign
# iot-data's HTTPS publish for the device gateway's `iotdevicegateway` (the SDKs use `iotdata`).
SIGNING_ALIASES: Mapping[str, tuple[str, ...]] = {"iot-data": ("iotdevicegateway",)}


class Family(StrEnum):
    ADMIN = "admin"
    TARGET = "target"  # AWS JSON 1.0/1.1 or the legacy x-amz-cbor-1.1, by X-Amz-Target
    RPCV2_CBOR = "rpc-v2-cbor"
    REST_JSON = "rest-json"
    S3 = "s3"
    QUERY = "query"
    UNROUTABLE = "unroutable"


@dataclass(frozen=True, slots=True)
class Request:
    """What classification reads of a request; `headers` has lower-case names."""

    method: str
    path: str  # percent-decoded
    raw_path: str  # as sent (percent-encoded), without the query
    query: str  # the raw query string
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Classified:
    family: Family
    service: str | None = None  # the registered model's name ("lambda"), when the request names one
    operation: str | None = None  # when the family's routing names one (None: unknown to the model)
    labels: Mapping[str, str] = field(default_factory=dict)  # REST-JSON path labels


def protocols_of(model: ServiceModel) -> tuple[str, ...]:
    """The model's wire protocols, preferred first (``["smithy-rpc-v2-cbor", "json"]``)."""
    listed = model.metadata.get("protocols")
    return tuple(listed) if listed else (str(model.metadata.get("protocol", "")),)


class Classifier:
    """Classifies requests for a fixed set of registered models (name -> botocore model)."""

    def __init__(self, models: Mapping[str, ServiceModel], s3: bool = False) -> None:
        # S3 is told apart by its requests' shape, never its model: `s3=True` registers it without
        # loading that model (botocore's largest) at start
        self._s3 = s3 or "s3" in models
        self._targets = {
            prefix: name
            for name, model in models.items()
            if (prefix := model.metadata.get("targetPrefix")) is not None
        }
        self._query_actions = {
            name: frozenset(model.operation_names)
            for name, model in models.items()
            if query_compat.speaks_query(name)
        }
        self._by_target: dict[str, Classified] = {}  # X-Amz-Target -> its (immutable) answer
        self._rpcv2 = {
            rpcv2_cbor.service_name(model): name
            for name, model in models.items()
            if protocols_of(model)[0] == "smithy-rpc-v2-cbor"
        }
        rest = {name: model for name, model in models.items() if protocols_of(model)[0] == "rest-json"}
        self._routers = {name: RestRouter(model) for name, model in rest.items()}
        self._signing: dict[str, str] = {}
        for name, model in rest.items():
            for key in ("endpointPrefix", "signingName"):  # a signingName wins over a prefix
                if scope := model.metadata.get(key):
                    self._signing[scope] = name
            for scope in SIGNING_ALIASES.get(name, ()):
                self._signing.setdefault(scope, name)

    @property
    def modeled(self) -> bool:
        """Whether any REST-JSON or RPC v2 CBOR model is registered."""
        return bool(self._rpcv2 or self._routers)

    def by_target(self, path: str, headers: Mapping[str, str]) -> Classified | None:
        """Steps 1-2 from the path and one header, before a `Request` is built: the JSON and CBOR
        services' requests (most of the traffic) need nothing more. None: `classify` decides."""
        target = headers.get("x-amz-target")
        if not target or path.startswith("/_headwater"):
            return None
        known = self._by_target.get(target)
        if known is None:
            prefix, _, operation = target.partition(".")
            service = self._targets.get(prefix)
            if service is None:
                return None
            if len(self._by_target) >= _TARGETS_KEPT:  # only names clients made up get this far
                self._by_target.clear()
            known = self._by_target[target] = Classified(Family.TARGET, service, operation)
        return known

    def classify(self, request: Request) -> Classified:
        method, headers = request.method.upper(), request.headers
        if request.path == "/_headwater" or request.path.startswith("/_headwater/"):
            return Classified(Family.ADMIN)
        target = headers.get("x-amz-target")
        if target:
            service = self._targets.get(target.partition(".")[0])
            if service is not None:
                return Classified(Family.TARGET, service, target.partition(".")[2])
        if self._rpcv2:
            rpc = rpcv2_cbor.route(method, request.path, headers)
            if rpc is not None and rpc[0] in self._rpcv2:
                return Classified(Family.RPCV2_CBOR, self._rpcv2[rpc[0]], rpc[1])
        presigned = dict(parse_qsl(request.query)) if "X-Amz-Credential" in request.query else {}
        credential = sigv4.credential_of(headers, presigned)
        signed = credential.service if credential else None
        if signed is not None and signed in self._signing:
            return self._rest(self._signing[signed], request)
        if self._s3 and signed is None and _s3_only(headers):
            return Classified(Family.S3, "s3")
        if signed is None:
            for name in self._routers:
                found = self._rest(name, request)
                if found.operation is not None:
                    return found
        if self._s3 and s3_claims(method, request.path, request.query, headers):
            return Classified(Family.S3, "s3")
        return self._query_or_unroutable(method, request, signed)

    def _rest(self, service: str, request: Request) -> Classified:
        found = self._routers[service].match(request.method, request.raw_path, request.query)
        if found is None:
            return Classified(Family.REST_JSON, service)
        return Classified(Family.REST_JSON, service, found.operation.name, found.labels)

    def _query_or_unroutable(self, method: str, request: Request, signed: str | None) -> Classified:
        """The gateway's Query rule, as far as headers tell (an Action may still be in a form body)."""
        if not self._query_actions or method not in ("GET", "POST"):
            return Classified(Family.UNROUTABLE)
        action = dict(parse_qsl(request.query)).get("Action") or None
        form = query_codec.is_form(request.headers.get("content-type", ""))
        service = query_service(action, signed, self._query_actions)
        if action is None and not form and queue_path(request.path) is None and service is None:
            return Classified(Family.UNROUTABLE)
        return Classified(Family.QUERY, service or next(iter(self._query_actions)), action)


def _s3_only(headers: Mapping[str, str]) -> bool:
    """Signals only S3 clients send: the payload hash header, a virtual-hosted bucket."""
    return "x-amz-content-sha256" in headers or bucket_from_host(headers.get("host", "")) is not None


def s3_claims(method: str, path: str, query: str, headers: Mapping[str, str]) -> bool:
    """S3's claim on a request without a REST-JSON or RPC v2 route (the S3 front end's rule).

    A JSON request always has an ``X-Amz-Target`` and a Query request an ``Action``, so they never
    collide with it.
    """
    if "x-amz-target" in headers:
        return False
    presigned = dict(parse_qsl(query)) if "X-Amz-Credential=" in query else {}
    credential = sigv4.credential_of(headers, presigned)
    if credential is not None:
        return credential.service == "s3"
    if "x-amz-content-sha256" in headers:
        return True
    if method in ("PUT", "DELETE", "HEAD", "OPTIONS"):
        return True
    if method == "POST":
        return headers.get("content-type", "").startswith("multipart/form-data")
    if method != "GET" or "Action=" in query:
        return False
    if bucket_from_host(headers.get("host", "")) is not None:
        return True
    return path != "/" and queue_path(path) is None
