"""Substitution templates: `${expression}` inside an action's fields ("Substitution templates" page).

Each expression is evaluated on its own against the original message (not SELECT's output: an AS
alias is not visible), with every function and operator. The value is written as text: a String
as itself, Undefined as nothing, numbers and booleans by the standard String conversion, Null as
`null`, objects and arrays as JSON. `$$` writes a lone `$` (how a republish action names a `$aws/...`
topic). Templates compile once and are cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from headwater.services.iot.rules.contracts import SqlEnvironment, SqlError, SqlMessage
from headwater.services.iot.rules.sql.compiler import Compiler, Fn
from headwater.services.iot.rules.sql.context import Context
from headwater.services.iot.rules.sql.grammar import parse_expression
from headwater.services.iot.rules.sql.values import UNDEFINED, dumps_text, to_string

Piece = str | Fn


@lru_cache(maxsize=1024)
def compile_template(template: str, version: str) -> tuple[tuple[Piece, ...], bool]:
    """The template as literal text and compiled expressions, and whether any reads the payload."""
    pieces: list[Piece] = []
    text: list[str] = []
    reads = False
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
            i = end + 1
        else:
            text.append(char)
            i += 1
    if text:
        pieces.append("".join(text))
    return tuple(pieces), reads


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
    pieces, reads = compile_template(template, version)
    ctx = Context.of(message, env, version, reads)
    return "".join(piece if type(piece) is str else as_text(piece(ctx)) for piece in pieces)  # type: ignore[operator]
