"""The CloudWatch Logs filter-pattern language: a small lexer and a recursive-descent parser.

Theory of operation
-------------------
A pattern's first significant character picks one of three grammars:

* ``{ ... }`` is a JSON pattern: a boolean expression over selectors of the event's JSON body::

      expr  := and ("||" and)*
      and   := atom ("&&" atom)*
      atom  := "(" expr ")" | test
      test  := selector ("=" | "!=" | "<" | "<=" | ">" | ">=") value
             | selector "IS" ("TRUE" | "FALSE" | "NULL") | selector "NOT" "EXISTS"
      selector := "$" ("." name | "[" index "]")*

* ``[ ... ]`` is a space-delimited pattern: comma-separated fields, each a name (optionally
  followed by conditions on named fields, the same `expr` with bare names for selectors) or
  ``...``, which stands for any number of fields.
* anything else is a list of terms: words or "quoted phrases" that must all occur, ``-term`` that
  must not, ``?term`` of which at least one must (when any is given), ``%regex%`` terms. An empty
  pattern matches every event.

The lexer makes one token stream for the two structured grammars (strings, words, operators,
brackets); values keep whether they were quoted, so ``= 200`` compares numbers where ``= "200"``
compares text. ``*`` in a text value is a wildcard. `PatternError` carries what was wrong;
the service answers it as InvalidParameterException. Evaluation lives in `matching.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPERATORS = ("&&", "||", "!=", "<=", ">=", "=", "<", ">")
_PUNCT = "(){}[],"
_WORD_END = set(' \t\r\n"(){}[],=!<>&|')


class PatternError(ValueError):
    """A filter pattern that does not parse."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "str" (quoted), "word", "op", or a punctuation character
    text: str


@dataclass(frozen=True, slots=True)
class Value:
    text: str
    quoted: bool

    def number(self) -> float | None:
        if self.quoted:
            return None
        try:
            return float(self.text)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Test:
    path: tuple[str | int, ...] | str  # a JSON selector's steps, or a space-delimited field's name
    op: str  # an operator, or "IS TRUE", "IS FALSE", "IS NULL", "NOT EXISTS"
    value: Value | None = None


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "&&" or "||"
    left: Expr
    right: Expr


Expr = Test | BoolOp


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    kind: str  # "all", "not", "any"
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class JsonPattern:
    expr: Expr


@dataclass(frozen=True, slots=True)
class Delimited:
    fields: tuple[str | None, ...]  # None stands for "..."
    conditions: tuple[Expr, ...]


Pattern = Terms | JsonPattern | Delimited


def parse(text: str) -> Pattern:
    stripped = text.strip()
    if stripped.startswith("{"):
        return _Parser(lex(stripped)).json()
    if stripped.startswith("["):
        return _Parser(lex(stripped)).delimited()
    return Terms(tuple(_terms(stripped)))


