"""Running one statement or template over one message, as the rules runtime does."""

from __future__ import annotations

from typing import Any

import orjson

from headwater.services.iot.rules.contracts import SqlEnvironment, SqlMessage
from headwater.services.iot.rules.sql import compile_statement, render

V1 = "2015-10-08"
V2 = "2016-03-23"
NOTHING = object()  # the WHERE clause was not met


def message(payload: Any = b"{}", topic: str = "topic/subtopic", **fields: Any) -> SqlMessage:
    data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    defaults: dict[str, Any] = {
        "client_id": "device-1",
        "principal": "ab12",
        "timestamp_ms": 1_481_825_251_155,
        "account": "123456789012",
        "region": "us-east-1",
        "rule_name": "rule",
    }
    defaults.update(fields)
    return SqlMessage(topic=topic, payload=data, **defaults)


def run(
    sql: str, payload: Any = b"{}", version: str = V2, env: SqlEnvironment | None = None, **fields: Any
) -> Any:
    """The output payload decoded as JSON (bytes when it is not JSON), or NOTHING."""
    compiled = compile_statement(sql, version)
    result = compiled.evaluate(message(payload, **fields), env or SqlEnvironment())
    if result is None:
        return NOTHING
    out = result.payload()
    try:
        return orjson.loads(out)
    except orjson.JSONDecodeError:
        return out


def value(expression: str, payload: Any = b"{}", version: str = V2, **fields: Any) -> Any:
    """One expression's value: `SELECT VALUE expr` (b"" when Undefined)."""
    return run(f"SELECT VALUE {expression} FROM 't'", payload, version, **fields)


def template(
    text: str, payload: Any = b"{}", version: str = V2, env: SqlEnvironment | None = None, **fields: Any
) -> str:
    return render(text, message(payload, **fields), env or SqlEnvironment(), version)
