"""IoT SQL's grammar (lark, LALR(1)) and its parse errors as CreateTopicRule's SqlParseException text.

The grammar follows the IoT SQL reference: SELECT [VALUE] items, FROM 'topic/filter' (single quotes
only, as the FROM page requires), WHERE; operators by precedence (OR < AND < NOT < comparison, IN and CONTAINS <
+ - < * / % < unary minus < `.name` and `[index]` postfixes); CASE (the documented `CASE v WHEN`
form and the searched `CASE WHEN cond` form); cast(x AS Type); object and array literals; nested
`(SELECT ... FROM path WHERE ...)` queries; `*` as a function argument (`encode(*, 'base64')`).
Keywords and function names are case-insensitive; strings take single or double quotes with
backslash escapes. Version rules (what 2015-10-08 lacks) are checked by the compiler, not here.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from headwater.services.iot.rules.contracts import SqlError

_GRAMMAR = r"""
start: statement

statement: SELECT select_body from_clause? where_clause?
?select_body: VALUE expr            -> select_value
            | select_item ("," select_item)* -> select_items
?select_item: STAR                  -> star_item
            | expr (AS alias)?      -> expr_item
alias: alias_name ("." alias_name)*
// AWS's own examples alias to keywords (`AS value`); after AS or a dot a keyword is a name.
?alias_name: NAME | VALUE | SELECT | AND | OR | NOT | CASE | WHEN | THEN | ELSE | END | CAST | TRUE | FALSE | NULL
           | IN | CONTAINS
?member_name: alias_name | FROM | WHERE | AS
from_clause: FROM SQ_STRING
where_clause: WHERE expr

?expr: or_expr
?or_expr: and_expr | or_expr OR and_expr            -> or_
?and_expr: not_expr | and_expr AND not_expr         -> and_
?not_expr: cmp_expr | NOT not_expr                  -> not_
?cmp_expr: add_expr | add_expr (CMP_OP | IN | CONTAINS) add_expr -> compare
?add_expr: mul_expr | add_expr ADD_OP mul_expr      -> arith
?mul_expr: unary | mul_expr (STAR | SLASH | PERCENT) unary -> arith
?unary: postfix | ADD_OP unary                      -> sign
?postfix: primary
        | postfix "." member_name                   -> member
        | postfix "[" expr "]"                      -> index
?primary: NAME                                      -> field
        | literal
        | NAME "(" [arg ("," arg)*] ")"             -> call
        | CAST "(" expr AS NAME ")"                 -> cast
        | "(" expr ")"
        | "(" SELECT select_body FROM expr where_clause? ")" -> subquery
        | CASE expr when_clause+ else_clause? END   -> case_simple
        | CASE when_clause+ else_clause? END        -> case_searched
        | "{" [pair ("," pair)*] "}"                -> object
        | "[" [expr ("," expr)*] "]"                -> array
?arg: STAR                                          -> star_arg
    | expr
pair: (SQ_STRING | DQ_STRING) ":" expr
when_clause: WHEN expr THEN expr
else_clause: ELSE expr
?literal: INT                                       -> int_lit
        | DECIMAL                                   -> dec_lit
        | SQ_STRING                                 -> str_lit
        | DQ_STRING                                 -> str_lit
        | TRUE                                      -> true_lit
        | FALSE                                     -> false_lit
        | NULL                                      -> null_lit

SELECT: "select"i
VALUE: "value"i
AS: "as"i
FROM: "from"i
WHERE: "where"i
AND: "and"i
OR: "or"i
NOT: "not"i
CASE: "case"i
WHEN: "when"i
THEN: "then"i
ELSE: "else"i
END: "end"i
CAST: "cast"i
IN: "in"i
CONTAINS: "contains"i
TRUE: "true"i
FALSE: "false"i
NULL: "null"i
NAME: /[A-Za-z_][A-Za-z0-9_]*/
DECIMAL: /(\d+\.\d+|\.\d+)([eE][-+]?\d+)?|\d+[eE][-+]?\d+/
INT: /\d+/
SQ_STRING: /'(?:[^'\\]|\\.)*'/s
DQ_STRING: /"(?:[^"\\]|\\.)*"/s
CMP_OP: "<>" | "<=" | ">=" | "=" | "<" | ">"
ADD_OP: "+" | "-"
STAR: "*"
SLASH: "/"
PERCENT: "%"

