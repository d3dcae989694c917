"""Versions, FROM filters, parse errors and the functions that reach outside the message."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.protocol.mqtt.packets import Properties
from headwater.services.iot.rules.contracts import SqlEnvironment, SqlError
from headwater.services.iot.rules.sql import compile_statement
from tests.services.iot.rules.sql.support import V1, V2, message, run, value

# -- versions (iot-rule-sql-version) -------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT {'a': 1} AS o FROM 't'",
        "SELECT [1, 2] AS l FROM 't'",
        "SELECT (SELECT v FROM e) AS x FROM 't'",
        "SELECT encode(*, 'base64') AS x FROM 't'",
        "SELECT isUndefined(a) AS x FROM 't'",
        "SELECT cast(a AS Boolean) AS x FROM 't'",
        "SELECT cast(a AS Decimal) AS x FROM 't'",
        "SELECT get_thing_shadow('t', 'arn') AS x FROM 't'",
    ],
)
def test_2016_features_are_refused_by_2015(sql: str) -> None:
    compile_statement(sql, V2)
    compile_statement(sql, "beta")
    with pytest.raises(SqlError, match="2015-10-08"):
        compile_statement(sql, V1)


def test_2015_select_value_and_core_functions() -> None:
    assert run("SELECT VALUE color FROM 't'", {"color": "red"}, V1) == "red"
    assert value("sql_version()", version=V1) == "2015-10-08"
    assert value("sql_version()", version="beta") == "beta"
    assert value("cast(2.0 AS Double)", version=V1) == 2.0
    assert run("SELECT a + 0.0 AS a FROM 't'", {"a": 2}, V1) == {"a": 2.0}


def test_unknown_version() -> None:
    with pytest.raises(SqlError, match="Unsupported SQL version"):
        compile_statement("SELECT * FROM 't'", "2020-01-01")


# -- FROM (iot-sql-from, topics: `sensor/#` does not receive `sensor`) ---------------------------


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("topic/subtopic", "topic/subtopic", True),
        ("topic/subtopic", "topic/subtopic-2", False),
        ("topic/#", "topic/subtopic", True),
        ("topic/#", "topic/subtopic-3/details", True),
        ("topic/#", "topic-2/subtopic-x", False),
        ("topic/#", "topic", False),
        ("topic/+", "topic/subtopic", True),
        ("topic/+", "topic/subtopic-3/details", False),
        ("#", "$aws/things/x/shadow/update", False),
        ("$aws/things/+/shadow/update/accepted", "$aws/things/lamp/shadow/update/accepted", True),
    ],
)
def test_from_matches_topics(topic_filter: str, topic: str, expected: bool) -> None:
    compiled = compile_statement(f"SELECT * FROM '{topic_filter}'")
    assert compiled.topic_filter == topic_filter
    assert compiled.matches(topic) is expected


def test_no_from_is_basic_ingest_only() -> None:
    compiled = compile_statement("SELECT *")
    assert compiled.topic_filter is None
    assert compiled.matches("a/b") is False
    assert run("SELECT a", {"a": 1}) == {"a": 1}


@pytest.mark.parametrize("bad", ["a/#/b", "a+/b", "", "$share/g/a"])
def test_invalid_topic_filters(bad: str) -> None:
    with pytest.raises(SqlError, match="Invalid topic filter"):
        compile_statement(f"SELECT * FROM '{bad}'")


# -- parse errors: CreateTopicRule's SqlParseException carries the message -------------------------


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("", "Line 1:1 the statement ends too early, expecting SELECT"),
        ("SELECT", "Line 1:7 the statement ends too early, expecting an expression or '*' or VALUE"),
        ("SELECT a FROM", "Line 1:14 the statement ends too early, expecting a 'quoted' string"),
        ("SELECT a FROM 'x", "Line 1:15 unterminated string literal"),
        ('SELECT a FROM "t"', "Line 1:15 unexpected '\"t\"', expecting a 'quoted' string"),
        ("SELECT a,\n FROM 't'", "Line 2:2 unexpected 'FROM', expecting an expression or '*'"),
        ("SELECT ~ FROM 't'", "Line 1:8 unexpected character '~'"),
        ("SELECT a FROM 't' WHERE", "Line 1:24 the statement ends too early, expecting an expression"),
        ("SELECT (a FROM 't'", "Line 1:11 unexpected 'FROM', expecting ')'"),
        ("SELECT a FROM 't' -- comment", "Line 1:19 unexpected '-'"),  # comments are not supported
        ("SELECT nosuch(a) FROM 't'", "Undefined function: nosuch"),
        ("SELECT cast(a AS Blob) FROM 't'", "Unknown type Blob in cast"),
    ],
)
def test_parse_errors(sql: str, message: str) -> None:
    with pytest.raises(SqlError) as caught:
        compile_statement(sql)
    assert str(caught.value).startswith(message)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert value("(" * 5000 + "1" + ")" * 5000) == 1  # parentheses leave no trace in the tree
    with pytest.raises(SqlError, match="nested too deeply"):
        compile_statement("SELECT " + "NOT " * 5000 + "true FROM 't'")


def test_wrong_argument_counts_are_undefined() -> None:
    # iot-sql-data-types: "Functions called with invalid arguments ... return Undefined"
    assert value("upper()") == b""
    assert value("upper('a', 'b')") == b""
    assert value("topic(1, 2)") == b""


# -- the message's functions ---------------------------------------------------------------------


def test_message_functions() -> None:
    fields: dict[str, Any] = {"topic": "a/b/c", "client_id": "dev", "principal": "abc", "trace_id": "tr-1"}
    assert value("topic()", **fields) == "a/b/c"
    assert value("topic(2)", **fields) == "b"
    assert value("topic(4)", **fields) == b""
    assert value("topic(0)", **fields) == b""
    assert value("topic('3')", **fields) == "c"
    assert value("topic(missing)", **fields) == b""
    assert value("clientid()", **fields) == "dev"
    assert value("clientid()", client_id=None) == "n/a"
    assert value("principal()", **fields) == "abc"
    assert value("traceid()", **fields) == "tr-1"
    assert value("traceid()") == b""
    assert value("accountid()") == "123456789012"
    assert len(value("newuuid()")) == 36
    assert 0.0 <= value("rand()") < 1.0


def test_timestamp_reads_the_environment_clock() -> None:
    compiled = compile_statement("SELECT VALUE timestamp() FROM 't'")
    result = compiled.evaluate(message(), SqlEnvironment(now_ms=lambda: 42))
    assert result is not None and result.value == 42


def test_get_user_property() -> None:
    props = [("source", "sensor"), ("unit", "C"), ("unit", "F")]
    assert value("get_user_property('unit')", user_properties=props) == "C"
    assert value("get_user_property('none')", user_properties=props) == b""


def test_get_mqtt_property() -> None:
    props = Properties(
        payload_format_indicator=1, content_type="application/json", correlation_data=b"\x01\x02"
    )
    assert value("get_mqtt_property('format_indicator')", properties=props) == "UTF8_DATA"
    assert value("get_mqtt_property('content_type')", properties=props) == "application/json"
    assert value("get_mqtt_property('correlation_data')", properties=props) == "AQI="
    assert value("get_mqtt_property('response_topic')", properties=props) == b""
    assert value("get_mqtt_property('content_type')") == b""  # an MQTT 3.1.1 message


def test_get_thing_shadow_and_aws_lambda_use_the_environment() -> None:
    calls: list[tuple[Any, ...]] = []

    def shadow(account: str, region: str, thing: str, name: str | None, role: str) -> Any:
        calls.append((thing, name, role))
        return {"state": {"reported": {"alarm": "ON"}}}

    def invoke(arn: str, payload: Any) -> Any:
        calls.append((arn, payload))
        return {"some": {"value": payload["payload"] * 2}}

    env = SqlEnvironment(get_thing_shadow=shadow, aws_lambda=invoke)
    sql = (
        "SELECT aws_lambda('arn:aws:lambda:us-east-1:1:function:f', {'payload': attribute1}).some.value AS out "
        "FROM 't' WHERE get_thing_shadow('MyThing', 'arn:role').state.reported.alarm = 'ON' "
        "AND get_thing_shadow('MyThing', 'named', 'arn:role').state.reported.alarm = 'ON'"
    )
    assert run(sql, {"attribute1": 21}, env=env) == {"out": 42}
    assert calls == [
        ("MyThing", None, "arn:role"),
        ("MyThing", "named", "arn:role"),
        ("arn:aws:lambda:us-east-1:1:function:f", {"payload": 21}),
    ]
    # without the services, the functions are Undefined
    assert run(sql, {"attribute1": 21}) != {"out": 42}
    assert value("aws_lambda('arn', *)", {"a": 1}) == b""


def test_aws_lambda_receives_the_whole_payload_for_star() -> None:
    seen: list[Any] = []

    def invoke(arn: str, payload: Any) -> Any:
        seen.append(payload)
        return "ok"

    env = SqlEnvironment(aws_lambda=invoke)
    assert run("SELECT aws_lambda('arn', *) AS r FROM 't'", {"a": 1}, env=env) == {"r": "ok"}
    assert seen == [{"a": 1}]


def test_result_value_and_payload() -> None:
    compiled = compile_statement("SELECT VALUE missing FROM 't'")
    result = compiled.evaluate(message({"a": 1}), SqlEnvironment())
    assert result is not None
    assert result.value is None and result.payload() == b""  # plain JSON for every reader of value
    binary = compile_statement("SELECT * FROM 't'").evaluate(message(b"\x01\x02"), SqlEnvironment())
    assert binary is not None and binary.value == b"\x01\x02" and binary.payload() == b"\x01\x02"


def test_one_message_through_statements_of_both_versions() -> None:
    # the payload is decoded once per message for every rule: each version still sees its numbers
    msg = message({"a": 10.0, "b": {"c": [2.0]}})
    old, new = compile_statement("SELECT * FROM 't'", V1), compile_statement("SELECT * FROM 't'", V2)
    for _ in range(2):
        for compiled, expected in ((old, b'{"a":10.0,"b":{"c":[2.0]}}'), (new, b'{"a":10,"b":{"c":[2]}}')):
            result = compiled.evaluate(msg, SqlEnvironment())
            assert result is not None
            assert result.payload() == expected


def test_select_star_with_fields_leaves_the_message_document_alone() -> None:
    msg = message({"a": 1, "n": {"x": 1}})
    added = compile_statement("SELECT *, 2 AS n.y FROM 't'", V2).evaluate(msg, SqlEnvironment())
    plain = compile_statement("SELECT * FROM 't'", V2).evaluate(msg, SqlEnvironment())
    assert added is not None and plain is not None
    assert added.value == {"a": 1, "n": {"x": 1, "y": 2}}
    assert plain.value == {"a": 1, "n": {"x": 1}}
