"""The S3 front end of the gateway: REST-XML requests, streamed both ways.

Unlike the JSON and Query services, S3 requests are routed before their body is read: an upload's
body streams from the socket through aws-chunked decoding into the blob store, and a download
streams from the blob store to the socket, so neither is ever whole in memory.

Which requests are S3's: any signed for service ``s3`` (header or presigned query), any carrying
``x-amz-content-sha256`` (only S3 clients send it), any PUT/DELETE/HEAD/OPTIONS, browser form
uploads, and GETs addressed to a bucket host or to a path that is not an SQS queue URL. A JSON
request always has an ``X-Amz-Target`` and a Query request an ``Action``, so they never collide.
The rule lives in `headwater.protocol.classify` (`s3_claims`), beside the other families' rules.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import logging
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import ServiceModel

from headwater.config import Config
from headwater.listeners.http.access import exchange_of
from headwater.listeners.http.asgi import Receive, Scope, Send, encode_headers, respond
from headwater.listeners.http.body import StreamedBody
from headwater.listeners.http.principals import Principals
from headwater.protocol.auth import aws_chunked
from headwater.protocol.auth import s3 as s3_auth
from headwater.protocol.errors import AwsError, internal_failure
from headwater.protocol.models import service_model
from headwater.protocol.rest_xml import codec as rest_xml
from headwater.protocol.rest_xml.s3_routing import S3Target, bucket_from_host, s3_target
from headwater.runtime.clock import SystemClock
from headwater.runtime.ids import random_bytes
from headwater.services.context import RawResponse, RequestContext, ResponseBody
from headwater.services.s3 import copy, cors, policy
from headwater.services.s3.api import S3Api
from headwater.services.s3.metrics import count_request
from headwater.services.s3.request_record import RequestRecord

log = logging.getLogger("headwater.s3")


# operations whose body is the object's bytes, streamed to the service
STREAMED = frozenset({"PutObject", "UploadPart", "PostObject"})
# operations that authenticate themselves (a preflight carries no credentials; a form upload is
# signed in its policy)
_OWN_AUTH = frozenset({"OptionsObject", "PostObject"})
ANONYMOUS = "anonymous"  # the account of an unsigned request with --auth strict
# any other body is an XML document or form (DeleteObjects with 1,000 keys is ~100 KB)
MAX_DOCUMENT = 2 * 1024 * 1024


class S3Frontend:
    def __init__(
        self, config: Config, api: S3Api, clock: SystemClock, principals: Principals | None = None
    ) -> None:
        self.config = config
        self.principals = principals or Principals(config)
        self.api = api
        self.core = api.core
        self.clock = clock

    @functools.cached_property
    def model(self) -> ServiceModel:
        """Loaded by the first request that needs it, not at start (it is botocore's largest)."""
        return service_model("s3")

    # -- one request ------------------------------------------------------------------------------

    async def handle(
        self, scope: Scope, headers: dict[str, str], receive: Receive, send: Send, request_id: str
    ) -> None:
        outcome = _Outcome()
        started = self.clock.now()

        async def observed_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
                if outcome.body is None or not outcome.body.exhausted:
                    # Answering before the whole body was read (an error, a bodiless operation): the
                    # server would parse the unread bytes as the next request on this connection.
                    await _drain(receive)
            else:
                outcome.sent += len(message.get("body", b""))
            await send(message)

        try:
            await self._handle(scope, headers, receive, observed_send, request_id, outcome)
        finally:
            uploaded = outcome.body.received if outcome.body is not None else 0
            downloaded = outcome.sent if outcome.streamed else 0
            target = outcome.target
            # only buckets that exist once the request is done have series: a typo'd name creates
            # none, and a deleted bucket's went with it
            bucket = target.bucket if target else None
            count_request(
                self.core.metrics,
                bucket if bucket and self.core.store.bucket(bucket) is not None else None,
                scope["method"],
                target.operation if target else None,
                outcome.status,
                uploaded,
                downloaded,
            )
            if bucket and self.core.observed(bucket):
                self._observe(scope, headers, request_id, outcome, started)

    async def _handle(
        self,
        scope: Scope,
        headers: dict[str, str],
        receive: Receive,
        send: Send,
        request_id: str,
        outcome: _Outcome,
    ) -> None:
        host_id = outcome.host_id = base64.b64encode(random_bytes(48)).decode()
        method: str = scope["method"]
        head = method == "HEAD"
        target: S3Target | None = None
        cors_headers: list[tuple[str, str]] = []
        try:
            raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0]
            query_string = scope.get("query_string", b"").decode("latin-1")
            query = parse_qsl(query_string, keep_blank_values=True)
            host = headers.get("host", f"{self.config.host}:{self.config.port}")
            target = outcome.target = s3_target(method, host, raw_path, query, headers)
            exchange = exchange_of(scope)  # the request log's record (None: requests are not logged)
            if exchange is not None:
                exchange.service, exchange.operation, exchange.request_id = "s3", target.operation, request_id
                if target.bucket:
                    exchange.resource = f"{target.bucket}/{target.key}" if target.key else target.bucket
            if "chunked" in headers.get("transfer-encoding", "").lower() and (
                "x-amz-decoded-content-length" not in headers
            ):
                # S3 wants every body's length up front (aws-chunked declares its decoded length,
                # and botocore streams those with Transfer-Encoding: chunked)
                raise AwsError(
                    "NotImplemented",
                    "A header you provided implies functionality that is not implemented",
                    501,
                    details={"Header": "Transfer-Encoding"},
                )
            auth = self._authenticate(method, raw_path, query_string, headers, target, host)
            outcome.signed = _signature_of(headers, query_string)
            account = self.principals.account(auth.access_key)
            if self.config.auth == "strict" and auth.access_key is None and target.operation not in _OWN_AUTH:
                # an unsigned request is nobody's: only a bucket policy granting "*" lets it in
                account = ANONYMOUS
                if target.bucket is None or self.core.store.bucket(target.bucket) is None:
                    raise AwsError("AccessDenied", "Access Denied", 403)
            if exchange is not None:
                exchange.account = account
            outcome.account = None if account == ANONYMOUS else account
            ctx = RequestContext(
                account=account,
                region=auth.region or self.config.region,
                request_id=request_id,
                protocol="rest-xml",
                host=host,
                scheme=scope.get("scheme", "http"),
                http_version=scope.get("http_version", "1.1"),
            )
            origin = headers.get("origin")
            if origin and target.operation != "OptionsObject":
                cors_headers = cors.response_headers(self.core, target.bucket, origin, method)
            if self.config.auth == "strict" and target.bucket:
                bucket = self.core.store.bucket(target.bucket)
                if bucket is not None and target.operation != "DeleteObjects":  # checked per key
                    version_id = dict(query).get("versionId")
                    policy.authorize(
                        self.core,
                        bucket,
                        target.operation,
                        ctx.account,
                        target.key,
                        version_id=version_id,
                        context={"aws:SecureTransport": str(ctx.scheme == "https").lower()},
                    )
            result, op = await self._invoke(target, query, headers, receive, auth, ctx, outcome)
        except AwsError as error:
            outcome.error_code = error.code
            await self._send_error(send, error, request_id, host_id, head, target, cors_headers)
            return
        except Exception:
            log.exception("internal failure in request %s", request_id)
            failure = internal_failure(request_id)
            await self._send_error(send, failure, request_id, host_id, head, target, cors_headers)
            return
        common = [("x-amz-request-id", request_id), ("x-amz-id-2", host_id), ("server", "AmazonS3")]
        if isinstance(result, RawResponse):
            await _respond(send, result.status, common + cors_headers + result.headers, result.body, head)
            return
        status = result.pop("__status__", None) if isinstance(result, dict) else None
        result = result or {}
        code, out_headers, body = rest_xml.serialize_response(op, result)
        status = status or code
        all_headers = common + cors_headers + out_headers
        stream = _streamed_payload(op, result)
        if stream is None:
            # HeadBucket has no body but says it is XML, as S3's does
            if (body or target.operation == "HeadBucket") and not any(
                name.lower() == "content-type" for name, _ in out_headers
            ):
                all_headers.append(("content-type", "application/xml"))
            await _respond(send, status, all_headers, body or b"", head)
            return
        outcome.streamed = True
        await self._stream(send, status, all_headers, stream, head)

    def _authenticate(
        self,
        method: str,
        raw_path: str,
        query_string: str,
        headers: dict[str, str],
        target: S3Target,
        host: str,
    ) -> s3_auth.S3Auth:
        if self.config.auth == "strict":
            # SigV2 signs the path-style resource even when the bucket is in the Host
            virtual = target.bucket is not None and bucket_from_host(host) == target.bucket
            auth_path = f"/{target.bucket}{raw_path}" if virtual else None
            return s3_auth.verify(
                method,
                raw_path,
                query_string,
                headers,
                self.principals.s3_secrets(_session_token(headers, query_string), self.clock.now()),
                self.clock.now(),
                auth_path=auth_path,
            )
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        if "X-Amz-Credential" in query or "AWSAccessKeyId" in query:
            s3_auth.check_expiry(query, self.clock.now())
        return s3_auth.identify(headers, query)

    async def _invoke(
        self,
        target: S3Target,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        receive: Receive,
        auth: s3_auth.S3Auth,
        ctx: RequestContext,
        outcome: _Outcome,
    ) -> tuple[Any, Any]:
        handler = self.api.operation(target.operation)
        if handler is None:
            raise AwsError(
                "NotImplemented", "A header you provided implies functionality that is not implemented", 501
            )
        body = outcome.body = _body_of(receive, headers, auth, verify_hash=self.config.auth == "strict")
        if target.operation in ("PostObject", "OptionsObject"):
            params: dict[str, Any] = {"Bucket": target.bucket, "Key": target.key}
            if target.operation == "PostObject":
                params["Body"] = body
                params["ContentType"] = headers.get("content-type", "")
            else:
                params["Origin"] = headers.get("origin")
                params["AccessControlRequestMethod"] = headers.get("access-control-request-method")
                params["AccessControlRequestHeaders"] = headers.get("access-control-request-headers")
            return await handler(params, ctx), None
        op = self.model.operation_model(target.operation)
        headers = _with_query_metadata(headers, query)
        if target.operation in STREAMED:
            if (
                "content-length" not in headers
                and "x-amz-decoded-content-length" not in headers
                and ctx.http_version.startswith("1")
            ):
                raise AwsError(
                    "MissingContentLength", "You must provide the Content-Length HTTP header.", 411
                )
            params = rest_xml.parse_request(op, target, query, headers, None)
            params["Body"] = body
        else:
            document = await body.read_all(MAX_DOCUMENT)
            params = rest_xml.parse_request(op, target, query, headers, document)
        if self.config.auth == "strict":
            self._authorize_more(target, params, ctx)
        return await handler(params, ctx), op

    def _authorize_more(self, target: S3Target, params: dict[str, Any], ctx: RequestContext) -> None:
        """What the request's own bucket and key don't cover: each key of a DeleteObjects, and the
        source of a copy (read access to it)."""
        if target.operation == "DeleteObjects":
            bucket = self.core.store.bucket(target.bucket or "")
            if bucket is not None:
                core = self.core

                def authorize(key: str, version_id: str | None) -> None:
                    policy.authorize(core, bucket, "DeleteObject", ctx.account, key, version_id=version_id)

                params["__authorize__"] = authorize
        elif target.operation in ("CopyObject", "UploadPartCopy") and params.get("CopySource"):
            try:
                source_bucket, source_key, version_id = copy.parse_copy_source(params["CopySource"])
            except AwsError:
                return  # the operation answers the malformed source itself
            bucket = self.core.store.bucket(source_bucket)
            if bucket is not None:
                policy.authorize(
                    self.core, bucket, "GetObject", ctx.account, source_key, version_id=version_id
                )

    def _observe(
        self, scope: Scope, headers: dict[str, str], request_id: str, outcome: _Outcome, started: float
    ) -> None:
        """Tells the core's observers (server access logging) what the request was and did."""
        target = outcome.target
        assert target is not None and target.bucket
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        client = scope.get("client") or ("-", 0)
        record = RequestRecord(
            bucket=target.bucket,
            key=target.key,
            operation=target.operation,
            method=scope["method"],
            request_uri=f"{scope['method']} {path}{'?' + query if query else ''} HTTP/{scope.get('http_version', '1.1')}",
            status=outcome.status,
            error_code=outcome.error_code,
            bytes_sent=outcome.sent,
            total_ms=max(0, int((self.clock.now() - started) * 1000)),
            request_id=request_id,
            host_id=outcome.host_id,
            account=outcome.account,
            remote_ip=str(client[0]),
            user_agent=headers.get("user-agent", ""),
            referrer=headers.get("referer", ""),
            version_id=dict(parse_qsl(query)).get("versionId"),
            host=headers.get("host", ""),
            tls=scope.get("scheme") == "https",
            signature_version=outcome.signed[0],
            auth_type=outcome.signed[1],
            time_ms=int(started * 1000),
        )
        try:
            self.core.observe(record)
        except Exception:  # logging must never fail a request
            log.exception("request observer failed")

    async def _stream(
        self, send: Send, status: int, headers: list[tuple[str, str]], body: ResponseBody, head: bool
    ) -> None:
        headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
        if body.length is not None:
            headers.append(("content-length", str(body.length)))
        try:
            await send({"type": "http.response.start", "status": status, "headers": encode_headers(headers)})
            if head:
                await send({"type": "http.response.body", "body": b""})
                return
            async for chunk in body.chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            aclose = getattr(body.chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
            if body.close is not None:
                body.close()

    async def _send_error(
        self,
        send: Send,
        error: AwsError,
        request_id: str,
        host_id: str,
        head: bool,
        target: S3Target | None,
        cors_headers: list[tuple[str, str]],
    ) -> None:
        headers = [("x-amz-request-id", request_id), ("x-amz-id-2", host_id), ("server", "AmazonS3")]
        headers += cors_headers
        headers += [(name.lower(), value) for name, value in error.headers.items()]
        body = rest_xml.serialize_error(error.code, error.message, request_id, host_id, error.details)
        headers.append(("content-type", "application/xml"))
        with contextlib.suppress(Exception):
            await _respond(send, error.status, headers, body, head)


class _Outcome:
    """What a request did, for the request metrics."""

    __slots__ = ("account", "body", "error_code", "host_id", "sent", "signed", "status", "streamed", "target")

    def __init__(self) -> None:
        self.target: S3Target | None = None
        self.account: str | None = None
        self.error_code: str | None = None
        self.host_id = ""
        self.signed: tuple[str | None, str | None] = (None, None)  # (signature version, auth type)
        self.body: StreamedBody | None = None
        self.status = 500
        self.sent = 0
        self.streamed = False


def _with_query_metadata(headers: dict[str, str], query: list[tuple[str, str]]) -> dict[str, str]:
    """A presigned URL carries the x-amz-meta-* it signed in its query: S3 stores them as the
    object's metadata, as if they were headers (a header of the same name wins)."""
    if not any(name[:11].lower() == "x-amz-meta-" for name, _ in query):
        return headers
    merged = {name.lower(): value for name, value in query if name[:11].lower() == "x-amz-meta-"}
    merged.update(headers)
    return merged


def _signature_of(headers: dict[str, str], query_string: str) -> tuple[str | None, str | None]:
    authorization = headers.get("authorization", "")
    if authorization:
        return ("SigV4" if authorization.startswith("AWS4-") else "SigV2"), "AuthHeader"
    if "X-Amz-Signature=" in query_string:
        return "SigV4", "QueryString"
    if "Signature=" in query_string:
        return "SigV2", "QueryString"
    return None, None


def _session_token(headers: dict[str, str], query_string: str) -> str | None:
    token = headers.get("x-amz-security-token")
    if token is None and "X-Amz-Security-Token" in query_string:
        token = dict(parse_qsl(query_string)).get("X-Amz-Security-Token")
    return token


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _body_of(
    receive: Receive, headers: dict[str, str], auth: s3_auth.S3Auth, *, verify_hash: bool
) -> StreamedBody:
    wire = headers.get("content-length")
    wire_length = int(wire) if wire and wire.isdigit() else None
    if aws_chunked.is_aws_chunked(auth, headers):
        decoder = aws_chunked.decoder_for(auth, headers)
        declared = headers.get("x-amz-decoded-content-length")
        length = int(declared) if declared and declared.isdigit() else None
        return StreamedBody(receive, length=length, wire_length=wire_length, decoder=decoder)
    sha = auth.content_sha256 if verify_hash else None
    return StreamedBody(receive, length=wire_length, wire_length=wire_length, sha256_hex=sha)


def _streamed_payload(op: Any, result: dict[str, Any]) -> ResponseBody | None:
    if op is None:
        return None
    member = rest_xml.payload_member(op)
    if member is None:
        return None
    value = result.get(member[0])
    return value if isinstance(value, ResponseBody) else None


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes, head: bool) -> None:
    await respond(send, status, encode_headers(headers), body, head=head)
