"""Substitution templates: `${expression}` inside an action's fields ("Substitution templates" page).

Each expression is evaluated on its own against the original message (not SELECT's output: an AS
alias is not visible), with every function and operator. The value is written as text: a String
as itself, Undefined as nothing, numbers and booleans by the standard String conversion, Null as
`null`, objects and arrays as JSON. `$$` writes a lone `$` (how a republish action names a `$aws/...`
topic). Templates compile once and are cached.

A template that reads nothing but the topic (`${topic(2)}`, the usual partition key) renders the
same text for every message on a topic: that text is kept per (template, version, topic) in a
bounded table, so a device's messages after its first skip the evaluation.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from headwater.services.iot.rules.contracts import SqlEnvironment, SqlError, SqlMessage
from headwater.services.iot.rules.sql.compiler import Compiler, Fn
from headwater.services.iot.rules.sql.context import Context
from headwater.services.iot.rules.sql.grammar import parse_expression
from headwater.services.iot.rules.sql.message_functions import CONTEXTUAL
from headwater.services.iot.rules.sql.values import UNDEFINED, dumps_text, to_string

Piece = str | Fn


# Functions whose value depends on their arguments alone (rand() does not; the contextual ones
# read the message or the environment, topic() excepted: it is the key of the table below)
_TOPIC_ONLY_EXCLUDED = frozenset(CONTEXTUAL) - {"topic"} | {"rand"}
_BY_TOPIC_MAX = 4096  # rendered texts kept; the table is emptied when full
_by_topic: dict[tuple[str, str, str], str] = {}


@lru_cache(maxsize=1024)
def compile_template(template: str, version: str) -> tuple[tuple[Piece, ...], bool, bool]:
    """The template as literal text and compiled expressions, whether any reads the payload, and
    whether its text depends on the message's topic alone."""
    pieces: list[Piece] = []
    text: list[str] = []
    reads = False
    topic_only = True
    i, size = 0, len(template)
    while i < size:
        char = template[i]
        if char == "$" and template.startswith("$$", i):
            text.append("$")
            i += 2
        elif char == "$" and template.startswith("${", i):
            end = _closing_brace(template, i + 2)
            if end < 0:
                raise SqlError(f"Unterminated substitution template at offset {i}: {template[i:]!r}")
            source = template[i + 2 : end]
            if not source.strip():
                raise SqlError(f"Empty substitution template at offset {i}")
            compiler = Compiler(f"SELECT VALUE {source}", version)
            body = parse_expression(source)
            if text:
                pieces.append("".join(text))
                text = []
            pieces.append(compiler.expr(body.children[1]))
            reads = reads or compiler.reads_payload
            topic_only = (
                topic_only and not compiler.reads_payload and not compiler.calls & _TOPIC_ONLY_EXCLUDED
            )
            i = end + 1
        else:
            text.append(char)
            i += 1
    if text:
        pieces.append("".join(text))
    return tuple(pieces), reads, topic_only


def _closing_brace(template: str, start: int) -> int:
    """The `}` closing a `${`, skipping quoted strings and nested object literals."""
    depth = 0
    quote = ""
    i = start
    while i < len(template):
        char = template[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def as_text(value: Any) -> str:
    if type(value) is str:
        return value
    if value is UNDEFINED:
        return ""
    if value is None:
        return "null"
    if type(value) is bytes:
        return value.decode("utf-8", "replace")
    text = to_string(value)
    return dumps_text(value) if text is UNDEFINED else text  # type: ignore[return-value]


def render(template: str, message: SqlMessage, env: SqlEnvironment, version: str) -> str:
    if "$" not in template:
        return template
    pieces, reads, topic_only = compile_template(template, version)
    if topic_only:
        key = (template, version, message.topic)
        text = _by_topic.get(key)
        if text is None:
            text = _evaluate(pieces, Context.of(message, env, version, False))
            if len(_by_topic) >= _BY_TOPIC_MAX:
                _by_topic.clear()
            _by_topic[key] = text
        return text
    return _evaluate(pieces, Context.of(message, env, version, reads))


def _evaluate(pieces: tuple[Piece, ...], ctx: Context) -> str:
    return "".join(piece if type(piece) is str else as_text(piece(ctx)) for piece in pieces)  # type: ignore[operator]
