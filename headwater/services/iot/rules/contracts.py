"""What the rules engine's runtime asks of IoT SQL (`rules/sql/`), so the two are built apart.

compiled = compile_sql(sql, version)          # SqlError -> CreateTopicRule's SqlParseException
compiled.matches(topic)                       # the FROM filter (MQTT wildcards, AWS's rules)
result = compiled.evaluate(message, env)      # None: WHERE not met; else what SELECT made
text = render_template("${topic(2)}-x", message, env)   # an action field's ${...} substitutions
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class SqlError(Exception):
    """A statement that does not parse or type-check; the message is what CreateTopicRule's
    SqlParseException carries."""


@dataclass(slots=True)
class SqlMessage:
    """One incoming message as IoT SQL sees it. Not frozen: one is made per message and rule, and a
    frozen dataclass's __init__ costs about 2 us more; nothing writes to it once made."""

    topic: str  # Basic Ingest's `$aws/rules/<rule>/` prefix already removed (topic() does not count it)
    payload: bytes
    client_id: str | None
    principal: str | None
    timestamp_ms: int
    account: str
    region: str
    rule_name: str = ""
    trace_id: str = ""
    user_properties: list[tuple[str, str]] = field(default_factory=list)  # MQTT 5, for get_user_property()
    properties: Any = None  # the MQTT 5 Properties (content type, response topic...) or None
    hops: int = 0  # rule republishes that led to this message (0: a device's; see targets.REPUBLISH_HOPS)


@dataclass(slots=True)
class SqlEnvironment:
    """The functions that reach outside the message (None: the function answers Undefined/fails as
    AWS does when its service is unavailable)."""

    # (account, region, thing, shadow name, roleArn) -> the shadow document, None when there is none
    get_thing_shadow: Callable[[str, str, str, str | None, str], Any] | None = None
    aws_lambda: Callable[[str, Any], Any] | None = None  # (function ARN, input JSON value) -> output value
    now_ms: Callable[[], int] | None = None  # timestamp() (the server clock, so tests control it)


class SqlResult(Protocol):
    @property
    def value(self) -> Any:
        """The JSON value SELECT produced (dict for `SELECT a, b`, anything for SELECT VALUE), or
        bytes when the output is the binary payload itself (`SELECT *` on a non-JSON payload)."""
        ...

    def payload(self) -> bytes:
        """What an action sends: the value as JSON text, or the bytes themselves."""
        ...


class CompiledSql(Protocol):
    @property
    def topic_filter(self) -> str | None:
        """FROM's filter; None when the statement has no FROM (Basic Ingest only)."""
        ...

    @property
    def version(self) -> str: ...

    def matches(self, topic: str) -> bool: ...

    def evaluate(self, message: SqlMessage, env: SqlEnvironment) -> SqlResult | None: ...
