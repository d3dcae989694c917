"""Record format conversion: JSON records through both SerDes into Parquet and ORC, read back with
pyarrow and DuckDB."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from headwater.services.firehose.convert.converter import Converter
from headwater.services.firehose.records import KinesisMetadata, Record
from headwater.services.ports import CatalogTable, TableColumn

COLUMNS = (
    ("id", "bigint"),
    ("name", "string"),
    ("score", "double"),
    ("price", "decimal(10,2)"),
    ("ok", "boolean"),
    ("ts", "timestamp"),
    ("day", "date"),
    ("tags", "array<string>"),
    ("attrs", "map<string,int>"),
    ("inner", "struct<a:int,b_c:string>"),
)


def table(columns: tuple[tuple[str, str], ...] = COLUMNS) -> CatalogTable:
    return CatalogTable(
        "db",
        "events",
        "3",
        tuple(TableColumn(n, t) for n, t in columns),
        (TableColumn("dt", "string"),),
        "EXTERNAL_TABLE",
        "s3://b/events/",
        {},
    )


def config(deserializer: dict[str, Any], serializer: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "SchemaConfiguration": {"DatabaseName": "db", "TableName": "events", "VersionId": "3"},
        "InputFormatConfiguration": {"Deserializer": deserializer},
        "OutputFormatConfiguration": {
            "Serializer": {"ParquetSerDe": {}} if serializer is None else serializer
        },
    }


def records(*documents: Any) -> list[Record]:
    return [
        Record(str(i), doc if isinstance(doc, bytes) else json.dumps(doc).encode(), 1_000 + i)
        for i, doc in enumerate(documents)
    ]


FULL = {
    "ID": 7,
    "Name": "x",
    "score": 1.5,
    "price": "12.345",
    "ok": True,
    "ts": 1518033528,
    "day": "2024-02-29",
    "tags": ["a", "b"],
    "attrs": {"k": 1},
    "inner": {"A": 1, "b.c": "dot", "extra": 0},
    "unknown": "ignored",
}


def test_openx_to_parquet_read_by_pyarrow_and_duckdb(tmp_path: Path) -> None:
    converter = Converter(config({"OpenXJsonSerDe": {"ConvertDotsInJsonKeysToUnderscores": True}}), table())
    assert converter.extension == ".parquet"
    second = {"id": "8", "ts": 1518033528123, "score": "2", "ok": "false"}
    third = {"id": 9, "ts": 1518033528.5}
    body, failures = converter.convert(records(FULL, second, third))
    assert failures == []
    rows = pq.read_table(io.BytesIO(body)).to_pylist()
    assert rows[0] == {
        "id": 7,
        "name": "x",
        "score": 1.5,
        "price": Decimal("12.35"),
        "ok": True,
        "ts": datetime(2018, 2, 7, 19, 58, 48),
        "day": date(2024, 2, 29),
        "tags": ["a", "b"],
        "attrs": [("k", 1)],
        "inner": {"a": 1, "b_c": "dot"},
    }
    assert (rows[1]["id"], rows[1]["score"], rows[1]["ok"]) == (8, 2.0, False)
    assert rows[1]["ts"] == datetime(2018, 2, 7, 19, 58, 48, 123000)
    assert rows[2]["ts"] == datetime(2018, 2, 7, 19, 58, 48, 500000) and rows[2]["name"] is None
    path = tmp_path / "out.parquet"
    path.write_bytes(body)
    found = duckdb.sql(
        f"select id, name, price, ts, day, tags, \"inner\".b_c from read_parquet('{path}') order by id"
    ).fetchall()
    assert found[0] == (
        7,
        "x",
        Decimal("12.35"),
        datetime(2018, 2, 7, 19, 58, 48),
        date(2024, 2, 29),
        ["a", "b"],
        "dot",
    )
    types = {
        row[0]: row[1] for row in duckdb.sql(f"describe select * from read_parquet('{path}')").fetchall()
    }
    assert types["id"] == "BIGINT" and types["price"] == "DECIMAL(10,2)" and types["day"] == "DATE"
    assert types["ts"].startswith("TIMESTAMP") and types["tags"] == "VARCHAR[]"


def test_openx_key_rules() -> None:
    columns = (("ts", "string"), ("name", "string"), ("a_b", "int"))
    mapped = Converter(
        config(
            {"OpenXJsonSerDe": {"ColumnToJsonKeyMappings": {"ts": "timestamp"}, "CaseInsensitive": False}}
        ),
        table(columns),
    )
    body, _ = mapped.convert(records({"timestamp": "t1", "Name": "ignored", "name": "n", "a.b": 1}))
    assert pq.read_table(io.BytesIO(body)).to_pylist() == [{"ts": "t1", "name": "n", "a_b": None}]


def test_hive_serde_is_strict_and_reads_its_timestamp_formats() -> None:
    columns = (("n", "int"), ("ts", "timestamp"))
    converter = Converter(
        config(
            {
                "HiveJsonSerDe": {
                    "TimestampFormats": ["dd/MM/yyyy HH:mm:ss.SSS Z", "millis", "yyyyMMdd'T'HHmm"]
                }
            }
        ),
        table(columns),
    )
    body, failures = converter.convert(
        records(
            {"n": 1, "ts": "07/02/2018 19:58:48.123 +0100"},
            {"n": 2, "ts": 1518033528123},
            {"n": 3, "ts": "20180207T1958"},
            {"n": 4, "ts": "2018-02-07 19:58:48.123456789"},
            {"n": "5", "ts": None},
            {"n": 6, "ts": "not a time"},
            b"not json",
            b"[1, 2]",
        )
    )
    rows = pq.read_table(io.BytesIO(body)).to_pylist()
    assert [row["ts"] for row in rows] == [
        datetime(2018, 2, 7, 18, 58, 48, 123000),
        datetime(2018, 2, 7, 19, 58, 48, 123000),
        datetime(2018, 2, 7, 19, 58),
        datetime(2018, 2, 7, 19, 58, 48, 123000),
    ]
    assert [(f.record.record_id, f.error_output_type, f.error_code) for f in failures] == [
        (str(i), "format-conversion-failed", "DataFormatConversion.MalformedData") for i in (4, 5, 6, 7)
    ]
    assert "Column 'n'" in failures[0].error_message
    assert failures[1].record.data == b'{"n": 6, "ts": "not a time"}'


def test_several_objects_in_one_record_and_multiline() -> None:
    converter = Converter(config({"OpenXJsonSerDe": {}}), table((("n", "int"),)))
    body, failures = converter.convert(records(b'{"n":1}\n{"n":2} {"n":3}\n'))
    assert failures == [] and pq.read_table(io.BytesIO(body)).column("n").to_pylist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("options", "codec"),
    [({}, "SNAPPY"), ({"Compression": "GZIP"}, "GZIP"), ({"Compression": "UNCOMPRESSED"}, "UNCOMPRESSED")],
)
def test_parquet_options(options: dict[str, Any], codec: str) -> None:
    converter = Converter(
        config(
            {"OpenXJsonSerDe": {}},
            {
                "ParquetSerDe": {
                    **options,
                    "EnableDictionaryCompression": True,
                    "WriterVersion": "V2",
                    "PageSizeBytes": 65536,
                }
            },
        ),
        table((("n", "int"), ("s", "string"))),
    )
    body, _ = converter.convert(records(*({"n": i, "s": f"v{i % 3}"} for i in range(1000))))
    meta = pq.ParquetFile(io.BytesIO(body)).metadata
    column = meta.row_group(0).column(1)
    assert column.compression == codec and meta.num_rows == 1000
    assert "RLE_DICTIONARY" in column.encodings or "PLAIN_DICTIONARY" in column.encodings
    assert meta.format_version == "2.6"


def test_orc_output_and_options() -> None:
    converter = Converter(
        config(
            {"OpenXJsonSerDe": {}},
            {
                "OrcSerDe": {
                    "Compression": "ZLIB",
                    "FormatVersion": "V0_11",
                    "BloomFilterColumns": ["name"],
                    "RowIndexStride": 1000,
                    "StripeSizeBytes": 8388608,
                    "EnablePadding": True,
                }
            },
        ),
        table(),
    )
    assert converter.extension == ".orc"
    body, failures = converter.convert(records(FULL, {"id": 8, "price": 1}))
    assert failures == []
    read = orc.ORCFile(io.BytesIO(body))
    assert read.compression == "ZLIB" and read.file_version == "0.11"
    rows = read.read().to_pylist()
    assert rows[0]["price"] == Decimal("12.35") and rows[0]["inner"] == {"a": 1, "b_c": None}
    assert rows[1]["price"] == Decimal("1.00")
    read_types = {field.name: field.type for field in read.schema}
    assert read_types["inner"] == pa.struct([("a", pa.int32()), ("b_c", pa.string())])
    assert read_types["attrs"] == pa.map_(pa.string(), pa.int32()) and pa.types.is_timestamp(read_types["ts"])


def test_bad_schema_fails_every_record_and_error_fields() -> None:
    converter = Converter(config({"OpenXJsonSerDe": {}}), table((("n", "int"), ("bad", "array<"))))
    body, failures = converter.convert(records({"n": 1}, {"n": 2}))
    assert body == b"" and [f.error_code for f in failures] == ["DataFormatConversion.InvalidSchema"] * 2
    record = Record("r", b"{}", 5, KinesisMetadata("shardId-000000000000", "pk", "4959", 2, 5))
    fields = converter.error_fields(
        failures[0].__class__(record, "format-conversion-failed", "c", "m"),
        account="123456789012",
        region="eu-west-1",
    )
    assert fields == {
        "sequenceNumber": "4959",
        "subSequenceNumber": 2,
        "dataCatalogTable": {
            "catalogId": "123456789012",
            "databaseName": "db",
            "tableName": "events",
            "region": "eu-west-1",
            "versionId": "3",
            "catalogArn": "arn:aws:glue:eu-west-1:123456789012:catalog",
        },
    }


def test_values_that_do_not_fit_fail_alone() -> None:
    converter = Converter(config({"OpenXJsonSerDe": {}}), table((("n", "tinyint"), ("d", "decimal(3,1)"))))
    body, failures = converter.convert(records({"n": 1}, {"n": 300}, {"d": 1234.5}, {"n": [1]}, {"n": True}))
    assert pq.read_table(io.BytesIO(body)).to_pylist() == [{"n": 1, "d": None}]
    assert len(failures) == 4
    assert "out of range" in failures[0].error_message and "does not fit" in failures[1].error_message


def test_unknown_serializer_is_rejected() -> None:
    with pytest.raises(ValueError, match="ParquetSerDe or OrcSerDe"):
        Converter(config({"OpenXJsonSerDe": {}}, {}), table())
