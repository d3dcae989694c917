"""Function URLs on the HTTP listener: requests addressed to ``<url-id>.lambda-url.<region>.on.aws``
or ``<url-id>.lambda-url.<region>.localhost`` (the Host header), or to the path-style fallback
``/_headwater/function-urls/<url-id>/<path>``, go to the functions service's `FunctionUrls` port.

The gateway asks `claim` before it classifies a request, so these never reach an AWS front end.
For an AWS_IAM URL the request must be signed; with ``--auth strict`` the SigV4 signature (service
``lambda``) is verified as the gateway verifies API calls, and the signer's account is who asks.
Authorization by the function's resource policy, the event and the answer are the service's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from urllib.parse import parse_qsl

from headwater.config import Config
from headwater.listeners.http.access import exchange_of
from headwater.listeners.http.asgi import Receive, Scope, Send, encode_headers, respond
from headwater.listeners.http.body import ClientGone, read_body
from headwater.listeners.http.principals import Principals
from headwater.protocol.auth import sigv4
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import SystemClock
from headwater.services.ports import FunctionUrls, UrlRequest

log = logging.getLogger("headwater.listeners.http.function_urls")
MAX_BODY = 6 * 1024 * 1024 + 1024  # Lambda's 6 MB payload, plus room for the event around it
PREFIX = "/_headwater/function-urls/"
_HOST = re.compile(r"([a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.(?:on\.aws|localhost)(?::\d+)?", re.IGNORECASE)
_PATH = re.compile(re.escape(PREFIX) + r"([a-z0-9]{32})(/.*)?")

Claim = tuple[str, str, str]  # (url id, raw path the function sees, domain)


class FunctionUrlFront:
    def __init__(
        self, config: Config, urls: FunctionUrls, principals: Principals, clock: SystemClock
    ) -> None:
        self.config = config
        self.urls = urls
        self.principals = principals
        self.clock = clock

    def claim(self, scope: Scope, headers: dict[str, str]) -> Claim | None:
        raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1").partition("?")[0]
        host = headers.get("host", "")
        found = _HOST.fullmatch(host) if ".lambda-url." in host else None
        if found is not None:
            return found[1].lower(), raw_path, host.partition(":")[0].lower()
        if raw_path.startswith(PREFIX) and (path := _PATH.fullmatch(raw_path)) is not None:
            url_id = path[1]
            return url_id, path[2] or "/", f"{url_id}.lambda-url.{self.config.region}.on.aws"
        return None

    async def handle(
        self, claim: Claim, scope: Scope, headers: dict[str, str], receive: Receive, send: Send
    ) -> None:
        url_id, raw_path, domain = claim
        exchange = exchange_of(scope)
        if exchange is not None:
            exchange.service, exchange.operation = "lambda", "InvokeFunctionUrl"
        try:
            body = await read_body(receive, headers, MAX_BODY)
        except ClientGone:
            return
        except AwsError:
            await _answer(send, 413, b'{"Message":"Request Entity Too Large"}')
            return
        auth = self.urls.auth_type(url_id)
        if auth is None:
            await _answer(send, 404, b'{"Message":"Not Found"}')
            return
        query = scope.get("query_string", b"").decode("latin-1")
        pairs = [
            (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in scope["headers"]
        ]
        account = access_key = None
        if auth == "AWS_IAM":
            try:
                access_key = self._signer(scope, query, pairs, body, headers)
            except AwsError as error:
                await _answer(send, 403, json.dumps({"Message": error.message or "Forbidden"}).encode())
                return
            account = self.principals.account(access_key)
        client = scope.get("client") or ("127.0.0.1", 0)
        request = UrlRequest(
            method=scope["method"],
            raw_path=raw_path,
            raw_query=query,
            headers=[(n, v) for n, v in pairs if n != "authorization" or auth == "AWS_IAM"],
            body=body,
            source_ip=str(client[0]),
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
            domain=domain,
            account=account,
            access_key=access_key,
        )
        try:
            response = await self.urls.serve(url_id, request)
        except Exception:  # never a dropped connection: log it and answer as Lambda's front end does
            log.exception("function URL %s failed", url_id)
            await _answer(send, 500, b'{"Message":"Internal Server Error"}')
            return
        with contextlib.suppress(Exception):
            await respond(send, response.status, encode_headers(list(response.headers)), response.body)

    def _signer(
        self, scope: Scope, query: str, pairs: list[tuple[str, str]], body: bytes, headers: dict[str, str]
    ) -> str:
        """The access key that signed the request (verified with --auth strict)."""
        if self.config.auth == "strict":
            token = headers.get("x-amz-security-token")
            credential = sigv4.verify(
                scope["method"],
                scope.get("raw_path", scope["path"].encode()).decode("latin-1").partition("?")[0],
                query,
                pairs,
                body,
                self.principals.sigv4_secrets(token, self.clock.now(), query=False),
                self.clock.now(),
                max_skew=900.0,
            )
            if credential.service != "lambda":
                raise AwsError(
                    "InvalidSignatureException", "Credential should be scoped to correct service: 'lambda'."
                )
            return credential.access_key
        claimed = sigv4.credential_of(headers, dict(parse_qsl(query)))
        if claimed is None:
            raise AwsError("MissingAuthenticationTokenException", "Forbidden")
        return claimed.access_key


async def _answer(send: Send, status: int, body: bytes) -> None:
    with contextlib.suppress(Exception):
        await respond(send, status, [(b"content-type", b"application/json")], body)
