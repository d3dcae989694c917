"""Admin routes under /_headwater/ (never an AWS path): the index, health, resources (names per
service), reset, metrics, the test clock, the IoT CA certificates and the IoT policy explain view.

`GET /_headwater/` (with or without the slash) and a plain `GET /` (a browser, curl: no signature,
no AWS header; the gateway decides) describe the server and list these routes. A known route asked
with a method it does not take answers 405 with an `Allow` header; HEAD is answered wherever GET is.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qs

from headwater.listeners.base import Listener
from headwater.listeners.http import rules_admin
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import SystemClock, TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.ports import IotRulesDebugger


class AdminHost(Protocol):
    """What the admin routes act on: the composition root."""

    clock: SystemClock
    metrics: Metrics

    @property
    def listeners(self) -> Sequence[Listener]: ...

    def health(self) -> dict[str, Any]: ...

    def resources(self) -> dict[str, dict[str, list[str]]]: ...

    async def reset(self) -> None: ...


JSON = "application/json"
# (account, region, function name) -> the function's code package (GetFunction's Code.Location)
Packages = Callable[[str, str, str], Awaitable[bytes | None]]
# the IoT device gateway's CA certificates (PEM): the root device code and clients add to their
# trust, and the chain (issuing CA, root) that verifies device certificates
IotCa = Callable[[], bytes]
# (account, region, principal, client id, action, resource) -> the explain view's answer (JSON-able)
IotExplainer = Callable[[str, str, str | None, str | None, str, str], dict[str, Any]]
IOT_EXPLAIN = "/_headwater/iot/explain"
# edge mode's bridge: upstream, connection, queue, counters
EdgeView = Callable[[], dict[str, Any]]
EDGE = "/_headwater/edge"
IOT_ROOT_CA = "/_headwater/iot/root-ca"
IOT_CA_CHAIN = "/_headwater/iot/ca-chain"
# (account or None, region or None, thing, shadow name or None) -> the shadow's kept changes; None
# account/region: the server's defaults
ShadowHistory = Callable[[str | None, str | None, str, str | None], list[dict[str, Any]]]
IOT_SHADOW_HISTORY = "/_headwater/iot/shadow-history"
FUNCTIONS = "/_headwater/functions/"
INDEX = "/_headwater"
DOCS = "README.md (Server options, Admin routes) and docs/architecture.md in the Headwater source"
# path -> method -> what it does (the index lists them; anything else on a known path is a 405)
ROUTES: dict[str, dict[str, str]] = {
    INDEX: {"GET": "this description of the server and its admin routes (also GET / without a signature)"},
    "/_headwater/health": {"GET": "status, version, services, storage, auth, TLS and resource counts"},
    "/_headwater/resources": {"GET": "resource names per service (what `headwater ls` prints)"},
    "/_headwater/reset": {"POST": "drops all state (test isolation)"},
    "/_headwater/metrics": {"GET": "Prometheus text under CloudWatch's metric names"},
    IOT_ROOT_CA: {"GET": "the IoT root CA certificate (PEM) that device TLS clients trust"},
    IOT_CA_CHAIN: {"GET": "the IoT issuing CA and root (PEM) that verify device certificates"},
    IOT_EXPLAIN: {
        "GET": "which IoT policy statement allows or denies a request: ?principal=<cert ARN>&clientId="
        "&action=iot:Publish&resource=<topic or ARN>[&account=&region=]"
    },
    "/_headwater/iot/rules/<name>/dry-run": {
        "POST": 'a rule run on a sample message, nothing delivered: {"topic", "payload", "clientId"}'
    },
    EDGE: {"GET": "edge mode's bridge (--edge): upstream connection, queue, forwarded and dropped counts"},
    IOT_SHADOW_HISTORY: {
        "GET": "a Device Shadow's recent changes: ?thing=<thing>[&name=<shadow>][&account=&region=]"
    },
    "/_headwater/clock": {
        "GET": "the server's clock (with --test-mode on)",
        "POST": 'moves the clock forward: {"advance": seconds} (with --test-mode on)',
    },
}


def _json(status: int, body: object) -> tuple[int, str, bytes]:
    return status, JSON, json.dumps(body).encode()


def allowed(path: str) -> list[str] | None:
    """The methods a known admin path takes (HEAD wherever GET), None for an unknown path."""
    methods = ROUTES.get(path)
    if methods is None:
        return None
    return [*methods, "HEAD"] if "GET" in methods else list(methods)


class Admin:
    def __init__(
        self,
        app: AdminHost,
        packages: Packages | None = None,
        root_ca: IotCa | None = None,
        ca_chain: IotCa | None = None,
        explain: IotExplainer | None = None,
        scope: tuple[str, str] = ("000000000000", "us-east-1"),
        rules: IotRulesDebugger | None = None,
        edge: EdgeView | None = None,
        shadow_history: ShadowHistory | None = None,
    ) -> None:
        self.app = app
        self.rules = rules
        self.packages = packages
        self.iot_ca = {IOT_ROOT_CA: root_ca, IOT_CA_CHAIN: ca_chain}
        self.explainer = explain
        self.scope = scope  # the account and region explain asks about unless told
        self.edge = edge
        self.shadow_history = shadow_history

    async def handle(self, method: str, path: str, body: bytes, query: str = "") -> tuple[int, str, bytes]:
        path = path.rstrip("/") or "/"
        if path.startswith(FUNCTIONS) and method in ("GET", "HEAD"):
            return await self._package(path)
        if rules_admin.claims(path):
            return rules_admin.dry_run(self.rules, method, path, body)
        methods = allowed(path)
        if methods is None:
            return _json(404, {"error": f"no admin route {method} {path}", "routes": sorted(ROUTES)})
        if method not in methods:
            return _json(405, {"error": f"{path} takes {', '.join(methods)}, not {method}", "allow": methods})
        if method == "HEAD":
            method = "GET"  # the gateway sends the headers only
        if path == INDEX:  # indented: people read this one
            return 200, JSON, json.dumps(self.index(), indent=2).encode() + b"\n"
        if path == "/_headwater/health":
            return _json(200, self.app.health())
        if path == "/_headwater/resources":
            return _json(200, self.app.resources())
        if path == "/_headwater/reset":
            await self.app.reset()
            return _json(200, {"reset": True})
        if path == "/_headwater/metrics":
            return 200, "text/plain; version=0.0.4", self.app.metrics.render().encode()
        if path == EDGE:
            if self.edge is None:
                return _json(404, {"error": "edge mode is off (serve --edge)"})
            return _json(200, self.edge())
        if path in self.iot_ca:
            pem = self.iot_ca[path]
            if pem is None:
                return _json(404, {"error": "the iot service is not running"})
            return 200, "application/x-pem-file", pem()
        if path == IOT_EXPLAIN:
            return self._explain(query)
        if path == IOT_SHADOW_HISTORY:
            return self._shadow_history(query)
        return self._clock(method, body)

    def _shadow_history(self, query: str) -> tuple[int, str, bytes]:
        if self.shadow_history is None:
            return _json(404, {"error": "the iot service is not running"})
        asked = dict(urllib.parse.parse_qsl(query))
        thing = asked.get("thing")
        if not thing:
            return _json(400, {"error": "thing=<thing name> is required (name=<shadow> for a named shadow)"})
        name = asked.get("name") or None
        changes = self.shadow_history(asked.get("account"), asked.get("region"), thing, name)
        return _json(200, {"thing": thing, "shadow": name, "changes": changes})

    def index(self) -> dict[str, Any]:
        health = self.app.health()
        return {
            "name": "Headwater",
            "description": "AWS data services on one endpoint: point boto3, the AWS CLI or an AWS SDK here.",
            "version": health.get("version"),
            "services": list(health.get("services", {})),
            "endpoints": [endpoint for listener in self.app.listeners for endpoint in listener.endpoints()],
            "admin": [
                {"method": method, "path": path if path != INDEX else f"{INDEX}/", "does": does}
                for path, methods in ROUTES.items()
                for method, does in methods.items()
            ],
            "docs": DOCS,
        }

    async def _package(self, path: str) -> tuple[int, str, bytes]:
        """GET /_headwater/functions/<account>/<region>/<name>/code: a function's zip."""
        parts = path[len(FUNCTIONS) :].split("/")
        if len(parts) != 4 or parts[3] != "code" or self.packages is None:
            return _json(404, {"error": f"no admin route GET {path}"})
        package = await self.packages(parts[0], parts[1], parts[2])
        if package is None:
            return _json(404, {"error": f"no function {parts[2]} in {parts[0]} {parts[1]}"})
        return 200, "application/zip", package

    def _explain(self, query: str) -> tuple[int, str, bytes]:
        """GET /_headwater/iot/explain: the policy engine's explain view for one request."""
        if self.explainer is None:
            return _json(404, {"error": "the iot service is not running"})
        try:
            params = {key: values[-1] for key, values in parse_qs(query, strict_parsing=False).items()}
        except ValueError as exc:
            return _json(400, {"error": f"unreadable query string: {exc}"})
        missing = [name for name in ("action", "resource") if not params.get(name)]
        if missing:
            return _json(
                400,
                {
                    "error": f"missing {' and '.join(missing)}: expected ?principal=<certificate ARN>"
                    "&clientId=<id>&action=<iot:Publish|PUBLISH...>&resource=<topic, client id or ARN>"
                },
            )
        account, region = params.get("account") or self.scope[0], params.get("region") or self.scope[1]
        try:
            answer = self.explainer(
                account,
                region,
                params.get("principal") or None,
                params.get("clientId"),
                params["action"],
                params["resource"],
            )
        except AwsError as error:
            return _json(error.status, {"error": error.message, "code": error.code})
        return _json(200, answer)

    def _clock(self, method: str, body: bytes) -> tuple[int, str, bytes]:
        clock = self.app.clock
        if not isinstance(clock, TestClock):
            return _json(404, {"error": "the test clock is only available with --test-mode"})
        if method == "POST":
            try:
                seconds = float(json.loads(body or b"{}").get("advance", 0))
                clock.advance(seconds)
            except (ValueError, TypeError, AttributeError) as exc:
                return _json(400, {"error": f'expected {{"advance": seconds}}: {exc}'})
        return _json(200, {"now": clock.now(), "offset": clock.offset})
