"""What a compiled expression reads while it runs: the document, the message, the environment."""

from __future__ import annotations

from typing import Any

from headwater.services.iot.rules.contracts import SqlEnvironment, SqlMessage
from headwater.services.iot.rules.sql.values import UNDEFINED, loads

V2015 = "2015-10-08"
V2016 = "2016-03-23"
VERSIONS = (V2015, V2016, "beta")


# The last payload decoded and its documents (plain, whole numbers as ints): every rule a message
# matches, and every template that reads it, decode it once. The payload is held, so `is` cannot
# match another object at a reused address; the documents are never written to (SELECT copies).
_last: list[Any] = [None, None, None]


def decode_payload(payload: bytes, whole_as_int: bool = False) -> Any:
    """The payload as JSON, or UNDEFINED when it is not JSON (a binary payload). With
    `whole_as_int` (SQL 2016-03-23), whole-number Decimals such as 10.0 become Ints."""
    last = _last
    if payload is last[0]:
        found = last[2 if whole_as_int else 1]
        if found is not None:
            return found
    else:
        last[0], last[1], last[2] = payload, None, None
    if not payload:
        return UNDEFINED
    try:
        document = loads(payload)
    except ValueError:  # orjson's and json's decode errors, and bad UTF-8, are ValueErrors
        document = UNDEFINED
    if whole_as_int and document is not UNDEFINED:
        document = _whole_numbers(document)
    last[2 if whole_as_int else 1] = document
    return document


def _whole_numbers(value: Any) -> Any:
    """The value with whole-number floats as ints; containers are copied only where one changes
    (a 10-field payload without any costs well under a microsecond)."""
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        changed = None
        for key, item in value.items():
            kind = type(item)
            if kind is float:  # inline: a call per number would cost more than the rest
                if item.is_integer():
                    if changed is None:
                        changed = dict(value)
                    changed[key] = int(item)
            elif kind is dict or kind is list:
                new = _whole_numbers(item)
                if new is not item or type(new) is not type(item):
                    if changed is None:
                        changed = dict(value)
                    changed[key] = new
        return value if changed is None else changed
    if kind is list:
        out = None
        for index, item in enumerate(value):
            kind = type(item)
            if kind is float or kind is dict or kind is list:
                new = _whole_numbers(item)
                if new is not item or type(new) is not type(item):
                    if out is None:
                        out = list(value)
                    out[index] = new
        return value if out is None else out
    return value


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
        parsed = decode_payload(message.payload, version != V2015) if decode else UNDEFINED
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
