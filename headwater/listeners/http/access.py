"""The request log: one line per request on logger ``headwater.requests``, at info.

Theory of operation. `RequestLog` wraps the gateway (plain ASGI). Only the front end that answered
knows which service and operation a request was, who sent it and its request id, and only the
server's `send` sees the status: so the wrapper puts an `Exchange` into the ASGI scope (key
`EXCHANGE`), the front ends fill it in as they learn things (`exchange_of(scope)`, then plain
attribute writes), and the wrapper observes ``http.response.start`` on the way out and logs one
line when the app returns (for a stream, when it ends). An exception that escapes the app is logged
with its traceback and the request id, and answered 500 if nothing was sent yet.

The hot path stays cheap: with the logger above info the wrapper calls the app untouched (no
record, no timing, no wrapped `send`), and the front ends' `exchange_of` finds nothing and skip
their notes. With it on, the cost is one small object, one wrapped send and one log call per
request, whatever the request carries (a PutRecords of 500 records is one line). While the logging
setup is the server's own (`logs.direct`), the line skips the logging machinery: no record, no
formatter, and a JSON line's fields are built only in JSON mode; one write per event-loop turn.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from headwater.listeners.http.asgi import Message, Receive, Scope, Send
from headwater.runtime import logs

log = logging.getLogger("headwater.requests")
failures = logging.getLogger("headwater.listeners.http")

EXCHANGE = "headwater.exchange"  # the scope key of a request's Exchange


class Exchange:
    """What the log line says about a request; the front end that answers it fills it in."""

    __slots__ = ("account", "operation", "request_id", "resource", "service", "status")

    def __init__(self) -> None:
        self.service: str | None = None
        self.operation: str | None = None
        self.account: str | None = None
        self.request_id: str | None = None
        self.resource: str | None = None  # S3: bucket or bucket/key
        self.status = 0


def exchange_of(scope: Scope) -> Exchange | None:
    """The request's record to fill in, or None when requests are not logged."""
    return scope.get(EXCHANGE)


def note(
    scope: Scope,
    service: str | None,
    operation: str | None,
    request_id: str | None = None,
    account: str | None = None,
) -> None:
    """Records what a front end learned about its request (a no-op when requests are not logged)."""
    exchange: Exchange | None = scope.get(EXCHANGE)
    if exchange is not None:
        exchange.service, exchange.operation = service, operation
        if request_id is not None:
            exchange.request_id = request_id
        if account is not None:
            exchange.account = account


class RequestLog:
    """ASGI middleware: logs each HTTP request the wrapped app answers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        exchange = scope[EXCHANGE] = Exchange()
        started = time.perf_counter()

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        except Exception:
            if exchange.status:  # mid-answer: most likely the client went away
                failures.debug("request %s ended early", exchange.request_id or "-", exc_info=True)
            else:
                failures.exception("internal failure in request %s", exchange.request_id or "-")
                exchange.status = 500
                await send({"type": "http.response.start", "status": 500, "headers": []})
                await send({"type": "http.response.body", "body": b""})
        finally:
            _log(scope, exchange, (time.perf_counter() - started) * 1000.0)


def _log(scope: Scope, exchange: Exchange, ms: float) -> None:
    if exchange.service is None:  # admin routes and requests no front end could place
        what = f"{scope['method']} {scope['path']}"
        # polled health checks and metrics scrapes would drown the rest
        polled = scope["method"] == "GET" and scope["path"].startswith("/_headwater/")
        level = logging.DEBUG if polled else logging.INFO
    else:
        what = f"{exchange.service}.{exchange.operation or '-'}"
        level = logging.INFO
    if not log.isEnabledFor(level):
        return
    status = exchange.status or 499  # the client went before any answer
    resource = exchange.resource
    message = (
        f"{what} {status} {ms:.1f}ms {resource + ' ' if resource else ''}"
        f"account={exchange.account or '-'} id={exchange.request_id or '-'}"
    )
    handler = logs.direct(log)
    if handler is not None:
        handler.line(level, log.name, message, _fields(scope, exchange, status, ms) if handler.json else None)
        return
    # the record made directly: Logger.log would walk the stack for the caller and copy `extra`
    record = log.makeRecord(log.name, level, __file__, 0, message, (), None)
    record.fields = _fields(scope, exchange, status, ms)
    log.handle(record)


def _fields(scope: Scope, exchange: Exchange, status: int, ms: float) -> dict[str, Any]:
    fields = {
        "service": exchange.service,
        "operation": exchange.operation,
        "status": status,
        "ms": round(ms, 2),
        "account": exchange.account,
        "request_id": exchange.request_id,
    }
    if exchange.service is None:
        fields["method"], fields["path"] = scope["method"], scope["path"]
    if exchange.resource:
        fields["resource"] = exchange.resource
    return fields
