"""A compiled rule statement: FROM's filter, WHERE and SELECT as closures, and what they produce."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from headwater.services.iot.broker.topics import filter_error, matches
from headwater.services.iot.rules.contracts import SqlEnvironment, SqlError, SqlMessage
from headwater.services.iot.rules.sql.compiler import Compiler, Fn, unquote
from headwater.services.iot.rules.sql.context import Context
from headwater.services.iot.rules.sql.grammar import parse
from headwater.services.iot.rules.sql.values import UNDEFINED, dumps, to_bool

MATCHED_MAX = 4096  # topics whose FROM match a statement remembers


class Result:
    """What SELECT made: a JSON value, or the payload's own bytes (`SELECT *` over a payload that is
    not a JSON object). `SELECT VALUE` of Undefined is an empty payload; its value is None, so that
    every reader of `value` gets plain JSON (`undefined` tells the two apart)."""

    __slots__ = ("undefined", "value")

    def __init__(self, value: Any) -> None:
        self.undefined = value is UNDEFINED
        self.value = None if self.undefined else value

    def payload(self) -> bytes:
        value = self.value
        if type(value) is bytes:
            return value
        if self.undefined:
            return b""
        return dumps(value)

    def __repr__(self) -> str:
        return f"Result({self.value!r})"


class Statement:
    """`compile_statement`'s answer (the CompiledSql protocol)."""

    __slots__ = ("_decode", "_lone_star", "_matched", "_select", "_where", "sql", "topic_filter", "version")

    def __init__(self, sql: str, version: str) -> None:
        tree = parse(sql).children[0]
        assert isinstance(tree, Tree)
        compiler = Compiler(sql, version)
        body = tree.children[1]
        assert isinstance(body, Tree)
        self.sql = sql
        self.version = version
        self.topic_filter: str | None = None
        self._where: Fn | None = None
        for clause in tree.children[2:]:
            if not isinstance(clause, Tree):
                continue
            if clause.data == "from_clause":
                self.topic_filter = _topic_filter(clause.children[1])
            elif clause.data == "where_clause":
                self._where = compiler.expr(clause.children[1])
        self._select, self._lone_star = compiler.select(body)
        self._decode = compiler.reads_payload
        self._matched: dict[str, bool] = {}  # topic -> whether FROM matches it (bounded)

    def matches(self, topic: str) -> bool:
        found = self._matched.get(topic)
        if found is None:
            found = self.topic_filter is not None and matches(self.topic_filter, topic)
            if len(self._matched) >= MATCHED_MAX:
                self._matched.clear()
            self._matched[topic] = found
        return found

    def evaluate(self, message: SqlMessage, env: SqlEnvironment) -> Result | None:
        ctx = Context.of(message, env, self.version, self._decode)
        where = self._where
        if where is not None and to_bool(where(ctx)) is not True:
            return None
        if self._lone_star:  # `SELECT *`: the document itself (never written to), or the bytes
            doc = ctx.doc
            return Result(message.payload if doc is UNDEFINED else doc)
        return Result(self._select(ctx))

    def __repr__(self) -> str:
        return f"Statement({self.sql!r}, {self.version!r})"


def _topic_filter(token: Any) -> str:
    assert isinstance(token, Token)
    text = unquote(str(token))
    if filter_error(text, aws=False) is not None or text.startswith("$share/"):
        raise SqlError(f"Invalid topic filter in FROM: {text!r}")
    return text
