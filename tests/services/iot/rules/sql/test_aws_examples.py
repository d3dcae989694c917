"""The examples of AWS's IoT SQL reference (AWS IoT Developer Guide), input and output as published.

Each group names its page: https://docs.aws.amazon.com/iot/latest/developerguide/<page>.html
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.iot.rules.sql.support import NOTHING, V1, run, value

COLOR = {"color": "red", "temperature": 50}
SENML = {
    "e": [
        {"n": "temperature", "u": "Cel", "t": 1234, "v": 22.5},
        {"n": "light", "u": "lm", "t": 1235, "v": 135},
        {"n": "acidity", "u": "pH", "t": 1235, "v": 7},
    ]
}
DEVICE = {
    "deviceid": "iot123",
    "temp": 54.98,
    "humidity": 32.43,
    "coords": {"latitude": 47.615694, "longitude": -122.3359976},
}
TRANSFORM = {"attributes": {"data1": 1, "data2": 2}, "values": [{"a": 3}, {"b": 4}, {"c": 5}]}

# (page, sql, payload, expected output)
STATEMENTS: list[tuple[str, str, Any, Any]] = [
    # iot-sql-select
    ("iot-sql-select", "SELECT * FROM 'topic/subtopic'", COLOR, COLOR),
    ("iot-sql-select", "SELECT color FROM 'topic/subtopic'", COLOR, {"color": "red"}),
    ("iot-sql-select", "SELECT color AS my_color FROM 'topic/subtopic'", COLOR, {"my_color": "red"}),
    (
        "iot-sql-select",
        "SELECT color as my_color, temperature as fahrenheit FROM 'topic/subtopic'",
        COLOR,
        {"my_color": "red", "fahrenheit": 50},
    ),
    ("iot-sql-select", "SELECT *, 15 as speed FROM 'topic/subtopic'", COLOR, {**COLOR, "speed": 15}),
    ("iot-sql-select", "SELECT VALUE color FROM 'topic/subtopic'", COLOR, "red"),
    (
        "iot-sql-select",
        "SELECT color.red as red_value FROM 'topic/subtopic'",
        {"color": {"red": 255, "green": 0, "blue": 0}, "temperature": 50},
        {"red_value": 255},
    ),
    (
        "iot-sql-select",
        "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'topic/subtopic'",
        COLOR,
        {"celsius": 10, "my_color": "RED"},
    ),
    # iot-sql-reference
    (
        "iot-sql-reference",
        "SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50",
        {"color": "red", "temperature": 100},
        {"rgb": "red"},
    ),
    # iot-sql-where
    (
        "iot-sql-where",
        "SELECT color AS my_color FROM 'topic/subtopic' WHERE temperature > 50 AND color <> 'red'",
        {"color": "red", "temperature": 40},
        NOTHING,
    ),
    (
        "iot-sql-where",
        "SELECT decode(encode(*, 'base64'), 'base64') AS value FROM 'topic/subtopic' "
        "WHERE decode(encode(*, 'base64'), 'base64') > 50",
        b"80",
        {"value": 80},
    ),
    # iot-sql-from
    ("iot-sql-from", "SELECT temperature AS t FROM 'topic/subtopic'", {"temperature": 50}, {"t": 50}),
    # iot-rule-sql-version
    (
        "iot-rule-sql-version",
        "SELECT VALUE arr FROM 'topic'",
        {"a": {"b": "c"}, "arr": [1, 2, 3, 4]},
        [1, 2, 3, 4],
    ),
    # iot-sql-json
    (
        "iot-sql-json",
        "SELECT foo.bar AS bar.baz FROM 'topic/subtopic'",
        {"foo": {"bar": "RED", "bar1": "GREEN", "bar2": "BLUE"}},
        {"bar": {"baz": "RED"}},
    ),
    (
        "iot-sql-json",
        """SELECT * from 'iot/rules' WHERE get(get(get(mydata,"item2"),"0"),"my-key") = "myValue\"""",
        {"mydata": {"item2": {"0": {"my-key": "myValue"}}}},
        {"mydata": {"item2": {"0": {"my-key": "myValue"}}}},
    ),
    (
        "iot-sql-json",
        "SELECT temp, md5(deviceid) AS hashed_id FROM 'topic/#'",
        DEVICE,
        {"temp": 54.98, "hashed_id": "e37f81fb397e595c4aeb5645b8cbbbd1"},
    ),
    # iot-sql-literals
    (
        "iot-sql-literals",
        "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long FROM 'topic/subtopic'",
        {"lat_long": [47.606, -122.332]},
        {"lat_long": {"latitude": 47.606, "longitude": -122.332}},
    ),
    (
        "iot-sql-literals",
        "SELECT [lat,long] as lat_long FROM 'topic/subtopic'",
        {"lat": 47.606, "long": -122.332},
        {"lat_long": [47.606, -122.332]},
    ),
    # iot-sql-nested-queries
    (
        "iot-sql-nested-queries",
        "SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'",
        SENML,
        {"sensors": ["temperature", "light", "acidity"]},
    ),  # fmt: skip
    (
        "iot-sql-nested-queries",
        "SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'my/topic'",
        SENML,
        {"temperature": [{"v": 22.5}]},
    ),  # fmt: skip
    (
        "iot-sql-nested-queries",
        "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature FROM 'topic'",
        SENML,
        {"temperature": 22.5},
    ),  # fmt: skip
    # iot-sql-case
    (
        "iot-sql-case",
        "SELECT CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' WHEN 'red' THEN 'stop' "
        "ELSE 'you are not at a stop light' END as instructions FROM 'topic/subtopic'",
        {"color": "yellow"},
        {"instructions": "caution"},
    ),
    # iot-data-types
    ("iot-sql-data-types", "SELECT NULL AS n FROM 'topic/subtopic'", {}, {"n": None}),
    # iot-sql-functions: transform
    (
        "iot-sql-functions",
        "select value transform(\"enrichArray\", attributes, values) from 'A/B'",
        TRANSFORM,
        [
            {"a": 3, "data1": 1, "data2": 2},
            {"b": 4, "data1": 1, "data2": 2},
            {"c": 5, "data1": 1, "data2": 2},
        ],
    ),  # fmt: skip
    (
        "iot-sql-functions",
        'select value transform("enrichArray", {"key": attributes.data1}, values) from \'A/B\'',
        TRANSFORM,
        [{"a": 3, "key": 1}, {"b": 4, "key": 1}, {"c": 5, "key": 1}],
    ),  # fmt: skip
    (
        "iot-sql-functions",
        "select value transform('enrichArray', (select a, b from data2), (select value c from data2)) from 'A/B'",
        {
            "data1": "example",
            "data2": {
                "a": "first attribute",
                "b": "second attribute",
                "c": [{"x": {"someInt": 5}, "y": True}, {"x": {"someInt": 10}, "y": False}],
            },
        },
        [
            {"x": {"someInt": 5}, "y": True, "a": "first attribute", "b": "second attribute"},
            {"x": {"someInt": 10}, "y": False, "a": "first attribute", "b": "second attribute"},
        ],
    ),  # fmt: skip
    # iot-sql-functions: decode
    (
        "iot-sql-functions",
        "SELECT decode(encoded_temp,\"base64\").temperature AS temp from 'topic/subtopic'",
        {"encoded_temp": "eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg=="},
        {"temp": 33},
    ),
    # iot-sql-functions: parse_time
    (
        "iot-sql-functions",
        "SELECT parse_time(\"yyyy.MM.dd G 'at' HH:mm:ss z\", 100000000, 'America/Belize' ) as ts FROM 'A/B'",
        {},
        {"ts": "1970.01.01 AD at 21:46:40 CST"},
    ),
]


