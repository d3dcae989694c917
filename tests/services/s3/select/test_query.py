"""S3 Select's SQL: parsing, the FROM path, evaluation on CSV and JSON records, and the errors."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.s3.select.evaluate import Evaluator
from headwater.services.s3.select.query import parse
from headwater.services.s3.select.rows import Projector
from headwater.services.s3.select.values import CsvRecord, header_maps


def _csv(*fields: str, names: tuple[str, ...] = ("name", "age")) -> CsvRecord:
    exact, folded = header_maps(names)
    return CsvRecord(list(fields), exact, folded)


def _row(sql: str, record: Any) -> Any:
    query = parse(sql)
    evaluator = Evaluator(query)
    return Projector(query, evaluator).row(record) if evaluator.matches(record) else None


def test_from_path_and_alias() -> None:
    query = parse("SELECT i.sku FROM S3Object[*].items[*] AS i WHERE i.qty > 1 LIMIT 5")
    assert (query.alias, query.from_path, query.limit) == ("i", ["items", None], 5)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT s.name FROM S3Object s WHERE s.age > 30", [("name", "ada")]),
        ("SELECT _1, _2 FROM S3Object WHERE _2 BETWEEN 30 AND 40", [("_1", "ada"), ("_2", "36")]),
        ("SELECT UPPER(s.NAME) AS n FROM S3Object s WHERE s.name LIKE 'a_a'", [("n", "ADA")]),
        ("SELECT s.age + 1 FROM S3Object s WHERE s.name IN ('bob', 'ada')", [("_1", 37)]),
        ("SELECT s.\"name\" || '!' FROM S3Object s WHERE NOT s.age < 30", [("_1", "ada!")]),
        ("SELECT CHAR_LENGTH(s.name) FROM S3Object s WHERE s.missing IS NULL", [("_1", 3)]),
        ("SELECT s.name FROM S3Object s WHERE s.age = 37", None),
    ],
)
def test_csv_evaluation(sql: str, expected: Any) -> None:
    assert _row(sql, _csv("ada", "36")) == expected


def test_json_paths() -> None:
    record = {"a": {"b": [{"c": 1}, {"c": 2}]}, "Mixed": True}
    assert _row("SELECT s.a.b[1].c FROM S3Object s WHERE s.mixed = true", record) == [("c", 2)]
    assert _row('SELECT s."mixed" FROM S3Object s', record) == [("mixed", None)]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELECT * FROM S3Object WHERE", "ParseUnexpectedToken"),
        ("SELEC * FROM S3Object", "ParseUnexpectedToken"),
        ("SELECT * FROM other", "ParseUnexpectedToken"),
        ("SELECT *, a FROM S3Object", "ParseAsteriskIsNotAloneInSelectList"),
        ("SELECT a FROM S3Object ORDER BY a", "ParseUnsupportedSyntax"),
    ],
)
def test_parse_errors(sql: str, code: str) -> None:
    with pytest.raises(AwsError) as raised:
        parse(sql)
    assert raised.value.code == code


def test_evaluation_errors() -> None:
    with pytest.raises(AwsError) as cast:
        _row("SELECT CAST(s.name AS INT) FROM S3Object s", _csv("ada", "36"))
    assert cast.value.code == "CastFailed"
    with pytest.raises(AwsError) as index:
        _row("SELECT _0 FROM S3Object", _csv("ada", "36"))
    assert index.value.code == "InvalidColumnIndex"
    with pytest.raises(AwsError) as function:
        _row("SELECT NOSUCH(s.a) FROM S3Object s", {"a": 1})
    assert function.value.code == "UnsupportedFunction"
