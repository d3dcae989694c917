"""The parse tree compiled to Python closures, once per rule: evaluating a message calls them and
never looks at the tree again.

Every expression becomes `fn(ctx) -> value`. Chains of names (`a.b.c`, `a[0].b`) become one
closure walking the document; operators and functions are looked up here, at compile time, so the
closures hold direct references. What 2015-10-08 lacks (literals, nested queries, the functions
marked 2016-03-23 and later, the newer cast types) is refused here with SqlError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token, Tree

from headwater.services.iot.rules.contracts import SqlError
from headwater.services.iot.rules.sql.builders import (
    Fn,
    build_object,
    caller,
    cast_bool,
    cast_decimal,
    cast_int,
    current_document,
    undefined,
    unquote,
    walker,
)
from headwater.services.iot.rules.sql.context import V2015, Context
from headwater.services.iot.rules.sql.functions import PURE, Spec
from headwater.services.iot.rules.sql.message_functions import CONTEXTUAL
from headwater.services.iot.rules.sql.operators import (
    ARITHMETIC,
    COMPARISON,
    logical_and,
    logical_not,
    logical_or,
    negate,
)
from headwater.services.iot.rules.sql.values import (
    UNDEFINED,
    equal,
    to_bool,
    to_number,
    to_string,
    whole_to_int,
)

FUNCTIONS: dict[str, Spec] = {**PURE, **CONTEXTUAL}
MAX_DEPTH = 200
_STRING_TYPES = {"string", "nvarchar", "text", "ntext", "varchar"}


class Compiler:
    def __init__(self, sql: str, version: str) -> None:
        self.sql = sql
        self.version = version
        self.v2015 = version == V2015
        self.reads_payload = False  # whether evaluation must parse the payload at all
        self.calls: set[str] = set()  # the functions called (lower case)
        self.depth = 0

    # -- SELECT bodies ---------------------------------------------------------------------------

    def select(self, body: Any) -> tuple[Fn, bool]:
        """The SELECT list as one closure, and whether it is a lone `*` (the payload passes through)."""
        if body.data == "select_value":
            return self.expr(body.children[1]), False
        star = False
        items: list[tuple[tuple[str, ...], Fn]] = []
        for item in body.children:
            assert isinstance(item, Tree)
            if item.data == "star_item":
                star = True
                self.reads_payload = True
                continue
            expression, alias = item.children[0], item.children[-1]
            fn = self.expr(expression)
            if isinstance(alias, Tree) and alias.data == "alias":
                key = tuple(str(name) for name in alias.children)
            else:
                key = (self._default_key(expression),)
            items.append((key, fn))
        return build_object(star, items), star and not items

    def _default_key(self, expression: Any) -> str:
        if isinstance(expression, Tree):
            if expression.data in ("field", "member"):
                return str(expression.children[-1])
            if expression.data == "call":
                return str(expression.children[0]).lower()
            meta = expression.meta
            if not meta.empty:
                return self.sql[meta.start_pos : meta.end_pos]
        return str(expression)

    # -- expressions -----------------------------------------------------------------------------

    def expr(self, node: Any) -> Fn:
        if isinstance(node, Token):  # a bare parenthesized token never reaches here; be safe
            raise SqlError(f"Unexpected token {str(node)!r}")
        method = getattr(self, "_" + node.data, None)
        if method is None:  # pragma: no cover - every rule of the grammar has a method
            raise SqlError(f"Unsupported expression {node.data}")
        # Evaluation recurses as deep as the expression: bound it here, where it is an error.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise SqlError(f"The SQL statement is nested too deeply (more than {MAX_DEPTH} levels)")
        try:
            fn: Fn = method(node)
        finally:
            self.depth -= 1
        return fn

    def _int_lit(self, node: Any) -> Fn:
        value = int(node.children[0])
        return lambda ctx: value

    def _dec_lit(self, node: Any) -> Fn:
        text = str(node.children[0])
        value: Any = float(text)
        if not self.v2015:
            value = whole_to_int(value)
        return lambda ctx: value

    def _str_lit(self, node: Any) -> Fn:
        value = unquote(str(node.children[0]))
        return lambda ctx: value

    def _true_lit(self, node: Any) -> Fn:
        return lambda ctx: True

    def _false_lit(self, node: Any) -> Fn:
        return lambda ctx: False

    def _null_lit(self, node: Any) -> Fn:
        return lambda ctx: None

    def _field(self, node: Any) -> Fn:
        return self._path(node)

    def _member(self, node: Any) -> Fn:
        return self._path(node)

    def _index(self, node: Any) -> Fn:
        return self._path(node)

    def _path(self, node: Any) -> Fn:
        """`a.b[0].c`: one closure over a list of steps, from the document or another expression."""
        steps: list[Any] = []
        while isinstance(node, Tree) and node.data in ("member", "index"):
            base, step = node.children
            if node.data == "member":
                steps.append(str(step))
            else:
                steps.append(self.expr(step))
            node = base
        steps.reverse()
        if isinstance(node, Tree) and node.data == "field":
            self.reads_payload = True
            steps.insert(0, str(node.children[0]))
            root: Fn | None = None
        else:
            root = self.expr(node)
        fn = walker(root, tuple(steps))
        if self.v2015:
            return fn
        return lambda ctx: whole_to_int(fn(ctx))

    def _sign(self, node: Any) -> Fn:
        op, operand = node.children
        inner = self.expr(operand)
        if str(op) == "+":
            return lambda ctx: v if to_number(v := inner(ctx)) is not UNDEFINED else UNDEFINED
        return lambda ctx: negate(inner(ctx))

    def _arith(self, node: Any) -> Fn:
        left, op, right = node.children
        return self._binary(ARITHMETIC[str(op)], left, right)

    def _compare(self, node: Any) -> Fn:
        left, op, right = node.children
        return self._binary(COMPARISON[str(op).lower()], left, right)

    def _and_(self, node: Any) -> Fn:
        return self._binary(logical_and, node.children[0], node.children[2])

    def _or_(self, node: Any) -> Fn:
        return self._binary(logical_or, node.children[0], node.children[2])

    def _not_(self, node: Any) -> Fn:
        inner = self.expr(node.children[1])
        return lambda ctx: logical_not(inner(ctx))

    def _binary(self, op: Callable[[Any, Any], Any], left: Any, right: Any) -> Fn:
        lf, rf = self.expr(left), self.expr(right)
        return lambda ctx: op(lf(ctx), rf(ctx))

    def _object(self, node: Any) -> Fn:
        self._needs_2016("Object literals")
        pairs = [
            (unquote(str(pair.children[0])), self.expr(pair.children[1])) for pair in node.children if pair
        ]

        def build(ctx: Context) -> Any:
            out = {}
            for key, fn in pairs:
                value = fn(ctx)
                if value is not UNDEFINED:
                    out[key] = value
            return out

        return build

    def _array(self, node: Any) -> Fn:
        self._needs_2016("Array literals")
        items = [self.expr(child) for child in node.children if child is not None]
        return lambda ctx: [v for fn in items if (v := fn(ctx)) is not UNDEFINED]

    def _case_simple(self, node: Any) -> Fn:
        subject = self.expr(node.children[1])
        whens, otherwise = self._case_parts(node.children[2:])

        def case(ctx: Context) -> Any:
            value = subject(ctx)
            if value is UNDEFINED:
                return UNDEFINED
            for test, result in whens:
                if equal(value, test(ctx)) is True:
                    return result(ctx)
            return otherwise(ctx)

        return case

    def _case_searched(self, node: Any) -> Fn:
        whens, otherwise = self._case_parts(node.children[1:])

        def case(ctx: Context) -> Any:
            for test, result in whens:
                if to_bool(test(ctx)) is True:
                    return result(ctx)
            return otherwise(ctx)

        return case

    def _case_parts(self, parts: list[Any]) -> tuple[list[tuple[Fn, Fn]], Fn]:
        whens: list[tuple[Fn, Fn]] = []
        otherwise: Fn = undefined
        for part in parts:
            if not isinstance(part, Tree):
                continue  # END
            if part.data == "when_clause":
                whens.append((self.expr(part.children[1]), self.expr(part.children[3])))
            elif part.data == "else_clause":
                otherwise = self.expr(part.children[1])
        return whens, otherwise

    def _cast(self, node: Any) -> Fn:
        inner = self.expr(node.children[1])
        kind = str(node.children[3]).lower()
        if kind in _STRING_TYPES:
            return lambda ctx: to_string(inner(ctx))
        if kind in ("int", "integer"):
            return lambda ctx: cast_int(inner(ctx))
        if kind == "double" or (kind == "decimal" and not self.v2015):
            whole = kind == "decimal"
            return lambda ctx: cast_decimal(inner(ctx), whole)
        if kind in ("bool", "boolean") and not self.v2015:
            return lambda ctx: cast_bool(inner(ctx))
        raise SqlError(f"Unknown type {node.children[3]!s} in cast (SQL version {self.version})")

    def _call(self, node: Any) -> Fn:
        name = str(node.children[0])
        spec = FUNCTIONS.get(name.lower())
        if spec is None:
            raise SqlError(f"Undefined function: {name}")
        if spec.since_2016 and self.v2015:
            raise SqlError(f"Function {name} is not supported by SQL version {self.version}")
        arg_nodes = [child for child in node.children[1:] if child is not None]
        if not spec.min_args <= len(arg_nodes) <= spec.max_args:
            return undefined  # AWS: a function given the wrong number of arguments is Undefined
        lowered = name.lower()
        self.calls.add(lowered)
        args = [
            self._argument(child, raw=lowered == "encode" and index == 0)
            for index, child in enumerate(arg_nodes)
        ]
        return caller(spec, args)

    def _argument(self, node: Any, raw: bool) -> Fn:
        if isinstance(node, Tree) and node.data == "star_arg":
            self.reads_payload = True
            if raw:  # encode(*, ...) encodes the payload's bytes, JSON or not
                return lambda ctx: ctx.raw if ctx.top else ctx.star()
            return lambda ctx: ctx.star()
        return self.expr(node)

    def _subquery(self, node: Any) -> Fn:
        self._needs_2016("Nested queries")
        children = [child for child in node.children if child is not None]
        select_fn, lone_star = self.select(children[1])
        source = self.expr(children[3])
        where = self.expr(children[4].children[1]) if len(children) > 4 else None
        if lone_star:
            select_fn = current_document

        def run(ctx: Context, element: Any) -> Any:
            inner = ctx.child(element)
            if where is not None and to_bool(where(inner)) is not True:
                return UNDEFINED
            return select_fn(inner)

        def query(ctx: Context) -> Any:
            collection = source(ctx)
            if type(collection) is list:
                return [v for element in collection if (v := run(ctx, element)) is not UNDEFINED]
            if type(collection) is dict:
                return run(ctx, collection)
            return UNDEFINED

        return query

    def _needs_2016(self, what: str) -> None:
        if self.v2015:
            raise SqlError(f"{what} are not supported by SQL version {self.version}")


__all__ = ["Compiler", "Fn", "unquote"]
