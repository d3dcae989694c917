"""The ASGI application: route -> authenticate -> decode -> call the service -> encode.

Everything protocol-specific lives in `headwater.protocol`; everything domain-specific in the
services. The gateway only wires them together, renders errors, and streams event-stream output.

Two families of requests. Target-based ones (``X-Amz-Target``) speak AWS JSON or CBOR. Requests
without a target may speak AWS Query, for a service whose model speaks it (STS) or that has a Query
overlay (SQS): fields from the query string and a form body, answered in XML. Errors are rendered in
the request's dialect; for a service with an overlay its error table supplies the Query code, HTTP
status and fault, which JSON answers also carry in ``x-amzn-query-error`` (the awsQueryCompatible
trait).

Who signed a request comes from `Principals`: keys STS issued act in their role's account (and, with
``--auth strict``, must carry their session token and be unexpired); any other key follows the
configured rule.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from headwater.config import Config
from headwater.listeners.http.access import exchange_of
from headwater.listeners.http.admin import allowed
from headwater.listeners.http.asgi import Receive, Scope, Send, bodiless, respond
from headwater.listeners.http.body import ClientGone, read_body
from headwater.listeners.http.foreign import ForeignServices
from headwater.listeners.http.function_urls import FunctionUrlFront
from headwater.listeners.http.modeled import ModeledServices, request_of
from headwater.listeners.http.principals import Principals
from headwater.protocol import (
    cbor_codec,
    eventstream,
    json_codec,
    query_codec,
    query_compat,
    request_checks,
)
from headwater.protocol.auth import sigv4
from headwater.protocol.classify import Classifier, Family
from headwater.protocol.errors import AwsError, internal_failure
from headwater.protocol.models import query_model, query_native, serves_query, service_model
from headwater.protocol.routing import Route, protocol_of, query_service, queue_path, route
from headwater.protocol.validation import java_namespace, validate
from headwater.runtime.clock import SystemClock
from headwater.runtime.ids import new_uuid, random_bytes
from headwater.services.context import EventStream, RequestContext

log = logging.getLogger("headwater.listeners.http.gateway")

# Larger than any valid request (PutRecords: 10 MiB of data, base64 in JSON), small enough to refuse abuse.
MAX_BODY = 24 * 1024 * 1024


class Service(Protocol):
    """What the gateway needs of a service: one coroutine per operation name."""

    def operation(self, name: str) -> Callable[[dict[str, Any], RequestContext], Awaitable[Any]] | None: ...


class FastPath(Protocol):
    """A hand-tuned codec for a hot operation: raw body in, raw body out (JSON protocol only)."""

    async def __call__(self, body: bytes, ctx: RequestContext) -> bytes: ...


class Frontend(Protocol):
    """A service answered before its body is read (S3: bodies stream both ways)."""

    async def handle(
        self, scope: Scope, headers: dict[str, str], receive: Receive, send: Send, request_id: str
    ) -> None: ...


class Admin(Protocol):
    async def handle(
        self, method: str, path: str, body: bytes, query: str = ""
    ) -> tuple[int, str, bytes]: ...


CODECS = {"json": json_codec, "cbor": cbor_codec}


@dataclass(frozen=True, slots=True)
class _Dialect:
    """How a request is answered: its wire protocol, the service whose Query-compatibility table
    (if any) renders errors, and the response content type."""

    protocol: str  # "json" | "cbor" | "query"
    service: str | None
    content_type: str


@dataclass(frozen=True, slots=True)
class _QueryRequest:
    """A request in the AWS Query dialect: its route (None: no Action) or the fields' decoding error."""

    service: str
    route: Route | None
    fields: dict[str, str]
    error: AwsError | None = None