@pytest.mark.parametrize(
    ("page", "sql", "payload", "expected"), STATEMENTS, ids=[f"{s[0]}:{s[1][:50]}" for s in STATEMENTS]
)
def test_documented_statement(page: str, sql: str, payload: Any, expected: Any) -> None:
    assert run(sql, payload) == expected


# (page, expression, expected value) from the "Functions" page (iot-sql-functions) and its tables
FUNCTIONS: list[tuple[str, Any]] = [
    ("abs(-5)", 5),
    ("acos(0)", 1.5707963267948966),
    ("asin(0)", 0.0),
    ("atan(0)", 0.0),
    ("atan2(1, 0)", 1.5707963267948966),
    ("bitand(13, 5)", 5),
    ("bitor(8, 5)", 13),
    ("bitxor(13, 5)", 8),
    ("cast(true as Int)", 1),
    ("ceil(1.2)", 2),
    ("ceil(-1.2)", -1),
    ("chr(65)", "A"),
    ("chr(49)", "1"),
    ("concat(1)", 1),
    ("concat([1, 2, 3], 4)", [1, 2, 3, 4]),
    ('concat([1, 2, 3], "hello")', [1, 2, 3, "hello"]),
    ('concat("con", "cat")', "concat"),
    ('concat(1, "hello")', "1hello"),
    ('concat("he","is","man")', "heisman"),
    ('concat([1, 2, 3], "hello", [4, 5, 6])', [1, 2, 3, "hello", 4, 5, 6]),
    ("cos(0)", 1.0),
    ("cosh(2.3)", 5.037220649268761),
    ('endswith("cat","at")', True),
    ("exp(1)", 2.718281828459045),
    ("floor(1.2)", 1),
    ("floor(-1.2)", -2),
    ('get(["a", "b", "c"], 1)', "b"),
    ('get({"a":"b"}, "a")', "b"),
    ('get("abc", 1)', "b"),
    ('md5("hello")', "5d41402abc4b2a76b9719d911017c592"),
    ('indexof("abcd", "bc")', 1),
    ("isNull(5)", False),
    ("isNull(Null)", True),
    ("isUndefined(5)", False),
    ("isUndefined(floor([1,2,3]))", True),
    ('length("hi")', 2),
    ("length(false)", 5),
    ("log(100)", 2.0),
    ('lower("HELLO")', "hello"),
    ('lower(["HELLO"])', '["hello"]'),
    ('lpad("hello", 2)', "  hello"),
    ("lpad(1, 3)", "   1"),
    ('Ltrim(" h i ")', "h i "),
    ("mod(8, 3)", 2),
    ("Nanvl(8, 3)", 8),
    ('numbytes("hi")', 2),
    ('numbytes("€")', 3),
    ("power(2, 5)", 32.0),
    ('regexp_matches("aaaa", "a{2,}")', True),
    ('regexp_matches("aaaa", "b")', False),
    ('regexp_replace("abcd", "bc", "x")', "axd"),
    ('regexp_replace("abcd", "b(.*)d", "$1")', "ac"),
    ('regexp_substr("hihihello", "hi")', "hi"),
    ('regexp_substr("hihihello", "(hi)*")', "hihi"),
    ("remainder(8, 3)", 2),
    ('replace("abcd", "bc", "x")', "axd"),
    ('replace("abcdabcd", "b", "x")', "axcdaxcd"),
    ('rpad("hello", 2)', "hello  "),
    ("rpad(1, 3)", "1   "),
    ("Round(1.2)", 1),
    ("Round(1.5)", 2),
    ("Round(1.7)", 2),
    ("Round(-1.1)", -1),
    ("Round(-1.5)", -2),
    ('rtrim(" h i ")', " h i"),
    ("sign(-7)", -1),
    ("sign(0)", 0),
    ("sign(13)", 1),
    ("sin(0)", 0.0),
    ("sinh(2.3)", 4.936961805545957),
    ('substring("012345", 0)', "012345"),
    ('substring("012345", 2)', "2345"),
    ('substring("012345", 2.745)', "2345"),
    ("substring(123, 2)", "3"),
    ('substring("012345", -1)', "012345"),
    ("substring(true, 1.2)", "rue"),
    ("substring(false, -2.411E247)", "false"),
    ('substring("012345", 1, 3)', "12"),
    ('substring("012345", -50, 50)', "012345"),
    ('substring("012345", 3, 1)', ""),
    ("sql_version()", "2016-03-23"),
    ("sqrt(9)", 3.0),
    ('startswith("ranger","ran")', True),
    ("tan(3)", -0.1425465430742778),
    ("tanh(2.3)", 0.9800963962661914),
    ('time_to_epoch("2020-04-03 09:45:18 UTC+01:00", "yyyy-MM-dd HH:mm:ss VV")', 1585903518000),
    ('time_to_epoch("18 December 2015", "dd MMMM yyyy")', 1450396800000),
    (
        'time_to_epoch("2007-12-03 10:15:30.592 America/Los_Angeles", "yyyy-MM-dd HH:mm:ss.SSS z")',
        1196705730592,
    ),
    ("timestamp()", 1481825251155),
    ("accountid()", "123456789012"),
    ('Trim(" hi ")', "hi"),
    ("trunc(2.3, 0)", 2),
    ("trunc(2.3123, 2)", 2.31),
    ("trunc(2.888, 2)", 2.88),
    ("trunc(2.00, 5)", 2),
    ('upper("hello")', "HELLO"),
    ('upper(["hello"])', '["HELLO"]'),
    ('abs("-5.123")', 5.123),  # iot-sql-data-types: "abs("-5.123") is treated as abs(-5.123)"
]


