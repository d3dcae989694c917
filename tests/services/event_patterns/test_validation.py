"""Patterns AWS refuses: every one raises PatternError with Lambda's text and a reason."""

from __future__ import annotations

import pytest

from headwater.services.event_patterns import INVALID_FILTER_PATTERN, PatternError, compile_pattern

# (pattern text, the reason's opening words)
BAD = [
    ("not json", "Pattern is not valid JSON"),
    ('{"a": ["x"]', "Pattern is not valid JSON"),
    ('{"a": [NaN]}', "Pattern is not valid JSON"),
    ('{"a": [Infinity]}', "Pattern is not valid JSON"),
    ("[]", "Filter is not an object"),
    ('"a"', "Filter is not an object"),
    ("null", "Filter is not an object"),
    ("{}", "Empty objects are not allowed"),
    ('{"a": {}}', "Empty objects are not allowed"),
    ('{"a": []}', "Empty arrays are not allowed"),
    ('{"a": "x"}', '"a" must be an object or an array'),
    ('{"a": 1}', '"a" must be an object or an array'),
    ('{"a": null}', '"a" must be an object or an array'),
    ('{"a": [["x"]]}', "Match value must be String, number, true, false, or null"),
    ('{"a": [{}]}', "Match expression name not found"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"contains": "x"}]}', "Unrecognized match type contains"),
    ('{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"),
    ('{"a": [{"prefix": {"suffix": "x"}}]}', "Unsupported prefix pattern: suffix"),
    (
        '{"a": [{"prefix": {"equals-ignore-case": 1}}]}',
        "prefix/equals-ignore-case match pattern must be a string",
    ),
    ('{"a": [{"suffix": null}]}', "suffix match pattern must be a string"),
    ('{"a": [{"equals-ignore-case": ["x"]}]}', "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"exists": "true"}]}', "exists match pattern must be either true or false"),
    ('{"a": [{"exists": 1}]}', "exists match pattern must be either true or false"),
    ('{"a": [{"cidr": "10.0.0.0"}]}', "Malformed CIDR, one '/' required"),
    ('{"a": [{"cidr": "10.0.0.300/24"}]}', "Nonstandard IP address"),
    ('{"a": [{"cidr": "10.0.0.0/33"}]}', "Nonstandard IP address"),
    ('{"a": [{"cidr": 10}]}', "cidr match pattern must be a string"),
    ('{"a": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"wildcard": "a\\\\b"}]}', "Invalid escape character at pos 1"),
    ('{"a": [{"wildcard": "a\\\\"}]}', "Invalid escape character at pos 1"),
    ('{"a": [{"wildcard": 1}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"numeric": 5}]}', "Value of numeric must be an array."),
    ('{"a": [{"numeric": []}]}', "Invalid member in numeric match"),
    ('{"a": [{"numeric": [5]}]}', "Invalid member in numeric match: 5"),
    ('{"a": [{"numeric": [">"]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": [">", "5"]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": [">", true]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": ["==", 5]}]}', "Unrecognized numeric range operator: =="),
    ('{"a": [{"numeric": ["=", 5, "<", 6]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": ["<", 5, ">", 1]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": [">", 5, ">", 6]}]}', "Bad numeric range operator: >"),
    ('{"a": [{"numeric": [">", 5, "<"]}]}', "Value of < must be numeric"),
    ('{"a": [{"numeric": [">", 5, "<", 6, 7]}]}', "Too many terms in numeric range expression"),
    ('{"a": [{"numeric": [">", 6, "<", 5]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": [">", 5, "<=", 5]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": ["<", 5e10]}]}', "Value of < must be between -5.0E9 and 5.0E9 inclusive"),
    ('{"a": [{"numeric": ["=", -5000000001]}]}', "Value of = must be between -5.0E9 and 5.0E9 inclusive"),
    (
        '{"a": [{"anything-but": null}]}',
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        '{"a": [{"anything-but": true}]}',
        "Value of anything-but must be an array or single string/number value.",
    ),
    ('{"a": [{"anything-but": []}]}', "Inside anything-but list, either all values are number or string"),
    (
        '{"a": [{"anything-but": ["x", 1]}]}',
        "Inside anything-but list, either all values are number or string",
    ),
    (
        '{"a": [{"anything-but": ["x", null]}]}',
        "Inside anything-but list, start|null|boolean is not supported.",
    ),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"anything-but": {"suffix": 1}}]}', "suffix match pattern must be a string"),
    ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}', "Unsupported anything-but pattern: numeric"),
    (
        '{"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}',
        "anything-but expression must have exactly one key",
    ),
    ('{"a": [{"anything-but": {"equals-ignore-case": [1]}}]}', "Inside anything-but/equals-ignore-case list"),
    ('{"a": [{"anything-but": {"wildcard": "a**"}}]}', "Consecutive wildcard characters at pos 2"),
    ('{"$or": {"a": ["x"]}}', "$or must be followed by an array"),
    ('{"$or": [{"a": ["x"]}]}', "$or needs at least 2 objects"),
    ('{"$or": [{"a": ["x"]}, ["b"]]}', "Only JSON objects are allowed in the array of $or"),
    ('{"$or": [{"a": ["x"]}, {}]}', "Empty objects are not allowed"),
    (
        '{"$or": [{"a": ["x"]}, {"prefix": ["y"]}]}',
        "prefix is an operator name and cannot be a field inside $or",
    ),
    ('{"b": {"$or": [{"a": ["x"]}, {"c": {"numeric": ["y"]}}]}}', "numeric is an operator name"),
    ("[" * 100_000, "Pattern is"),
]


@pytest.mark.parametrize(("text", "reason"), BAD, ids=[text[:60] for text, _ in BAD])
def test_bad_patterns_are_refused_with_lambdas_text(text: str, reason: str) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(text)
    assert caught.value.message == INVALID_FILTER_PATTERN == "Invalid filter pattern definition."
    assert str(caught.value) == "Invalid filter pattern definition."
    assert caught.value.code == "InvalidParameterValueException"
    assert caught.value.reason.startswith(reason), caught.value.reason


def test_deeply_nested_objects_are_refused_not_crashing() -> None:
    text = '{"a":' * 5000 + '["x"]' + "}" * 5000
    with pytest.raises(PatternError):
        compile_pattern(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [{"exists": true}, {"exists": false}]}',
        '{"a": ["x", 1, 1.5, -2e3, true, false, null, {"prefix": "p"}]}',
        '{"a": [{"numeric": ["=", 5000000000]}]}',
        '{"a": [{"numeric": [">=", -5e9, "<=", 5e9]}]}',
        '{"a": [{"anything-but": {"wildcard": ["*.png", "*.jpg"]}}]}',
        '{"a": [{"anything-but": {"equals-ignore-case": "x"}}]}',
        '{"a": [{"wildcard": "\\\\*\\\\\\\\"}]}',
        '{"a": [{"prefix": ""}]}',
        '{"a": [""]}',
        '{"a": [{"cidr": "::/0"}]}',
        '{"$or": [{"a": ["x"]}, {"b": ["y"]}, {"c": {"d": ["z"]}}]}',
        '{"a": ["x"], "a": ["y"]}',
    ],
)
def test_valid_patterns_compile(text: str) -> None:
    compile_pattern(text)
