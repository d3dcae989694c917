"""The S3 Select dialect, parsed with sqlglot into a `Query`.

The dialect is one SELECT over `S3Object` (optionally with an alias and, for JSON, a path into each
document such as `S3Object[*].items[*]`), a WHERE, a LIMIT and plain or aggregate projections.
sqlglot does not know the `[*]` wildcards of the FROM path, so the FROM path is read from the
token stream (sqlglot's own tokenizer) and replaced with the bare `S3Object` before parsing.
Anything else that is not this dialect is refused with S3's parse error codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Tokenizer, TokenType

from headwater.protocol.errors import AwsError
from headwater.services.s3.select import errors

AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
# a FROM path step: a name, or None for a `[*]` wildcard
FromStep = str | None


@dataclass(frozen=True, slots=True)
class Query:
    projections: list[exp.Expression]  # empty for SELECT *
    where: exp.Expression | None
    limit: int | None
    alias: str | None  # the table alias, lower-cased
    from_path: list[FromStep] = field(default_factory=list)  # after S3Object[*]
    aggregates: list[exp.Expression] = field(default_factory=list)  # aggregate calls in projections

    @property
    def star(self) -> bool:
        return not self.projections


def parse(sql: str) -> Query:
    text, from_path = _strip_from_path(sql)
    try:
        tree = sqlglot.parse_one(text)
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        raise errors.unexpected_token(first.get("line"), first.get("col")) from None
    except TokenError:
        raise errors.unexpected_token() from None
    if not isinstance(tree, exp.Select):
        raise errors.unsupported_syntax()
    return _query(tree, from_path)


def _query(tree: exp.Select, from_path: list[FromStep]) -> Query:
    unsupported = ("joins", "group", "having", "order", "with", "distinct", "offset")
    if any(tree.args.get(name) for name in unsupported):
        raise errors.unsupported_syntax()
    source = tree.args.get("from_") or tree.args.get("from")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.name.lower() != "s3object" or table.args.get("db"):
        raise errors.unexpected_token()
    if not tree.expressions:
        raise errors.unexpected_token()
    alias = table.alias.lower() if table.alias else None
    stars = [e for e in tree.expressions if isinstance(e, exp.Star)]
    if stars and len(tree.expressions) > 1:
        raise errors.parse_error(
            "ParseAsteriskIsNotAloneInSelectList",
            "Other expressions are not allowed in the SELECT list when * is used without dot notation "
            "in the SQL expression.",
        )
    projections = [] if stars else list(tree.expressions)
    aggregates = [node for p in projections for node in p.find_all(*AGGREGATES)]
    where = tree.args.get("where")
    if where is not None and any(True for _ in where.find_all(*AGGREGATES)):
        raise errors.unsupported_syntax()
    return Query(
        projections, where.this if where is not None else None, _limit(tree), alias, from_path, aggregates
    )


def _limit(tree: exp.Select) -> int | None:
    limit = tree.args.get("limit")
    if limit is None:
        return None
    value = limit.expression
    if not isinstance(value, exp.Literal) or value.is_string or not value.this.isdigit():
        raise errors.unexpected_token()
    return int(value.this)


def _strip_from_path(sql: str) -> tuple[str, list[FromStep]]:
    """`... FROM S3Object[*].a[*] s` -> (`... FROM S3Object s`, ["a", None])."""
    try:
        tokens = Tokenizer().tokenize(sql)
    except TokenError:
        raise errors.unexpected_token() from None
    for i, token in enumerate(tokens[:-1]):
        if token.text.lower() != "s3object" or i == 0 or tokens[i - 1].token_type != TokenType.FROM:
            continue
        steps: list[FromStep] = []
        j = i + 1
        while j < len(tokens):
            kind = tokens[j].token_type
            if kind == TokenType.L_BRACKET:
                if j + 2 >= len(tokens) or tokens[j + 2].token_type != TokenType.R_BRACKET:
                    raise _path_error()
                if tokens[j + 1].token_type != TokenType.STAR:
                    raise _path_error()
                steps.append(None)
                j += 3
            elif kind == TokenType.DOT and j + 1 < len(tokens):
                steps.append(tokens[j + 1].text)
                j += 2
            else:
                break
        if j == i + 1:
            return sql, []
        end = tokens[j - 1].end + 1
        # the leading [*] (every document) is the default: only the steps after it matter
        return sql[: token.end + 1] + sql[end:], steps[1:] if steps[:1] == [None] else steps
    return sql, []


def _path_error() -> AwsError:
    return errors.unsupported_syntax()
