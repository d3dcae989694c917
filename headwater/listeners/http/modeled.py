"""The gateway's services that speak REST-JSON or Smithy RPC v2 CBOR, served from their models.

Theory of operation. The gateway classifies every request first (`protocol/classify.py`: before S3
claims its requests, since an unsigned ``GET /2015-03-31/functions/`` would otherwise read as an S3
bucket); REST-JSON and RPC v2 CBOR answers for the services here are handed to `handle`, all others
go on through the gateway. `handle` then does what the gateway does for AWS JSON:
read the whole body, build the `RequestContext` with the gateway's own builder (so signature checks
and account resolution are the gateway's), decode with the service's `Wire`, check the params by
`request_checks`, call ``service.operation(name)`` and render the result or the AwsError in the
protocol's format. A hot operation may have a fast path (`RestFastPath`: raw body in, raw answer out,
no generic codec), tried first; it hands anything unusual back to the generic path. A `Wire` (`rest_json.RestJsonWire`, `rpcv2.RpcV2Wire`) is the protocol seen from
here: parse, render, render an error.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from botocore.model import OperationModel, ServiceModel

from headwater.listeners.http.asgi import Receive, Scope, Send, encode_headers, respond
from headwater.listeners.http.body import ClientGone, read_body
from headwater.protocol import request_checks
from headwater.protocol.classify import Classified, Family, Request
from headwater.protocol.errors import AwsError, internal_failure, serialization_error
from headwater.protocol.modeled_errors import describe
from headwater.protocol.routing import Route
from headwater.services.base import RestFastPath
from headwater.services.context import RequestContext

log = logging.getLogger("headwater.listeners.http.modeled")

# Lambda's UpdateFunctionCode takes a 50 MB zip inline, base64 in JSON (~67 MB); nothing else is larger.
MAX_BODY = 70 * 1024 * 1024

Headers = list[tuple[str, str]]
Answer = tuple[int, Headers, bytes]
ContextBuilder = Callable[[Scope, dict[str, str], bytes, Route, str], RequestContext]


class Service(Protocol):
    def operation(self, name: str) -> Callable[[dict[str, Any], RequestContext], Awaitable[Any]] | None: ...


class Wire(Protocol):
    """One service's protocol, seen from the listener."""

    protocol: str  # RequestContext.protocol: "rest-json" | "rpc-v2-cbor"

    def parse(
        self, routed: Classified, request: Request, body: bytes
    ) -> tuple[OperationModel, dict[str, Any]]:
        """The operation and its params; AwsError for an unknown operation or a malformed body."""
        ...

    def render(self, op: OperationModel, result: Mapping[str, Any]) -> Answer: ...

    def error(self, error: AwsError) -> Answer: ...


def unknown_operation() -> AwsError:
    # AWS's service framework answers 404 when no protocol handler claims a request
    return AwsError("UnknownOperationException", "", 404)


class ModeledServices:
    """Classifies requests for the gateway and serves those of the services in `wires`."""

    def __init__(
        self,
        services: Mapping[str, Service],
        wires: Mapping[str, Wire],
        fast: Mapping[tuple[str, str], RestFastPath] | None = None,
    ):
        self.services = services
        self.wires = wires
        self.fast = dict(fast or {})

    def serves(self, routed: Classified) -> bool:
        """Whether a classified request is for one of these services."""
        return routed.family in (Family.REST_JSON, Family.RPCV2_CBOR) and routed.service in self.wires

    async def handle(
        self,
        routed: Classified,
        scope: Scope,
        headers: dict[str, str],
        receive: Receive,
        send: Send,
        request_id: str,
        context: ContextBuilder,
    ) -> None:
        assert routed.service is not None
        wire = self.wires[routed.service]
        head = scope["method"] == "HEAD"
        try:
            body = await read_body(receive, headers, MAX_BODY)
        except ClientGone:
            # never act on a truncated body; a client that only half-closed can still read why
            with contextlib.suppress(Exception):
                await _send(send, wire.error(serialization_error()), request_id, head)
            return
        except AwsError as error:
            await _send(send, wire.error(error), request_id, head)
            return
        try:
            route = Route(routed.service, routed.operation or "", wire.protocol)
            ctx = context(scope, headers, body, route, request_id)
            fast = self.fast.get((routed.service, route.operation))
            if fast is not None:
                query = scope.get("query_string", b"").decode("latin-1")
                quick = await fast(routed.labels, query, headers, body, ctx)
                if quick is not None:
                    await _send(send, quick, request_id, head)
                    return
            op, params = wire.parse(routed, request_of(scope, headers), body)
            handler = self.services[routed.service].operation(op.name)
            if handler is None:
                raise unknown_operation()
            request_checks.check(op, params)
            answer = wire.render(op, await handler(params, ctx) or {})
        except AwsError as error:
            answer = wire.error(error)
        except Exception:
            log.exception("internal failure in request %s", request_id)
            answer = wire.error(internal_failure(request_id))
        await _send(send, answer, request_id, head)


def request_of(scope: Scope, headers: dict[str, str]) -> Request:
    raw = scope.get("raw_path") or scope["path"].encode()
    return Request(
        method=scope["method"],
        path=scope["path"],
        raw_path=raw.decode("latin-1").partition("?")[0],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
    )


async def _send(send: Send, answer: Answer, request_id: str, head: bool) -> None:
    status, headers, body = answer
    wire = encode_headers([*headers, ("x-amzn-RequestId", request_id)])
    await respond(send, status, wire, body, head=head)


def modeled_status(model: ServiceModel, error: AwsError) -> int | None:
    """None when `model` gives `error` its HTTP status (a REST service's ResourceNotFoundException is
    404 there, though raised with AwsError's default 400), else the error's own status."""
    described = describe(model, error.code)
    if described.shape is not None and "httpStatusCode" in described.shape.metadata.get("error", {}):
        return None
    return error.status