%ignore /\s+/
"""

# The names the errors use for the terminals, so a message reads like SQL rather than like lark.
_NAMES = {
    "SELECT": "SELECT",
    "VALUE": "VALUE",
    "AS": "AS",
    "FROM": "FROM",
    "WHERE": "WHERE",
    "NAME": "an identifier",
    "SQ_STRING": "a 'quoted' string",
    "DQ_STRING": 'a "quoted" string',
    "INT": "a number",
    "DECIMAL": "a number",
    "CMP_OP": "a comparison",
    "ADD_OP": "'+' or '-'",
    "STAR": "'*'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "$END": "the end of the statement",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # The basic lexer makes keywords reserved everywhere (a contextual lexer would read `FROM` as a
    # field name where a field may stand, and report the error a token later).
    return Lark(_GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=True)


def parse(sql: str) -> Tree[Token]:
    """The statement's tree; SqlError (line:column and what was expected) when it does not parse."""
    try:
        return _parser().parse(sql)
    except UnexpectedInput as error:
        raise SqlError(_describe(sql, error)) from None


def parse_expression(text: str) -> Tree[Token]:
    """A lone expression (a substitution template's `${...}`), parsed as `SELECT VALUE <expr>`."""
    tree = parse(f"SELECT VALUE {text}")
    statement = tree.children[0]
    assert isinstance(statement, Tree)
    body = statement.children[1]
    assert isinstance(body, Tree) and body.data == "select_value"
    return body


def _describe(sql: str, error: UnexpectedInput) -> str:
    line, column = error.line, error.column
    where = f"Line {line}:{column}" if line > 0 else "Line 1:0"
    if isinstance(error, UnexpectedCharacters):
        position = int(getattr(error, "pos_in_stream", 0) or 0)
        char = sql[position] if 0 <= position < len(sql) else ""
        if char in "'\"":
            return f"{where} unterminated string literal"
        return f"{where} unexpected character {char!r}"
    if isinstance(error, UnexpectedEOF):
        return f"{where} the statement ends too early, expecting {_expected(error.expected)}"
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            return (
                f"Line {_last_line(sql)} the statement ends too early, expecting {_expected(error.expected)}"
            )
        return f"{where} unexpected {str(token)!r}, expecting {_expected(error.expected)}"
    return f"{where} {error}"  # pragma: no cover - lark's three kinds are handled above


def _last_line(sql: str) -> str:
    lines = sql.split("\n")
    return f"{len(lines)}:{len(lines[-1]) + 1}"


_EXPRESSION_START = frozenset(
    {"NAME", "INT", "DECIMAL", "SQ_STRING", "DQ_STRING", "TRUE", "FALSE", "NULL", "CASE", "CAST", "LPAR"}
)


def _expected(terminals: Iterable[str]) -> str:
    wanted = {str(name) for name in terminals}
    names: list[str] = []
    if wanted >= _EXPRESSION_START:
        wanted -= _EXPRESSION_START | {"LSQB", "LBRACE", "ADD_OP", "NOT"}
        names.append("an expression")
    names += sorted({_NAMES.get(name, _literal(name)) for name in wanted})
    if len(names) > 5:
        names = names[:5] + ["..."]
    return " or ".join(names) if names else "nothing more"


def _literal(name: str) -> str:
    # lark names anonymous terminals LPAR, RSQB...; keywords are their own names.
    table = {"LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "DOT": "'.'", "COLON": "':'"}
    return table.get(name, name)
