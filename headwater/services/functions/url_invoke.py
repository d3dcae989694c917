"""Serving function URLs: authorization, the payload format 2.0 event, and the HTTP answer.

Theory of operation. The HTTP listener finds the URL id in the Host (or its path-style fallback),
checks a SigV4 signature for AWS_IAM URLs, and hands the request here (`FunctionUrls.serve`):

1. Authorization by the function's resource policy, as Lambda does for URLs created since October
   2025: an AWS_IAM request from the function's own account passes (identity policies are not
   evaluated); any other caller, and every request to a NONE URL (the anonymous principal ``*``),
   needs statements allowing both ``lambda:InvokeFunctionUrl`` (condition
   ``lambda:FunctionUrlAuthType`` = the URL's auth type) and ``lambda:InvokeFunction`` (or
   ``lambda:InvokedViaFunctionUrl``). Otherwise 403 ``{"Message":"Forbidden"}``.
2. CORS preflights (OPTIONS with Access-Control-Request-Method) are answered from the URL's Cors
   configuration without invoking the function; other answers carry its CORS headers.
3. The event: version 2.0, routeKey ``$default``, rawPath, rawQueryString, cookies (out of the
   headers), lower-case headers with repeated ones joined by commas, queryStringParameters likewise,
   requestContext (accountId, apiId = the URL id, domainName, domainPrefix, http, requestId,
   routeKey, stage, time, timeEpoch; authorizer.iam for AWS_IAM), body (base64 unless textual).
4. The synchronous Invoke path runs it; the answer maps back: an object with statusCode gives
   status, headers, cookies (Set-Cookie each) and body (base64-decoded when isBase64Encoded); any
   other JSON is a 200 ``application/json`` body. A function error is 502, a throttle 429.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions.invoke_api import invoke
from headwater.services.functions.policy import Policy, Request, load
from headwater.services.functions.service import FunctionsCore
from headwater.services.functions.url_store import UrlConfig
from headwater.services.ports import UrlRequest, UrlResponse

_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "+json", "+xml")
_JSON = [("content-type", "application/json")]


def _message(status: int, message: str, error_type: str | None = None) -> UrlResponse:
    headers = list(_JSON)
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return UrlResponse(status, headers, json.dumps({"Message": message}).encode())


class UrlInvoker:
    """The functions service's `FunctionUrls` port."""

    def __init__(self, core: FunctionsCore) -> None:
        self.core = core

    def auth_type(self, url_id: str) -> str | None:
        config = self.core.urls.by_url(url_id)
        return None if config is None else config.auth_type

    async def serve(self, url_id: str, request: UrlRequest) -> UrlResponse:
        config = self.core.urls.by_url(url_id)
        if config is None:
            return _message(404, "Not Found")
        if not self._authorized(config, request):
            return _message(403, "Forbidden", "AccessDeniedException")
        cors = _cors_headers(config, request)
        if request.method == "OPTIONS" and _header(request, "access-control-request-method") is not None:
            return UrlResponse(200, cors + _preflight_headers(config), b"")
        event = event_for(config, request)
        ctx = RequestContext(account=config.account, region=config.region, request_id=str(uuid.uuid4()))
        try:
            answer = await invoke(
                self.core, {"FunctionName": config.function_arn, "Payload": json.dumps(event).encode()}, ctx
            )
        except AwsError as error:
            if error.status == 429:
                return _message(429, "Rate Exceeded.", "TooManyRequestsException")
            if error.status == 413:
                return _message(
                    413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
                )
            return _message(502, "Internal Server Error")
        if answer.get("FunctionError"):
            return _message(502, "Internal Server Error")
        response = response_for(bytes(answer.get("Payload") or b""))
        return UrlResponse(response.status, [*response.headers, *cors], response.body)

    def _authorized(self, config: UrlConfig, request: UrlRequest) -> bool:
        if config.auth_type == "AWS_IAM":
            if request.account is None:
                return False
            if request.account == config.account:
                return True
        policy = load(self.core.meta, config.key) or Policy()
        who = request.account if config.auth_type == "AWS_IAM" and request.account else "*"
        asked = [
            Request(action, who, url_auth_type=config.auth_type, via_url=True)
            for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")
        ]
        return all(policy.allows(one) for one in asked)


