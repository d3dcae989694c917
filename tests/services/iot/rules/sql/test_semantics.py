"""Undefined, the operator tables and the conversions (pages iot-sql-data-types, iot-sql-operators)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.iot.rules.sql.support import NOTHING, run, value

DOC = {"foo": None, "n": 5, "d": 2.5, "s": "abc", "num": "7", "t": "TRUE", "arr": [1, 2], "obj": {"k": 1}}


def test_missing_keys_are_undefined_and_dropped_from_the_output() -> None:
    # iot-sql-data-types: {"foo": null, "bar": undefined} serializes as {"foo": null}
    assert run("SELECT foo, bar FROM 't'", DOC) == {"foo": None}
    assert run("SELECT bar FROM 't'", DOC) == {}
    assert run("SELECT a.b.c AS x, arr[5] AS y, arr[0] AS z FROM 't'", DOC) == {"z": 1}
    assert run("SELECT {'a': bar, 'b': 1} AS o, [bar, 2] AS l FROM 't'", DOC) == {"o": {"b": 1}, "l": [2]}


def test_undefined_by_itself_serializes_as_nothing() -> None:
    assert value("bar", DOC) == b""
    assert value("isUndefined(bar)", DOC) is True
    assert value("isNull(foo)", DOC) is True
    assert value("isNull(bar)", DOC) is False


def test_undefined_in_where_does_not_trigger() -> None:
    assert run("SELECT n FROM 't' WHERE bar > 1", DOC) is NOTHING
    assert run("SELECT n FROM 't' WHERE bar = 1", DOC) is NOTHING
    assert run("SELECT n FROM 't' WHERE NOT (bar = 1)", DOC) is NOTHING
    assert run("SELECT n FROM 't' WHERE bar <> 1", DOC) is NOTHING
    assert run("SELECT n FROM 't' WHERE isUndefined(bar)", DOC) == {"n": 5}
    assert run("SELECT n FROM 't' WHERE n = 5 AND t", DOC) == {"n": 5}  # "TRUE" converts to true


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # = and <> (iot-sql-operators)
        ("n = 5", True),
        ("n = 5.0", True),  # Int converts to Decimal
        ("n = '5'", False),  # mismatched types
        ("n <> '5'", True),
        ("s = 'abc'", True),
        ("arr = [1, 2]", True),
        ("arr = [2, 1]", False),
        ("obj = {'k': 1}", True),
        ("foo = null", True),
        ("foo <> null", False),
        ("true = 1", False),
        ("bar = bar", b""),
        ("n <> bar", b""),
        # ordering converts numeric strings to Decimal
        ("num > 6", True),
        ("num < '10'", True),
        ("s > 1", b""),
        ("true > 0", b""),
        ("foo > 1", b""),
        # + concatenates once a side is a String
        ("s + 1", "abc1"),
        ("1 + s", "1abc"),
        ("s + arr", "abc[1,2]"),
        ("s + foo", b""),
        ("n + 1", 6),
        ("n + d", 7.5),
        ("n + true", b""),
        ("num + 1", "71"),
        # - * / % convert numeric strings, Int op Int stays Int
        ("num - 1", 6),  # 6.0 from the string, an Int again under 2016-03-23
        ("n * 2", 10),
        ("n / 2", 2),
        ("-7 / 2", -3),  # truncates toward zero
        ("n / 2.0", 2),  # 2016-03-23 reads the whole-number 2.0 as the Int 2 (iot-sql-data-types)
        ("n / 2.5", 2.0),
        ("n / 0", b""),
        ("n % 3", 2),
        ("-7 % 3", -1),  # the sign of the dividend
        ("d % 2", 0.5),
        ("s - 1", b""),
        ("arr * 2", b""),
        ("-s", b""),
        ("-num", -7),
        # AND / OR / NOT take Booleans or "true"/"false" strings
        ("true AND 'TRUE'", True),
        ("true AND false", False),
        ("false OR 'true'", True),
        ("true AND 1", b""),
        ("false OR bar", b""),
        ("NOT 'false'", True),
        ("NOT 0", b""),
        # CASE: an Undefined subject is Undefined; no match and no ELSE is Undefined
        ("CASE bar WHEN 1 THEN 2 ELSE 3 END", b""),
        ("CASE n WHEN 1 THEN 'one' END", b""),
        ("CASE n WHEN 5.0 THEN 'five' END", "five"),
        ("CASE WHEN n > 4 THEN 'big' ELSE 'small' END", "big"),
        # IN and CONTAINS (the Operators page's newer sections)
        ("n IN [1, 5]", True),
        ("'5' IN [1, 5]", False),
        ("obj in [{'k': 1}]", True),
        ("n IN arr", False),
        ("bar IN [1]", b""),
        ("n IN 5", b""),
        ("arr CONTAINS 2", True),
        ("s contains 'bc'", True),
        ("s CONTAINS 'x'", False),
        ("n CONTAINS 5", b""),
        ("NOT n IN [1]", True),
        # precedence
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("NOT n = 5 OR true", True),
        ("1 < 2 AND 2 < 3", True),
    ],
)
def test_operator_tables(expression: str, expected: Any) -> None:
    assert value(expression, DOC) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cast('12.7' AS Int)", 12),
        ("cast(-1.5 AS Int)", -2),  # "rounded down"
        ("cast(false AS Int)", 0),
        ("cast(null AS Int)", b""),
        ("cast(arr AS Int)", b""),
        ("cast(3 AS Double)", 3.0),
        ("cast(true AS Double)", 1.0),
        ("cast('x' AS Double)", b""),
        ("cast(2.5 AS String)", "2.5"),
        ("cast(true AS varchar)", "true"),
        ("cast(obj AS Text)", '{"k":1}'),
        ("cast(null AS String)", b""),
        ("cast(0 AS Bool)", False),
        ("cast(0.1 AS Boolean)", True),
        ("cast('FALSE' AS Boolean)", False),
        ("cast('yes' AS Boolean)", b""),
        ("cast('5E-12' AS Decimal)", 5e-12),
        ("cast('+5' AS Decimal)", b""),  # the documented pattern has no '+'
        ("cast('.5' AS Decimal)", b""),
    ],
)
def test_cast(expression: str, expected: Any) -> None:
    assert value(expression, DOC) == expected


def test_string_literals_and_escapes() -> None:
    assert value(r"'it\'s'") == "it's"
    assert value(r'"a\"b"') == 'a"b'
    assert value(r"'tab\there'") == "tab\there"
    assert value(r"'\u00e9'") == "é"
    assert value("'multi\nline'") == "multi\nline"


def test_keywords_and_functions_are_case_insensitive() -> None:
    assert run("select UPPER(s) as U from 't' where n = 5 and TRUE", DOC) == {"U": "ABC"}
    assert run("SELECT N FROM 't'", DOC) == {}  # keys are JSON's: case-sensitive
    assert run("SeLeCt VaLuE s FrOm 't'", DOC) == "abc"


def test_unaliased_expressions_are_named_after_the_field_or_function() -> None:
    assert run("SELECT obj.k, topic() FROM 't'", DOC, topic="a/b") == {"k": 1, "topic": "a/b"}


def test_select_star_with_aliases_overrides_and_nests() -> None:
    assert run("SELECT *, n + 1 AS n, 'x' AS meta.source FROM 't'", {"n": 1}) == {
        "n": 2,
        "meta": {"source": "x"},
    }


def test_dotted_aliases_merge_into_payload_objects_without_changing_them() -> None:
    sql = "SELECT *, 'x' AS coords.src, coords.lat AS coords.copy FROM 't'"
    assert run(sql, {"coords": {"lat": 1}}) == {"coords": {"lat": 1, "src": "x", "copy": 1}}


def test_binary_payload() -> None:
    # iot-sql-json: `*` on a payload that is not JSON is the payload's bytes; field access is Undefined
    raw = b"\x00\xffbinary"
    assert run("SELECT * FROM 't'", raw) == raw
    assert run("SELECT a FROM 't'", raw) == {}
    assert run("SELECT encode(*, 'base64') AS data FROM 't'", raw) == {"data": "AP9iaW5hcnk="}
    assert run("SELECT *, 1 AS one FROM 't'", raw) == {"one": 1}
    assert run("SELECT * FROM 't'", b"") == b""


def test_encode_star_of_a_json_payload_encodes_its_bytes() -> None:
    payload = b'{"a": 1}'
    assert value("encode(*, 'base64')", payload) == "eyJhIjogMX0="
    assert value("encode(a, 'base64')", payload) == "MQ=="
    assert value("encode(a, 'hex')", payload) == b""


def test_nested_query_over_an_object_and_nothing() -> None:
    doc = {"o": {"a": 1, "b": 2}, "l": [{"a": 1}, 3, {"a": 2}]}
    assert value("(SELECT a FROM o)", doc) == {"a": 1}
    assert value("(SELECT a FROM o WHERE b = 3)", doc) == b""
    assert value("(SELECT VALUE a FROM l)", doc) == [1, 2]
    assert value("(SELECT * FROM l WHERE a > 1)", doc) == [{"a": 2}]
    assert value("(SELECT a FROM missing)", doc) == b""


def test_64_bit_integers_survive() -> None:
    # (AWS keeps 34 digits; orjson reads integers beyond 64 bits as doubles)
    assert run("SELECT big, big + 0 AS same FROM 't'", b'{"big": 9223372036854775807}') == {
        "big": 9223372036854775807,
        "same": 9223372036854775807,
    }


def test_division_in_2015_keeps_decimals() -> None:
    assert value("5 / 2.0", version="2015-10-08") == 2.5
