"""Whatever text a CreateTopicRule carries, compiling it raises SqlError or nothing, and a compiled
statement evaluates any payload without raising."""

from __future__ import annotations

import contextlib

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.services.iot.rules.contracts import SqlEnvironment, SqlError
from headwater.services.iot.rules.sql import check_template, compile_statement
from tests.services.iot.rules.sql.support import message

TOKENS = [
    "SELECT", "VALUE", "*", ",", "AS", "FROM", "WHERE", "AND", "OR", "NOT", "CASE", "WHEN", "THEN", "ELSE",
    "END", "IN", "CONTAINS", "cast", "(", ")", "[", "]", "{", "}", ".", ":", "=", "<>", "<", ">=", "+", "-", "/", "%",
    "'t/#'", "'a'", '"b"', "'", '"', "a", "b.c", "e", "0", "1", "2.5", "1e3", "-7", "null", "true", "Int",
    "Boolean", "topic", "get", "concat", "substring", "encode", "decode", "upper", "cast", "abs",
    "regexp_replace", "transform", "'base64'", "'enrichArray'", "\\", "\n", "$", "${", "#",
]  # fmt: skip

SQLISH = st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join)
PAYLOADS = st.one_of(
    st.just(b'{"a": 1, "b": {"c": [1, "x", null]}, "e": [{"v": 1}, {"v": "2"}], "t": "true"}'),
    st.binary(max_size=40),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats(allow_nan=False)
        | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abce"), inner, max_size=3)
        ),
        max_leaves=8,
    ).map(orjson.dumps),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(
    sql=st.one_of(SQLISH, st.text(max_size=60)),
    payload=PAYLOADS,
    version=st.sampled_from(["2015-10-08", "2016-03-23"]),
)
def test_random_sql_raises_only_sql_errors(sql: str, payload: bytes, version: str) -> None:
    try:
        compiled = compile_statement(sql, version)
    except SqlError:
        return
    result = compiled.evaluate(message(payload, topic="t/x"), SqlEnvironment())
    if result is not None:
        assert isinstance(result.payload(), bytes)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(expression=SQLISH, payload=PAYLOADS)
def test_random_expressions_in_select_evaluate_without_raising(expression: str, payload: bytes) -> None:
    try:
        compiled = compile_statement(f"SELECT {expression} AS x, * FROM 't/#' WHERE {expression} OR true")
    except SqlError:
        return
    result = compiled.evaluate(message(payload, topic="t/x"), SqlEnvironment())
    if result is not None:
        result.payload()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(text=st.text(alphabet="${}'\"ab.()+ ", max_size=30))
def test_random_templates_raise_only_sql_errors(text: str) -> None:
    with contextlib.suppress(SqlError):
        check_template(text)