@pytest.mark.parametrize(("expression", "expected"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_documented_function(expression: str, expected: Any) -> None:
    assert value(expression) == expected


def test_documented_topic_functions() -> None:
    # iot-sql-functions, topic(): Basic Ingest's `$aws/rules/<rule>/` is removed before SQL sees the topic
    topic = "Buildings/Building5/Floor2/Room201/Lights"
    assert value("topic()", topic=topic) == topic
    assert value("topic(3)", topic=topic) == "Floor2"
    assert value("topic(1)", topic="things/myThings/thingOne") == "things"


def test_documented_version_notes() -> None:
    # iot-sql-data-types: with 2016-03-23 a whole-number Decimal (10.0) is processed as the Int 10
    assert run("SELECT a FROM 't'", b'{"a": 10.0}') == {"a": 10}
    assert isinstance(run("SELECT * FROM 't'", b'{"a": [10.0, 1e1, 1.5], "b": "1.0"}')["a"][0], int)
    assert run("SELECT * FROM 't'", b'{"a": [10.0, 1e1, 1.5], "b": "1.0"}') == {
        "a": [10, 10, 1.5],
        "b": "1.0",
    }
    assert run("SELECT a FROM 't'", b'{"a": 10.0}', V1) == {"a": 10.0}
    assert isinstance(run("SELECT a FROM 't'", b'{"a": 10.0}', V1)["a"], float)
    # iot-sql-functions, cast(): Decimal and Boolean are 2016-03-23 keywords
    assert value("cast(1 as Boolean)") is True
    assert value("cast('10.0' as Decimal)") == 10