class Gateway:
    def __init__(
        self,
        config: Config,
        services: Mapping[str, Service],
        admin: Admin,
        clock: SystemClock,
        fast_paths: Mapping[tuple[str, str], FastPath] | None = None,
        streaming: Frontend | None = None,
        principals: Principals | None = None,
        modeled: ModeledServices | None = None,
        classifier: Classifier | None = None,
        running: Sequence[str] | None = None,
        function_urls: FunctionUrlFront | None = None,
    ) -> None:
        self.config = config
        self.function_urls = function_urls  # requests to function URLs, claimed by Host or path
        # the running services (registry order), named to callers of the ones that do not run
        self.foreign = ForeignServices(running or [*services, *(["s3"] if streaming is not None else [])])
        if classifier is None:  # the services given, and S3 when it has a front end
            classifier = Classifier(
                {name: service_model(name) for name in services}, s3=streaming is not None
            )
        self.classifier = classifier
        self.principals = principals or Principals(config)
        self.modeled = modeled
        self.streaming = streaming
        self.clock = clock
        self.services = services
        self.admin = admin
        self.fast_paths = dict(fast_paths or {})
        self._json_type = {name: json_codec.content_type(service_model(name)) for name in services}
        # X-Amz-Target prefix -> service, from each JSON-speaking model ("Kinesis_20131202", "AmazonSQS")
        self._targets = {
            prefix: name
            for name in services
            if (prefix := service_model(name).metadata.get("targetPrefix")) is not None
        }
        # Query-speaking services (natively, or through a Query overlay) -> their Action names; the
        # first one answers an Action no service has
        # (the base model's names: an overlay changes traits, never operations; query_model's copy
        # is made by the first Query request)
        self._query_actions = {
            name: frozenset(service_model(name).operation_names) for name in services if serves_query(name)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] == "HEAD":  # the one place every answer passes: no front end sends a body
            send = bodiless(send)
        request_id = new_uuid()
        exchange = exchange_of(scope)  # the request log's record (None: requests are not logged)
        if exchange is not None:
            exchange.request_id = request_id
        headers = _headers(scope)
        if self.function_urls is not None and (claim := self.function_urls.claim(scope, headers)):
            await self.function_urls.handle(claim, scope, headers, receive, send)
            return
        # which front end: decided from the request line and headers alone, before any body is read
        routed = self.classifier.by_target(scope["path"], headers) or self.classifier.classify(
            request_of(scope, headers)
        )
        modeled = self.modeled  # REST-JSON and RPC v2 CBOR services
        if modeled is not None and modeled.serves(routed):
            await modeled.handle(routed, scope, headers, receive, send, request_id, self._context)
            return
        if routed.family is Family.S3 and self.streaming is not None:
            await self.streaming.handle(scope, headers, receive, send, request_id)
            return
        try:
            body = await read_body(receive, headers, MAX_BODY)
        except ClientGone:
            # Never act on a truncated body: it may still parse (a CreateStream cut short). A client
            # that only half-closed can still read why.
            with contextlib.suppress(Exception):
                payload = json_codec.serialize_error("SerializationException", "")
                await respond(send, 400, _error_headers(request_id, json_codec.CONTENT_TYPE), payload)
            return
        except AwsError as error:
            await respond(send, error.status, _error_headers(request_id, "application/json"), b"")
            return
        path: str = scope["path"]
        if routed.family is Family.ADMIN or (
            routed.family is Family.UNROUTABLE and path == "/" and _plain(scope, headers)
        ):
            query = scope.get("query_string", b"").decode("latin-1")
            await self._admin(scope["method"], path if path != "/" else "/_headwater/", body, send, query)
            return
        await self._aws_request(scope, headers, body, request_id, receive, send)

    async def _admin(self, method: str, path: str, body: bytes, send: Send, query: str = "") -> None:
        status, content_type, payload = await self.admin.handle(method, path, body, query)
        headers = [(b"content-type", content_type.encode())]
        methods = allowed(path.rstrip("/")) if status == 405 else None
        if methods:
            headers.append((b"allow", ", ".join(methods).encode()))
        await respond(send, status, headers, payload, head=method == "HEAD")

    async def _aws_request(
        self,
        scope: Scope,
        headers: dict[str, str],
        body: bytes,
        request_id: str,
        receive: Receive,
        send: Send,
    ) -> None:
        target = route(headers, self._targets)
        if target is None:
            raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1").partition("?")[0]
            query_string = scope.get("query_string", b"")
            foreign = await self.foreign.answer(
                scope["method"], raw_path, query_string, headers, body, request_id
            )
            if foreign is not None:
                await respond(send, *foreign)
                return
        if target is None and self._query_actions and scope["method"] in ("GET", "POST"):
            query = self._query_request(scope, headers, body)
            if query is not None:
                await self._query(scope, headers, body, query, request_id, send)
                return
        protocol = protocol_of(headers)
        dialect = _Dialect(protocol, None, _DEFAULT_TYPES[protocol])
        try:
            if target is None:
                raise _unroutable(scope, headers)
            content_type = self._json_type[target.service] if protocol == "json" else dialect.content_type
            dialect = _Dialect(protocol, target.service, content_type)
            ctx = self._context(scope, headers, body, target, request_id)
            fast = self.fast_paths.get((target.service, target.operation)) if protocol == "json" else None
            if fast is not None:
                payload = await fast(body, ctx)
                await respond(send, 200, _ok_headers(request_id, dialect.content_type), payload)
                return
            result, op = await self._invoke(target, body, ctx)
        except AwsError as error:
            await self._send_error(send, error, dialect, request_id)
            return
        except Exception:
            log.exception("internal failure in request %s", request_id)
            await self._send_error(send, internal_failure(request_id), dialect, request_id)
            return
        codec = CODECS[protocol]
        if isinstance(result, EventStream):
            await self._stream(send, receive, op, result, codec, ctx, request_id)
            return
        payload = codec.serialize_response(op, result or {})
        await respond(send, 200, _ok_headers(request_id, dialect.content_type), payload)

    async def _query(
        self,
        scope: Scope,
        headers: dict[str, str],
        body: bytes,
        query: _QueryRequest,
        request_id: str,
        send: Send,
    ) -> None:
        """Answers a request in the AWS Query dialect (XML out, errors as ``<ErrorResponse>``)."""
        if query.route is None and query.error is None:
            # AWS's front-end answer to a Query request without an Action (404, no content type)
            await respond(send, 404, [(b"x-amzn-requestid", request_id.encode())], query_codec.NO_ACTION_BODY)
            return
        dialect = _Dialect("query", query.service, query_codec.CONTENT_TYPE)
        try:
            if query.error is not None:
                raise query.error
            assert query.route is not None
            anonymous = _allows_anonymous(query.route)
            ctx = self._context(scope, headers, body, query.route, request_id, anonymous=anonymous)
            result, op = await self._invoke_query(query.route, query.fields, scope["path"], ctx)
        except AwsError as error:
            await self._send_error(send, error, dialect, request_id)
            return
        except Exception:
            log.exception("internal failure in request %s", request_id)
            await self._send_error(send, internal_failure(request_id), dialect, request_id)
            return
        payload = query_codec.serialize_response(op, result or {}, request_id)
        await respond(send, 200, _ok_headers(request_id, dialect.content_type), payload)

    def _query_request(self, scope: Scope, headers: dict[str, str], body: bytes) -> _QueryRequest | None:
        """The Query reading of a request without an X-Amz-Target, or None when it is no Query request.

        A GET or POST is one when it has an Action, a form-encoded body, a queue URL path, or a
        signature for a Query-speaking service.
        """
        form = query_codec.is_form(headers.get("content-type", ""))
        error: AwsError | None = None
        try:
            fields = query_codec.decode_fields(scope.get("query_string", b""), body if form else b"")
        except AwsError as decoding:
            fields, error = {}, decoding
        action = fields.get("Action") or None
        credential = sigv4.credential_of(headers, fields)
        signed = credential.service if credential else None
        service = query_service(action, signed, self._query_actions)
        looks_like_query = (
            "Action" in fields or form or queue_path(scope["path"]) is not None or service is not None
        )
        if not action and not looks_like_query:
            return None
        if service is None:  # an Action no Query service has: answered InvalidAction by the first one
            service = next(iter(self._query_actions))
        if error is not None or not action:
            return _QueryRequest(service, None, fields, error)
        return _QueryRequest(service, Route(service, action, "query"), fields)

    def _context(
        self,
        scope: Scope,
        headers: dict[str, str],
        body: bytes,
        target: Route,
        request_id: str,
        *,
        anonymous: bool = False,
    ) -> RequestContext:
        """The request's context; with `--auth strict` its signature verified first. `anonymous`:
        the operation takes unsigned requests (AssumeRoleWithWebIdentity), signed ones are verified."""
        exchange = exchange_of(scope)
        if exchange is not None:
            exchange.service, exchange.operation = target.service, target.operation
        query = scope.get("query_string", b"").decode("latin-1")
        presigned = dict(parse_qsl(query)) if "X-Amz-Credential" in query else {}
        credential = sigv4.credential_of(headers, presigned)
        if self.config.auth == "strict" and not (anonymous and credential is None):
            token = headers.get("x-amz-security-token") or presigned.get("X-Amz-Security-Token")
            credential = sigv4.verify(
                scope["method"],
                scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
                query,
                [(name, value) for name, value in headers.items()],
                body,
                self.principals.sigv4_secrets(token, self.clock.now(), query=serves_query(target.service)),
                self.clock.now(),
                max_skew=900.0,
            )
        access_key = credential.access_key if credential else None
        region = credential.region if credential and credential.region else self.config.region
        account = self.principals.account(access_key)
        if exchange is not None:
            exchange.account = account
        return RequestContext(
            account=account,
            region=region,
            request_id=request_id,
            protocol=target.protocol,
            host=headers.get("host", f"{self.config.host}:{self.config.port}"),
            scheme=scope.get("scheme", "http"),
            http_version=scope.get("http_version", "1.1"),
            access_key=access_key,
        )

    async def _invoke(self, target: Route, body: bytes, ctx: RequestContext) -> tuple[Any, Any]:
        service = self.services[target.service]
        model = service_model(target.service)
        if target.operation not in model.operation_names:
            raise AwsError("UnknownOperationException", "")
        handler = service.operation(target.operation)
        if handler is None:
            raise AwsError("UnknownOperationException", "")
        op = model.operation_model(target.operation)
        params = request_checks.parse_json(op, body, CODECS[target.protocol])
        return await handler(params, ctx), op

    async def _invoke_query(
        self, target: Route, fields: dict[str, str], path: str, ctx: RequestContext
    ) -> tuple[Any, Any]:
        model = query_model(target.service)
        handler = self.services[target.service].operation(target.operation)
        if query_native(target.service):
            return await self._invoke_native_query(target, model, handler, fields, ctx)
        if target.operation not in model.operation_names or handler is None:
            raise AwsError("InvalidAction", f"The action {target.operation} is not valid for this endpoint.")
        op = model.operation_model(target.operation)
        queue = queue_path(path)
        if queue is not None and "QueueUrl" not in fields:
            # sent to the queue's URL: the path names the queue
            fields = {**fields, "QueueUrl": f"{ctx.scheme}://{ctx.host}{queue}"}
        params = query_codec.parse_request(op, fields)
        request_checks.require_members(op, params, query=True)
        return await handler(params, ctx), op

    async def _invoke_native_query(
        self, target: Route, model: Any, handler: Any, fields: dict[str, str], ctx: RequestContext
    ) -> tuple[Any, Any]:
        """A service whose model speaks Query (STS): AWS's Query front end finds an operation by
        Action *and* Version, and validates the input against the model like the JSON front ends."""
        version = fields.get("Version")
        if target.operation not in model.operation_names or handler is None or version != model.api_version:
            shown = "NO_VERSION_SPECIFIED" if version is None else version
            raise AwsError(
                "InvalidAction", f"Could not find operation {target.operation} for version {shown}"
            )
        op = model.operation_model(target.operation)
        params = query_codec.parse_request(op, fields)
        if op.input_shape is not None:
            validate(op.input_shape, params, namespace=java_namespace(model))
        return await handler(params, ctx), op

    async def _send_error(self, send: Send, error: AwsError, dialect: _Dialect, request_id: str) -> None:
        overlay = query_compat.overlay(dialect.service) if dialect.service else None
        spec = overlay.error(error.code) if overlay else None
        headers = _error_headers(request_id, dialect.content_type)
        headers.extend((name.lower().encode(), value.encode()) for name, value in error.headers.items())
        status = spec.status if spec else error.status
        if dialect.protocol == "query":
            code = spec.query_code if spec else error.query_code or error.code
            message = spec.query_message if spec and spec.query_message else error.message
            sender = spec.sender_fault if spec else error.sender_fault
            xmlns = query_codec.namespace(query_model(dialect.service)) if dialect.service else None
            native = dialect.service is not None and query_native(dialect.service)
            body = query_codec.serialize_error(
                code, message, request_id, sender, xmlns=xmlns, detail=not native
            )
            await respond(send, status, headers, body)
            return
        if spec is not None:
            headers.append((b"x-amzn-query-error", f"{spec.query_code};{spec.fault}".encode()))
        elif error.query_code:
            fault = "Sender" if error.sender_fault else "Receiver"
            headers.append((b"x-amzn-query-error", f"{error.query_code};{fault}".encode()))
        code = spec.name if spec else error.code
        body = CODECS[dialect.protocol].serialize_error(code, error.message)
        await respond(send, status, headers, body)

    async def _stream(
        self,
        send: Send,
        receive: Receive,
        op: Any,
        stream: EventStream,
        codec: Any,
        ctx: RequestContext,
        request_id: str,
    ) -> None:
        payload_type = cbor_codec.CONTENT_TYPE if ctx.protocol == "cbor" else "application/json"
        event_shapes = _event_shapes(op)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", eventstream.CONTENT_TYPE.encode()),
                    (b"x-amzn-requestid", request_id.encode()),
                ],
            }
        )
        initial = codec.serialize_response(op, stream.initial)
        frames = stream.events

        async def pump() -> None:
            await send(
                {
                    "type": "http.response.body",
                    "body": eventstream.event_frame("initial-response", initial, payload_type),
                    "more_body": True,
                }
            )
            try:
                async for event_type, payload in frames:
                    frame = eventstream.event_frame(
                        event_type, codec.serialize_shape(event_shapes[event_type], payload), payload_type
                    )
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
            except AwsError as error:
                frame = eventstream.exception_frame(
                    error.code, codec.serialize_error(error.code, error.message), payload_type
                )
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            except Exception:
                log.exception("event stream failed in request %s", request_id)
                failure = internal_failure(request_id)
                frame = eventstream.exception_frame(
                    "InternalFailureException",
                    codec.serialize_error(failure.code, failure.message),
                    payload_type,
                )
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        pump_task = asyncio.ensure_future(pump())
        watch_task = asyncio.ensure_future(watch_disconnect())
        try:
            await asyncio.wait({pump_task, watch_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump_task, watch_task):
                task.cancel()
            await asyncio.gather(pump_task, watch_task, return_exceptions=True)
            aclose = getattr(frames, "aclose", None)
            if aclose is not None:
                await aclose()
            if stream.on_close is not None:
                stream.on_close()


def _allows_anonymous(target: Route) -> bool:
    """True for an operation its model marks as unsigned (STS's AssumeRoleWithWebIdentity)."""
    model = query_model(target.service)
    if target.operation not in model.operation_names:
        return False
    op = model.operation_model(target.operation)
    return op.auth_type == "none" or "smithy.api#noAuth" in (getattr(op, "auth", None) or ())


def _plain(scope: Scope, headers: Mapping[str, str]) -> bool:
    """A browser's or curl's request: no signature, no AWS header, no body type, no query."""
    return (
        scope["method"] == "GET"
        and not scope.get("query_string")
        and "authorization" not in headers
        and "content-type" not in headers
        and not any(name.startswith("x-amz") for name in headers)
    )


def _event_shapes(op: Any) -> dict[str, Any]:
    stream_shape = op.get_event_stream_output()
    return dict(stream_shape.members) if stream_shape is not None else {}


def _unroutable(scope: Scope, headers: dict[str, str]) -> AwsError:
    """AWS's answer to a request with no usable X-Amz-Target (kinesalite's recorded responses):
    with an AWS JSON/CBOR content type the JSON front end answers; otherwise the generic one does."""
    if scope["method"] == "GET" and scope["path"] == "/":
        return AwsError("UnknownOperationException", "", 400)
    if headers.get("content-type", "").startswith(_AWS_CONTENT_TYPES):
        return AwsError("UnknownOperationException", "")
    if "authorization" not in headers:
        return AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    return AwsError(
        "AccessDeniedException", "Unable to determine service/operation name to be authorized", 403
    )


_DEFAULT_TYPES = {"json": json_codec.CONTENT_TYPE, "cbor": cbor_codec.CONTENT_TYPE}
_AWS_CONTENT_TYPES = ("application/x-amz-json-", cbor_codec.CONTENT_TYPE, "application/json")


def _headers(scope: Scope) -> dict[str, str]:
    raw = scope["headers"]
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
    if len(headers) == len(raw):
        return headers
    headers = {}  # a repeated name: its values joined with commas, in order
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _ok_headers(request_id: str, content_type: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", content_type.encode()),
        (b"x-amzn-requestid", request_id.encode()),
        (b"x-amz-id-2", base64.b64encode(random_bytes(72))),  # AWS's are 72-80 bytes
    ]


def _error_headers(request_id: str, content_type: str) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", content_type.encode()), (b"x-amzn-requestid", request_id.encode())]


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