def _header(request: UrlRequest, name: str) -> str | None:
    values = [value for key, value in request.headers if key == name]
    return ",".join(values) if values else None


def event_for(config: UrlConfig, request: UrlRequest) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        if name == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    headers.setdefault("x-forwarded-proto", "https")
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = time.time()
    path = request.raw_path or "/"
    context: dict[str, Any] = {
        "accountId": request.account if config.auth_type == "AWS_IAM" and request.account else "anonymous",
        "apiId": config.url_id,
        "domainName": request.domain,
        "domainPrefix": config.url_id,
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if config.auth_type == "AWS_IAM" and request.account:
        context["authorizer"] = {
            "iam": {
                "accessKey": request.access_key,
                "accountId": request.account,
                "callerId": request.account,
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": f"arn:aws:iam::{request.account}:root",
                "userId": request.account,
            }
        }
    event: dict[str, Any] = {"version": "2.0", "routeKey": "$default", "rawPath": path}
    event["rawQueryString"] = request.raw_query
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if request.body:
        textual = _textual(headers.get("content-type", ""), request.body)
        event["body"] = request.body.decode() if textual else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = not textual
    else:
        event["isBase64Encoded"] = False
    return event


def _textual(content_type: str, body: bytes) -> bool:
    lowered = content_type.lower()
    if not any(kind in lowered for kind in _TEXT_TYPES):
        return False
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def response_for(payload: bytes) -> UrlResponse:
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return UrlResponse(200, list(_JSON), payload)
    if not isinstance(result, dict) or "statusCode" not in result:
        body = result.encode() if isinstance(result, str) else payload
        return UrlResponse(200, list(_JSON), body)
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return _message(502, "Internal Server Error")
    given, cookies = result.get("headers"), result.get("cookies")
    headers = [(str(k).lower(), str(v)) for k, v in given.items()] if isinstance(given, dict) else []
    headers += [("set-cookie", str(c)) for c in cookies] if isinstance(cookies, list) else []
    raw = result.get("body")
    text = raw if isinstance(raw, str) else ("" if raw is None else json.dumps(raw))
    try:
        body = base64.b64decode(text) if result.get("isBase64Encoded") else text.encode()
    except ValueError:
        return _message(502, "Internal Server Error")
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    return UrlResponse(status, headers, body)


def _cors_headers(config: UrlConfig, request: UrlRequest) -> list[tuple[str, str]]:
    cors = config.cors
    origin = _header(request, "origin")
    if not cors or origin is None:
        return []
    origins = cors.get("AllowOrigins") or []
    if "*" not in origins and origin not in origins:
        return []
    headers = [
        (
            "access-control-allow-origin",
            "*" if "*" in origins and not cors.get("AllowCredentials") else origin,
        )
    ]
    if cors.get("AllowCredentials"):
        headers.append(("access-control-allow-credentials", "true"))
    if cors.get("ExposeHeaders"):
        headers.append(("access-control-expose-headers", ",".join(cors["ExposeHeaders"])))
    return headers


def _preflight_headers(config: UrlConfig) -> list[tuple[str, str]]:
    cors = config.cors
    headers = []
    if cors.get("AllowMethods"):
        headers.append(("access-control-allow-methods", ",".join(cors["AllowMethods"])))
    if cors.get("AllowHeaders"):
        headers.append(("access-control-allow-headers", ",".join(cors["AllowHeaders"])))
    if cors.get("MaxAge") is not None:
        headers.append(("access-control-max-age", str(cors["MaxAge"])))
    return headers
