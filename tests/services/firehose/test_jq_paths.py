"""Plain-path MetadataExtraction queries evaluated in Python: the same keys and the same failures
as jq, record for record (jq itself is the oracle)."""

from __future__ import annotations

import json

import pytest

from headwater.services.firehose.processing import jq_paths, partitioning
from headwater.services.firehose.records import Record

QUERIES = [
    "{customer: .customer}",
    "{customer}",
    ' { "the key" : .a.b , c: .c.d.e }',
    "{a: .a, a: .b}",
    "{x: .nested.deep.value, y: .y}",
]
DOCUMENTS: list[bytes] = [
    json.dumps(doc).encode()
    for doc in (
        {"customer": "c-1", "a": {"b": "ab"}, "c": {"d": {"e": True}}, "nested": {"deep": {"value": "v"}}},
        {"customer": 7, "a": {"b": 1.5}, "c": {"d": None}, "y": False, "b": "bee"},
        {"customer": None, "a": "text", "c": [1, 2], "nested": {"deep": "shallow"}},
        {"customer": {"o": 1}, "a": {"b": [1]}, "c": {"d": {"e": "é\u2603"}}, "y": "y"},
        {"customer": "x", "a": {"b": "z"}, "c": {"d": {"e": 12345678901234567890}}},
        [1, 2],
        "string",
        None,
        {},
    )
] + [b"not json", b'{"customer": NaN}', b'{"customer": "\\ud800"}', b'{"customer":"a"}{"b":1}', b"  "]


@pytest.mark.parametrize("query", QUERIES)
def test_same_as_jq(query: str) -> None:
    paths = jq_paths.compile_paths(query)
    assert paths is not None
    program = partitioning.compiled(query)
    for data in DOCUMENTS:
        expected: object
        try:
            expected = partitioning.extract(program, data)
        except partitioning.ExtractionError as error:
            expected = (error.code, error.message)
        try:
            got: object = partitioning.extract(program, data, paths)
        except partitioning.ExtractionError as error:
            got = (error.code, error.message)
        assert got == expected, data


@pytest.mark.parametrize(
    "query",
    [
        ".a",
        "{a: .a | ascii_downcase}",
        "{a: .a?}",
        "{if: .a}",
        "{a: .and}",
        '{"a"}',
        "{a: .a,}",
        "{}",
        "{a: .[0]}",
    ],
)
def test_other_queries_go_to_jq(query: str) -> None:
    assert jq_paths.compile_paths(query) is None


def test_apply_uses_the_fast_path_with_jq_results() -> None:
    records = [Record(str(i), json.dumps({"customer": f"c{i % 3}", "n": i}).encode(), 0) for i in range(9)]
    done = partitioning.apply(records, {"MetadataExtractionQuery": "{customer: .customer, n: .n}"})
    assert done.failures == []
    assert [dict(r.partition_keys) for r in done.records] == [
        {"customer": f"c{i % 3}", "n": str(i)} for i in range(9)
    ]
