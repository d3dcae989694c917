"""Hive type strings to pyarrow types."""

from __future__ import annotations

import pyarrow as pa
import pytest

from headwater.protocol.hive_types import HiveTypeError, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("int", pa.int32()),
        ("BIGINT", pa.int64()),
        ("tinyint", pa.int8()),
        ("smallint", pa.int16()),
        ("double", pa.float64()),
        ("float", pa.float32()),
        ("boolean", pa.bool_()),
        ("string", pa.string()),
        ("varchar(20)", pa.string()),
        ("char(3)", pa.string()),
        ("binary", pa.binary()),
        ("date", pa.date32()),
        ("timestamp", pa.timestamp("ms")),
        ("decimal", pa.decimal128(10, 0)),
        ("decimal(12)", pa.decimal128(12, 0)),
        ("decimal(38, 9)", pa.decimal128(38, 9)),
        ("array<string>", pa.list_(pa.string())),
        ("map<string,array<int>>", pa.map_(pa.string(), pa.list_(pa.int32()))),
        (
            "struct< a : int, `b c`:struct<d:decimal(5,2)>, e:array<map<int,string>> >",
            pa.struct(
                [
                    pa.field("a", pa.int32()),
                    pa.field("b c", pa.struct([pa.field("d", pa.decimal128(5, 2))])),
                    pa.field("e", pa.list_(pa.map_(pa.int32(), pa.string()))),
                ]
            ),
        ),
        ("struct<>", pa.struct([])),
    ],
)
def test_types(text: str, expected: pa.DataType) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "integer2",
        "array<>",
        "array<int",
        "map<int>",
        "struct<a int>",
        "decimal(40,2)",
        "decimal(5,6)",
        "varchar",
        "varchar(0)",
        "char(256)",
        "int int",
        "struct<a:int,>",
        "array<int>>",
        "uniontype<int,string>",
    ],
)
def test_bad_types(text: str) -> None:
    with pytest.raises(HiveTypeError, match="Error parsing type"):
        parse(text)
