"""The request log (`listeners/http/access.py`): one line per request from what the front end noted
and the status it sent; an exception that escapes the app is a 500 with its traceback and request id;
with the logger above info nothing is recorded at all."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from headwater.listeners.http.access import EXCHANGE, RequestLog, exchange_of


def _scope(path: str = "/") -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": path, "headers": []}


def _call(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(RequestLog(app)(scope, receive, send))
    return sent


async def _answering(scope: dict[str, Any], receive: Any, send: Any) -> None:
    exchange = exchange_of(scope)
    assert exchange is not None
    exchange.service, exchange.operation = "kinesis", "PutRecords"
    exchange.account, exchange.request_id = "123456789012", "rid-1"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _failing(scope: dict[str, Any], receive: Any, send: Any) -> None:
    exchange = exchange_of(scope)
    assert exchange is not None
    exchange.request_id = "rid-2"
    raise RuntimeError("boom")


def test_one_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="headwater.requests"):
        sent = _call(_answering, _scope())
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    (record,) = [r for r in caplog.records if r.name == "headwater.requests"]
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert message.startswith("kinesis.PutRecords 200 ")
    assert "account=123456789012" in message and "id=rid-1" in message
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["service"] == "kinesis" and fields["operation"] == "PutRecords"
    assert fields["status"] == 200 and fields["request_id"] == "rid-1" and fields["ms"] >= 0


def test_escaped_exception_is_a_500_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        sent = _call(_failing, _scope())
    assert sent[0] == {"type": "http.response.start", "status": 500, "headers": []}
    failure = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert failure.getMessage() == "internal failure in request rid-2"
    assert failure.exc_info is not None and "boom" in str(failure.exc_info[1])
    line = next(r for r in caplog.records if r.name == "headwater.requests")
    assert " 500 " in line.getMessage() and "id=rid-2" in line.getMessage()


def test_nothing_is_recorded_above_info(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Any] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope.get(EXCHANGE))
        await send({"type": "http.response.start", "status": 204, "headers": []})

    with caplog.at_level(logging.WARNING, logger="headwater.requests"):
        _call(app, _scope())
    assert seen == [None]  # the front ends find no record to fill in
    assert not [r for r in caplog.records if r.name == "headwater.requests"]


def test_polled_admin_reads_are_debug(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    with caplog.at_level(logging.INFO, logger="headwater.requests"):
        _call(app, {**_scope("/_headwater/health"), "method": "GET"})
        _call(app, _scope("/_headwater/reset"))
    messages = [r.getMessage() for r in caplog.records if r.name == "headwater.requests"]
    assert len(messages) == 1 and messages[0].startswith("POST /_headwater/reset 200 ")
