"""The argument-type tables of the "Functions" page (iot-sql-functions): conversions and Undefined."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.iot.rules.sql.support import V1, value

U = b""  # Undefined, serialized by itself
DOC = {"s": "-2.5", "b": True, "arr": [1, 2], "obj": {"k": "v"}, "nul": None, "nan": "x"}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # numbers: Int stays Int, Decimal stays Decimal, numeric strings convert, the rest is Undefined
        ("abs(-2.5)", 2.5),
        ("abs(s)", 2.5),
        ("abs(b)", U),
        ("abs(arr)", U),
        ("abs(nul)", U),
        ("abs(missing)", U),
        ("ceil(s)", -2),
        ("floor(s)", -3),
        ("round(s)", -3),
        ("round(2.5)", 3),
        ("round(7)", 7),
        ("sign(s)", -1),
        ("sign('x')", U),
        ("sqrt(-1)", U),  # imaginary
        ("ln(0)", U),
        ("acos(2)", U),
        ("exp(100000)", U),
        ("power('2', '3')", 8.0),
        ("power(b, 2)", U),
        ("mod(-7, 3)", -1),
        ("mod(7.5, 2)", 1.5),
        ("mod('7', 2)", 1.0),
        ("mod(1, 0)", U),
        ("remainder(arr, 2)", U),
        ("trunc(s, 1)", -2.5),
        ("trunc(-2.58, 1)", -2.5),
        ("trunc(7, 3)", 7),
        ("trunc(1.23456, 99)", 1.23456),
        ("trunc('x', 1)", U),
        ("bitnot(13)", -14),
        ("bitand(13.9, '5')", 5),
        ("bitor('x', 1)", U),
        ("bitxor(b, 1)", U),
        ("chr(65.9)", "A"),
        ("chr('66')", "B"),
        ("chr(300)", U),
        ("chr(-1)", U),
        ("nanvl(missing, 1)", 1),
        ("nanvl(nul, 1)", 1),
        ("nanvl('a', 1)", "a"),
        # strings: the standard conversion to String first
        ("lower(b)", "true"),
        ("upper(obj)", '{"K":"V"}'),
        ("lower(nul)", U),
        ("trim(arr)", "[1,2]"),
        ("ltrim('\t x ')", "x "),
        ("rtrim(' x \t')", " x"),
        ("length('€')", 1),
        ("length(obj)", 9),
        ("length(missing)", U),
        ("numbytes(12)", 2),
        ("lpad('a', -5)", "a"),
        ("lpad('a', 1001)", " " * 1000 + "a"),
        ("rpad('a', '2')", "a  "),
        ("rpad('a', 'x')", U),
        ("lpad(nul, 1)", U),
        ("substring('abc', 'x')", U),
        ("substring('abc', 1, missing)", U),
        ("indexof('abc', 'z')", -1),
        ("indexof(123, 2)", 1),
        ("startswith(12345, 12)", True),
        ("startswith('a', nul)", U),
        ("endswith(missing, 'a')", U),
        ("replace(1212, 1, 'x')", "x2x2"),
        ("replace('a', missing, 'b')", U),
        ("regexp_matches('abc', '[')", U),  # not a valid regex
        ("regexp_replace('a.b', '\\\\.', '$$')", U),  # `$$` is no group
        ("regexp_replace('abc', '(b)', '[$1]')", "a[b]c"),
        ("regexp_replace('abc', 'b', '\\\\$')", "a$c"),
        ("regexp_substr('abc', 'z')", ""),
        ("concat()", U),
        ("concat(1, 2)", U),  # no String and no Array
        ("concat('a', nul)", U),
        ("concat([1], missing)", [1]),
        # collections
        ("get(arr, 0.6)", 2),  # "converted to Int": the nearest
        ("get(arr, 1.6)", U),
        ("get(arr, '1')", 2),
        ("get(arr, 2)", U),
        ("get(arr, -1)", U),
        ("get(obj, 'k')", "v"),
        ("get(obj, 1)", U),
        ("get(5, 0)", U),
        ("transform('other', obj, [obj])", U),
        ("transform('enrichArray', obj, [{'a': 1}, 2])", [{"a": 1, "k": "v"}]),
        # hashes: the standard String conversion, hex digests
        ("sha1('hello')", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("sha256(1)", "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"),
        ("md5(nul)", U),
        # encode/decode
        ("decode('aGk=', 'base64')", "hi"),
        ("decode('eyJhIjoxfQ==', 'base64').a", 1),
        ("decode('!!', 'base64')", None),  # "returns NULL if the string cannot be decoded"
        ("decode('aGk=', 'hex')", U),
        ("encode(obj, 'base64')", "eyJrIjoidiJ9"),
        ("encode(nul, 'base64')", U),
        # time
        ("parse_time('yyyy-MM-dd HH:mm:ss.SSS Z', 1450396800123)", "2015-12-18 00:00:00.123 +0000"),
        (
            "parse_time('EEEE, MMMM d, h:mm a ZZ', 1450396800000, 'America/New_York')",
            "Thursday, December 17, 7:00 PM -05:00",
        ),  # fmt: skip
        ("parse_time('yyyy', 0, 'Nowhere/City')", U),
        ("parse_time('yyyy Q', 0)", U),  # a letter outside the supported set
        ("time_to_epoch('1970-01-01T00:00:01Z', \"yyyy-MM-dd'T'HH:mm:ssX\")", 1000),
        ("time_to_epoch('01/02/2020 03:04 PM', 'MM/dd/yyyy hh:mm a')", 1577977440000),
        ("time_to_epoch('garbage', 'yyyy')", U),
    ],
)
def test_function_tables(expression: str, expected: Any) -> None:
    assert value(expression, DOC) == expected


def test_hashes_of_the_empty_string() -> None:
    assert value("sha224('')", DOC) == "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f"
    assert value("sha512('')", DOC).startswith("cf83e1357eefb8bdf1542850d66d8007")


def test_2016_only_functions_are_unknown_to_2015() -> None:
    for name in ("indexof('a', 'a')", "length('a')", "numbytes('a')", "parse_time('yyyy', 0)"):
        assert value("'ok'", version=V1) == "ok"
        with pytest.raises(Exception, match="not supported by SQL version 2015-10-08"):
            value(name, version=V1)
