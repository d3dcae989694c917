"""What a compiled expression reads while it runs: the document, the message, the environment."""

from __future__ import annotations

from typing import Any

from headwater.services.iot.rules.contracts import SqlEnvironment, SqlMessage
from headwater.services.iot.rules.sql.values import UNDEFINED, loads

V2015 = "2015-10-08"
V2016 = "2016-03-23"
VERSIONS = (V2015, V2016, "beta")


def decode_payload(payload: bytes) -> Any:
    """The payload as JSON, or UNDEFINED when it is not JSON (a binary payload)."""
    if not payload:
        return UNDEFINED
    try:
        return loads(payload)
    except ValueError:  # orjson's and json's decode errors, and bad UTF-8, are ValueErrors
        return UNDEFINED


class Context:
    """One evaluation. `doc` is what bare names read (the payload's object, or a nested query's
    element); `parsed` is the payload as JSON of any shape (UNDEFINED when binary), `raw` its bytes."""

    __slots__ = ("doc", "env", "message", "parsed", "raw", "top", "version")

    def __init__(
        self, doc: Any, parsed: Any, raw: bytes, message: SqlMessage, env: SqlEnvironment, version: str
    ) -> None:
        self.doc = doc
        self.parsed = parsed
        self.raw = raw
        self.message = message
        self.env = env
        self.version = version
        self.top = True

    @classmethod
    def of(cls, message: SqlMessage, env: SqlEnvironment, version: str, decode: bool = True) -> Context:
        parsed = decode_payload(message.payload) if decode else UNDEFINED
        doc = parsed if type(parsed) is dict else UNDEFINED
        return cls(doc, parsed, message.payload, message, env, version)

    def child(self, doc: Any) -> Context:
        """A nested query's view of one element: bare names and `*` read the element."""
        inner = Context(doc, doc, self.raw, self.message, self.env, self.version)
        inner.top = False
        return inner

    def star(self) -> Any:
        """`*` as a function argument: the JSON payload, or its bytes when it is not JSON."""
        return self.raw if self.parsed is UNDEFINED else self.parsed
