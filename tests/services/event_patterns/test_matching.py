"""The pattern language against events: AWS's documented examples, then each operator's edges.

Sources: the EventBridge user guide (event patterns, null values and empty strings, arrays,
content filtering, comparison operators), the Lambda developer guide (event filtering: filter
rule syntax and its examples) and the Event Ruler README (the matcher EventBridge documents).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from headwater.services.event_patterns import compile_pattern, loads

EC2 = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}

AUTOSCALING = {
    "source": "aws.autoscaling",
    "detail-type": "EC2 Instance Launch Successful",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}

EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}

CLOUDWATCH = {"source": "aws.cloudwatch", "metricName": "CPUUtilization", "namespace": "AWS/EC2"}

# (pattern, event, expected): each case names what it shows.
CASES: list[tuple[str, dict[str, Any], Any, bool]] = [
    # --- documented examples ---
    (
        "ruler simple",
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]},
        },
        EC2,
        True,
    ),
    ("prefix time", {"time": [{"prefix": "2017-10-02"}]}, EC2, True),
    ("prefix time other day", {"time": [{"prefix": "2017-10-03"}]}, EC2, False),
    ("suffix source", {"source": [{"suffix": "ec2"}]}, EC2, True),
    ("equals-ignore-case source", {"source": [{"equals-ignore-case": "AWS.EC2"}]}, EC2, True),
    ("wildcard", {"source": [{"wildcard": "aws.*2"}]}, EC2, True),
    ("anything-but string", {"detail": {"state": [{"anything-but": "initializing"}]}}, EC2, True),
    ("anything-but string excluded", {"detail": {"state": [{"anything-but": "running"}]}}, EC2, False),
    ("anything-but number", {"detail": {"x-limit": [{"anything-but": 123}]}}, EC2, True),
    ("anything-but list", {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}, EC2, True),
    (
        "anything-but list excluded",
        {"detail": {"state": [{"anything-but": ["stopped", "running"]}]}},
        EC2,
        False,
    ),
    ("anything-but number list", {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}, EC2, True),
    ("anything-but number list excluded", {"detail": {"c-count": [{"anything-but": [5, 6]}]}}, EC2, False),
    ("anything-but prefix", {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, EC2, True),
    (
        "anything-but prefix excluded",
        {"detail": {"state": [{"anything-but": {"prefix": "run"}}]}},
        EC2,
        False,
    ),
    (
        "numeric ranges",
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        EC2,
        True,
    ),
    ("cidr", {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, EC2, True),
    ("cidr outside", {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, EC2, False),
    ("exists true", {"detail": {"c-count": [{"exists": True}]}}, EC2, True),
    ("exists false on present", {"detail": {"c-count": [{"exists": False}]}}, EC2, False),
    ("exists false on absent", {"detail": {"e-count": [{"exists": False}]}}, EC2, True),
    ("exists true on absent", {"detail": {"e-count": [{"exists": True}]}}, EC2, False),
    (
        "complex",
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
                "source-ip": [{"cidr": "10.0.0.0/8"}],
            },
        },
        EC2,
        True,
    ),
    ("empty string", {"detail": {"eventVersion": [""]}}, AUTOSCALING, True),
    ("null", {"detail": {"responseElements": [None]}}, AUTOSCALING, True),
    ("empty string is not null", {"detail": {"responseElements": [""]}}, AUTOSCALING, False),
    ("null is not empty string", {"detail": {"eventVersion": [None]}}, AUTOSCALING, False),
    ("null exists", {"detail": {"responseElements": [{"exists": True}]}}, AUTOSCALING, True),
    ("empty array has no leaves", {"resources": [{"exists": False}]}, AUTOSCALING, True),
    ("empty array does not exist", {"resources": [{"exists": True}]}, AUTOSCALING, False),
    ("empty array matches no value", {"resources": [{"anything-but": "x"}]}, AUTOSCALING, False),
    ("array element", {"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    ("array consistent", {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, EMPLOYEES, True),
    (
        "array across elements",
        {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
        EMPLOYEES,
        False,
    ),
    (
        "multi-level arrays",
        {"employees": {"firstName": ["Peter"]}},
        {"employees": [[{"firstName": "John"}], [{"firstName": "Peter"}]]},
        True,
    ),
    (
        "or $or",
        {
            "source": ["aws.cloudwatch"],
            "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/ES"]}],
        },
        CLOUDWATCH,
        True,
    ),
    (
        "or $or second branch",
        {"$or": [{"metricName": ["ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]},
        CLOUDWATCH,
        True,
    ),
    ("or $or none", {"$or": [{"metricName": ["ReadLatency"]}, {"namespace": ["AWS/ES"]}]}, CLOUDWATCH, False),
    (
        "or $or with and inside",
        {"$or": [{"metricName": ["ReadLatency"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]}]},
        CLOUDWATCH,
        False,
    ),
    (
        "or $or nested",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["x"]},
                {"namespace": ["AWS/EC2"], "$or": [{"metricId": [1234]}, {"source": ["aws.cloudwatch"]}]},
            ],
        },
        CLOUDWATCH,
        True,
    ),
    (
        "parallel $or",
        {
            "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["x"]}],
            "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["y"]}]},
        },
        {**CLOUDWATCH, "detail": {"source": "aws.cloudwatch"}},
        True,
    ),
    (
        "exists false on object is not a leaf",
        {"detail": {"c-count": [{"exists": False}]}},
        {"detail": {"c-count": {"c1": 100}}},
        True,
    ),
    (
        "exists true on object is not a leaf",
        {"detail": {"c-count": [{"exists": True}]}},
        {"detail": {"c-count": {"c1": 100}}},
        False,
    ),
    (
        "macie numbers",
        {"source": ["aws.macie"], "detail": {"risk-score": [80], "trigger": {"risk": [8]}}},
        {"source": "aws.macie", "detail": {"risk-score": 80, "trigger": {"risk": 8}}},
        True,
    ),
    (
        "lambda equals and nested",
        {"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}},
        {"partitionKey": "1", "data": {"Location": "Los Angeles"}},
        True,
    ),
    (
        "lambda numeric range",
        {"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}},
        {"data": {"Temperature": 55}},
        True,
    ),
    (
        "lambda numeric range top",
        {"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}},
        {"data": {"Temperature": 60}},
        True,
    ),
    (
        "lambda numeric range bottom open",
        {"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}},
        {"data": {"Temperature": 50}},
        False,
    ),
    (
        "lambda numeric on string",
        {"data": {"Temperature": [{"numeric": [">", 10]}]}},
        {"data": {"Temperature": "46"}},
        False,
    ),
    (
        "lambda multi-level",
        {"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}},
        {"dynamodb": {"Keys": {"Id": {"N": "101"}}}},
        True,
    ),
    ("lambda console or", {"a": [1, 2]}, {"a": 2}, True),
    ("lambda console or miss", {"a": [1, 2]}, {"a": 3}, False),
    ("begins with", {"Region": [{"prefix": "us-"}]}, {"Region": "us-west-2"}, True),
    (
        "ends with ignore case",
        {"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]},
        {"service": "EventBridge"},
        True,
    ),
    (
        "begins with ignore case",
        {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]},
        {"service": "EVENTBRIDGE"},
        True,
    ),
    (
        "anything-but suffix",
        {"FileName": [{"anything-but": {"suffix": ".png"}}]},
        {"FileName": "a.jpg"},
        True,
    ),
    (
        "anything-but suffix excluded",
        {"FileName": [{"anything-but": {"suffix": ".png"}}]},
        {"FileName": "a.png"},
        False,
    ),
    (
        "anything-but ignore case",
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "INITIALIZING"},
        False,
    ),
    (
        "anything-but ignore case list",
        {"state": [{"anything-but": {"equals-ignore-case": ["a", "b"]}}]},
        {"state": "C"},
        True,
    ),
    (
        "anything-but wildcard",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/lib/x"},
        False,
    ),
    (
        "anything-but wildcard other",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/bin/x"},
        True,
    ),
    ("anything-but on absent field", {"state": [{"anything-but": "x"}]}, {}, False),
    # --- exact values and JSON types ---
    ("string is not number", {"a": ["5"]}, {"a": 5}, False),
    ("number is not string", {"a": [5]}, {"a": "5"}, False),
    ("true", {"a": [True]}, {"a": True}, True),
    ("true is not 1", {"a": [True]}, {"a": 1}, False),
    ("1 is not true", {"a": [1]}, {"a": True}, False),
    ("false", {"a": [False]}, {"a": False}, True),
    ("string true is not true", {"a": ["true"]}, {"a": True}, False),
    ("case sensitive", {"a": ["Alice"]}, {"a": "alice"}, False),
    ("any of list", {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Debit"}, True),
    ("and", {"Location": ["New York"], "Day": ["Monday"]}, {"Location": "New York", "Day": "Tuesday"}, False),
    ("missing field", {"a": ["x"]}, {"b": "x"}, False),
    ("nested missing parent", {"a": {"b": ["x"]}}, {"b": "x"}, False),
    ("nested exists false under missing parent", {"a": {"b": [{"exists": False}]}}, {}, True),
    ("nested exists false under leaf parent", {"a": {"b": [{"exists": False}]}}, {"a": "x"}, True),
    ("nested under leaf", {"a": {"b": ["x"]}}, {"a": "x"}, False),
    ("event array any element", {"a": ["x"]}, {"a": ["w", "x"]}, True),
    ("event nested array", {"a": ["x"]}, {"a": [["w"], ["x"]]}, True),
    ("event array no element", {"a": ["x"]}, {"a": ["w", "y"]}, False),
    ("event array anything-but any element", {"a": [{"anything-but": "x"}]}, {"a": ["x", "y"]}, True),
    ("event array anything-but all excluded", {"a": [{"anything-but": "x"}]}, {"a": ["x", "x"]}, False),
    ("exists and value ORed", {"a": ["x", {"exists": False}]}, {}, True),
    ("prefix not on number", {"a": [{"prefix": "1"}]}, {"a": 12}, False),
    ("prefix empty matches strings", {"a": [{"prefix": ""}]}, {"a": "x"}, True),
    ("suffix not on null", {"a": [{"suffix": "l"}]}, {"a": None}, False),
    ("equals-ignore-case unicode", {"a": [{"equals-ignore-case": "STRASSE"}]}, {"a": "straße"}, True),
    ("anything-but string passes number", {"a": [{"anything-but": "x"}]}, {"a": 1}, True),
    ("anything-but string passes null", {"a": [{"anything-but": "x"}]}, {"a": None}, True),
    ("anything-but number compares value", {"a": [{"anything-but": [300]}]}, {"a": 300.0}, False),
    ("anything-but prefix passes number", {"a": [{"anything-but": {"prefix": "1"}}]}, {"a": 12}, True),
    # --- numeric ---
    ("numeric equals int float", {"a": [{"numeric": ["=", 300]}]}, {"a": 300.0}, True),
    ("numeric >=", {"a": [{"numeric": [">=", 5]}]}, {"a": 5}, True),
    ("numeric >", {"a": [{"numeric": [">", 5]}]}, {"a": 5}, False),
    ("numeric <", {"a": [{"numeric": ["<", 5]}]}, {"a": 5}, False),
    ("numeric <=", {"a": [{"numeric": ["<=", 5]}]}, {"a": 5}, True),
    ("numeric range >= <", {"a": [{"numeric": [">=", 0, "<", 1]}]}, {"a": 0.5}, True),
    ("numeric negative", {"a": [{"numeric": ["<", 0]}]}, {"a": -1e-6}, True),
    ("numeric not on bool", {"a": [{"numeric": [">=", 0]}]}, {"a": True}, False),
    ("numeric not on null", {"a": [{"numeric": [">=", 0]}]}, {"a": None}, False),
    ("numeric beyond limit", {"a": [{"numeric": [">", 0]}]}, {"a": 6e9}, False),
    ("numeric at limit", {"a": [{"numeric": [">", 0]}]}, {"a": 5e9}, True),
    (
        "numeric array any",
        {"tire_pressure": [{"numeric": ["<", 32]}]},
        {"tire_pressure": [41, 40, 31, 41]},
        True,
    ),
    # --- cidr ---
    ("cidr v6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"}, True),
    ("cidr v6 outside", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db9::1"}, False),
    ("cidr not an address", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "host"}, False),
    ("cidr v4 against v6", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "::1"}, False),
    ("cidr host bits", {"ip": [{"cidr": "10.0.0.7/24"}]}, {"ip": "10.0.0.200"}, True),
    # --- wildcard ---
    ("wildcard middle", {"a": [{"wildcard": "Simple*Service"}]}, {"a": "SimpleQueueService"}, True),
    ("wildcard empty run", {"a": [{"wildcard": "Simple*Service"}]}, {"a": "SimpleService"}, True),
    ("wildcard whole value", {"a": [{"wildcard": "Simple*Service"}]}, {"a": "SimpleServices"}, False),
    ("wildcard two stars", {"a": [{"wildcard": "*/lib/*.so"}]}, {"a": "/usr/lib/x.so"}, True),
    ("wildcard escaped star", {"a": [{"wildcard": "a\\*b"}]}, {"a": "a*b"}, True),
    ("wildcard escaped star is literal", {"a": [{"wildcard": "a\\*b"}]}, {"a": "axb"}, False),
    ("wildcard escaped backslash", {"a": [{"wildcard": "a\\\\*"}]}, {"a": "a\\xyz"}, True),
    ("wildcard regex chars literal", {"a": [{"wildcard": "a.c*"}]}, {"a": "abc"}, False),
    ("wildcard newline", {"a": [{"wildcard": "a*"}]}, {"a": "a\nb"}, True),
    ("wildcard not on number", {"a": [{"wildcard": "1*"}]}, {"a": 12}, False),
    ("$or is an OR, not a field name", {"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"b": "y"}, True),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pattern_matches(pattern: dict[str, Any], event: Any, expected: bool) -> None:
    assert compile_pattern(json.dumps(pattern)).matches(event) is expected


# Lambda's note: "For numbers, Lambda also uses string representation. For example, 300, 300.0,
# and 3.0e2 are not considered equal." Exact values compare JSON texts; numeric compares values.
@pytest.mark.parametrize(
    ("pattern_value", "event_text", "expected"),
    [
        ("300", "300", True),
        ("300", "300.0", False),
        ("300", "3.0e2", False),
        ("3.0e2", "3.0e2", True),
        ("300.0", "300.0", True),
        ("-0", "0", False),
    ],
)
def test_exact_numbers_compare_texts(pattern_value: str, event_text: str, expected: bool) -> None:
    pattern = compile_pattern('{"a": [' + pattern_value + "]}")
    assert pattern.matches(loads('{"a": ' + event_text + "}")) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("event_text", ["300", "300.0", "3.0e2"])
def test_numeric_compares_values(event_text: str) -> None:
    pattern = compile_pattern('{"a": [{"numeric": ["=", 300]}]}')
    assert pattern.matches(loads('{"a": ' + event_text + "}"))  # type: ignore[arg-type]


def test_python_numbers_compare_as_json_dumps_writes_them() -> None:
    assert compile_pattern('{"a": [300]}').matches({"a": 300})
    assert not compile_pattern('{"a": [300]}').matches({"a": 300.0})
    assert compile_pattern('{"a": [1.5]}').matches({"a": 1.5})


def test_deep_event_arrays_do_not_overflow() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    assert compile_pattern('{"a": ["x"]}').matches({"a": deep})


def test_pattern_is_reusable_and_has_its_source() -> None:
    text = '{"a": ["x"]}'
    pattern = compile_pattern(text)
    assert pattern.source == text
    assert [pattern.matches({"a": "x"}) for _ in range(3)] == [True, True, True]
