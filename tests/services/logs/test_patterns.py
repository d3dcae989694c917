"""The filter-pattern language: a matrix of patterns against messages, and what does not parse."""

from __future__ import annotations

import pytest

from headwater.services.logs.matching import compile_pattern, split_fields
from headwater.services.logs.patterns import PatternError

APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534'
APACHE_OK = '10.0.0.2 - alice [10/Oct/2000:13:26:01 -0700] "GET /index.html HTTP/1.0" 200 2326'
JSON_EVENT = (
    '{"eventType": "UpdateTrail", "latency": 75, "user": {"id": 7, "name": "ann"}, '
    '"ip": "123.123.5.9", "ok": true, "gone": null, "tags": ["a", "b"]}'
)

MATRIX = [
    # terms
    ("", "anything at all", True),
    ("ERROR", "[ERROR] disk full", True),
    ("ERROR", "error: lower case", False),
    ("ERROR disk", "[ERROR] disk full", True),
    ("ERROR memory", "[ERROR] disk full", False),
    ('"disk full"', "[ERROR] disk full", True),
    ('"full disk"', "[ERROR] disk full", False),
    ("ERROR -disk", "[ERROR] disk full", False),
    ("ERROR -memory", "[ERROR] disk full", True),
    ("?ERROR ?WARN", "WARN low disk", True),
    ("?ERROR ?WARN", "INFO fine", False),
    ('-"disk full"', "INFO fine", True),
    ("%ERR(OR)?%", "[ERR] x", True),
    ("%^INFO%", "[ERROR] disk full", False),
    # JSON
    ('{ $.eventType = "UpdateTrail" }', JSON_EVENT, True),
    ("{ $.eventType = UpdateTrail }", JSON_EVENT, True),
    ('{ $.eventType = "Update*" }', JSON_EVENT, True),
    ('{ $.eventType != "UpdateTrail" }', JSON_EVENT, False),
    ("{ $.latency > 50 }", JSON_EVENT, True),
    ("{ $.latency >= 76 }", JSON_EVENT, False),
    ("{ $.latency = 75 }", JSON_EVENT, True),
    ("{ $.latency != 75 }", JSON_EVENT, False),
    ("{ $.user.id = 7 && $.user.name = ann }", JSON_EVENT, True),
    ("{ $.user.id = 8 || $.user.name = ann }", JSON_EVENT, True),
    ("{ ($.user.id = 8 || $.latency < 10) && $.ok IS TRUE }", JSON_EVENT, False),
    ("{ $.ip = 123.123.* }", JSON_EVENT, True),
    ('{ $.tags[1] = "b" }', JSON_EVENT, True),
    ('{ $.tags[5] = "b" }', JSON_EVENT, False),
    ("{ $.ok IS TRUE }", JSON_EVENT, True),
    ("{ $.ok IS FALSE }", JSON_EVENT, False),
    ("{ $.gone IS NULL }", JSON_EVENT, True),
    ("{ $.missing NOT EXISTS }", JSON_EVENT, True),
    ("{ $.latency NOT EXISTS }", JSON_EVENT, False),
    ("{ $.latency > 50 }", "not json at all", False),
    ("{ $.latency > 50 }", "[1, 2, 3]", False),
    # space-delimited
    ("[ip, user, username, timestamp, request, status_code, bytes]", APACHE, True),
    ("[ip, user, username, timestamp, request, status_code = 404, bytes]", APACHE, True),
    ("[ip, user, username, timestamp, request, status_code = 404, bytes]", APACHE_OK, False),
    ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", APACHE, True),
    (
        "[ip, user, username, timestamp, request, status_code >= 400 && status_code < 500, bytes]",
        APACHE,
        True,
    ),
    (
        "[ip, user, username, timestamp, request, status_code = 200 || status_code = 404, bytes]",
        APACHE_OK,
        True,
    ),
    ("[ip, user, username, timestamp, request, status_code, bytes > 2000]", APACHE_OK, True),
    ("[ip, user, username, timestamp, request, status_code, bytes > 2000]", APACHE, False),
    ("[ip = 127.0.0.1, ...]", APACHE, True),
    ("[ip = 10.*, ...]", APACHE, False),
    ("[..., status_code = 404, bytes]", APACHE, True),
    ('[ip, ..., request = "GET /apache_pb.gif HTTP/1.0", status_code, bytes]', APACHE, True),
    ("[a, b]", APACHE, False),  # seven fields, not two
]


@pytest.mark.parametrize(("pattern", "message", "expected"), MATRIX)
def test_pattern_matrix(pattern: str, message: str, expected: bool) -> None:
    assert compile_pattern(pattern)(message) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.a = }",
        "{ $.a = 1",
        "{ a = 1 }",
        "{ $.a > text }",
        '{ $.a = "open }',
        "[a, b = ]",
        "[a b]",
        "%unclosed",
        "{ $.a = 1 } trailing",
        "{ $.a IS MAYBE }",
    ],
)
def test_patterns_that_do_not_parse(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_fields_keep_quoted_and_bracketed_runs_whole() -> None:
    assert split_fields(APACHE) == [
        "127.0.0.1",
        "-",
        "frank",
        "10/Oct/2000:13:25:15 -0700",
        "GET /apache_pb.gif HTTP/1.0",
        "404",
        "1534",
    ]