def lex(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == '"':
            end, value = _quoted(text, i)
            tokens.append(Token("str", value))
            i = end
        elif char in _PUNCT:
            tokens.append(Token(char, char))
            i += 1
        elif op := next((op for op in OPERATORS if text.startswith(op, i)), None):
            tokens.append(Token("op", op))
            i += len(op)
        else:
            start = i
            selector_word = char == "$"  # a JSON selector keeps its [index] steps
            while i < len(text) and (text[i] not in _WORD_END or (selector_word and text[i] in "[]")):
                i += 1
            if i == start:
                raise PatternError(f"Invalid character(s) in term '{text[i:]}'")
            tokens.append(Token("word", text[start:i]))
    return tokens


def _quoted(text: str, start: int) -> tuple[int, str]:
    out, i = [], start + 1
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif text[i] == '"':
            return i + 1, "".join(out)
        else:
            out.append(text[i])
            i += 1
    raise PatternError("Unterminated quoted string in the filter pattern")


def _terms(text: str) -> list[Term]:
    terms: list[Term] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        kind = {"-": "not", "?": "any"}.get(text[i], "all")
        if kind != "all":
            i += 1
        if i < len(text) and text[i] == '"':
            i, value = _quoted(text, i)
        elif i < len(text) and text[i] == "%":
            end = text.find("%", i + 1)
            if end < 0:
                raise PatternError("Unterminated regular expression in the filter pattern")
            try:
                terms.append(Term(text[i + 1 : end], kind, re.compile(text[i + 1 : end])))
            except re.error as error:
                raise PatternError(f"Invalid regular expression: {error}") from None
            i = end + 1
            continue
        else:
            start = i
            while i < len(text) and not text[i].isspace():
                i += 1
            value = text[start:i]
        if not value:
            raise PatternError("Empty term in the filter pattern")
        terms.append(Term(value, kind))
    return terms


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> Token:
        token = self.peek()
        if token is None or (kind and token.kind != kind) or (text and token.text != text):
            wanted = text or kind or "more"
            found = token.text if token else "the end of the pattern"
            raise PatternError(f"Expected {wanted} but found {found}")
        self.at += 1
        return token

    def done(self) -> None:
        if self.peek() is not None:
            raise PatternError(f"Unexpected '{self.tokens[self.at].text}' in the filter pattern")

    def json(self) -> JsonPattern:
        self.take("{")
        expr = self.expr(json=True)
        self.take("}")
        self.done()
        return JsonPattern(expr)

    def delimited(self) -> Delimited:
        self.take("[")
        fields: list[str | None] = []
        conditions: list[Expr] = []
        while True:
            name = self.take("word").text
            if name == "...":
                fields.append(None)
            else:
                fields.append(name)
                token = self.peek()
                if token is not None and token.kind == "op":
                    self.at -= 1  # the field's name starts its first condition
                    conditions.append(self.expr(json=False))
            if self.take().kind == "]":
                break
            if self.tokens[self.at - 1].kind != ",":
                raise PatternError("Fields of a space-delimited pattern are separated by commas")
        self.done()
        return Delimited(tuple(fields), tuple(conditions))

    def expr(self, *, json: bool) -> Expr:
        left = self.conjunction(json=json)
        while (token := self.peek()) is not None and token.text == "||":
            self.at += 1
            left = BoolOp("||", left, self.conjunction(json=json))
        return left

    def conjunction(self, *, json: bool) -> Expr:
        left = self.atom(json=json)
        while (token := self.peek()) is not None and token.text == "&&":
            self.at += 1
            left = BoolOp("&&", left, self.atom(json=json))
        return left

    def atom(self, *, json: bool) -> Expr:
        token = self.peek()
        if token is not None and token.kind == "(":
            self.at += 1
            inner = self.expr(json=json)
            self.take(")")
            return inner
        word = self.take("word").text
        path: tuple[str | int, ...] | str = selector(word) if json else word
        nxt = self.take()
        if nxt.kind == "word" and nxt.text.upper() == "IS":
            what = self.take("word").text.upper()
            if what not in ("TRUE", "FALSE", "NULL"):
                raise PatternError(f"Expected TRUE, FALSE or NULL after IS, found {what}")
            return Test(path, f"IS {what}")
        if nxt.kind == "word" and nxt.text.upper() == "NOT":
            self.take("word", None)
            if self.tokens[self.at - 1].text.upper() != "EXISTS":
                raise PatternError("Expected EXISTS after NOT")
            return Test(path, "NOT EXISTS")
        if nxt.kind != "op" or nxt.text in ("&&", "||"):
            raise PatternError(f"Expected a comparison after {word}")
        value_token = self.take()
        if value_token.kind not in ("str", "word"):
            raise PatternError(f"Expected a value after {word} {nxt.text}")
        value = Value(value_token.text, value_token.kind == "str")
        if nxt.text not in ("=", "!=") and value.number() is None:
            raise PatternError(f"{nxt.text} compares numbers, not '{value.text}'")
        return Test(path, nxt.text, value)


_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def selector(text: str) -> tuple[str | int, ...]:
    """``$.a.b[0]`` -> ("a", "b", 0)."""
    if not text.startswith("$"):
        raise PatternError(f"A JSON selector starts with $: '{text}'")
    steps: list[str | int] = []
    at = 1
    while at < len(text):
        match = _STEP.match(text, at)
        if match is None:
            raise PatternError(f"Invalid JSON selector '{text}'")
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        at = match.end()
    return tuple(steps)
