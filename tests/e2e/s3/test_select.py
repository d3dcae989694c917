"""SelectObjectContent end to end: boto3 parses the event stream (CRCs and all) while we iterate the
Payload; CSV, JSON and Parquet inputs, compression, the SQL dialect, ScanRange and the errors."""

from __future__ import annotations

import bz2
import gzip
import io
import json
from typing import Any

import pytest
from botocore.exceptions import EventStreamError

from tests.e2e.support.s3 import error_of

CSV = b'name,city,age\nAda,London,36\nGrace,New York,85\nLinus,Helsinki,54\n"Doe, Jane",Paris,\n'
CSV_IN = {"CSV": {"FileHeaderInfo": "USE"}}
CSV_OUT = {"CSV": {}}
JSON_OUT = {"JSON": {}}


def select(
    s3: Any, key: str, sql: str, source: dict[str, Any], out: dict[str, Any] | None = None, **extra: Any
) -> tuple[str, dict[str, Any]]:
    response = s3.select_object_content(
        Bucket="sel",
        Key=key,
        Expression=sql,
        ExpressionType="SQL",
        InputSerialization=source,
        OutputSerialization=out or CSV_OUT,
        **extra,
    )
    records, events = [], {}
    for event in response["Payload"]:
        for name, body in event.items():
            if name == "Records":
                records.append(body["Payload"].decode())
            else:
                events[name] = body
    return "".join(records), events


@pytest.fixture
def sel(s3: Any) -> Any:
    s3.create_bucket(Bucket="sel")
    s3.put_object(Bucket="sel", Key="people.csv", Body=CSV)
    return s3


def test_csv_with_header(sel: Any) -> None:
    rows, events = select(
        sel,
        "people.csv",
        "SELECT s.name, s.city FROM S3Object s WHERE s.age <> '' AND CAST(s.age AS INT) > 40",
        CSV_IN,
    )
    assert rows == "Grace,New York\nLinus,Helsinki\n"
    assert events["Stats"]["Details"] == {
        "BytesScanned": len(CSV),
        "BytesProcessed": len(CSV),
        "BytesReturned": len(rows),
    }
    assert "End" in events
    rows, _ = select(
        sel, "people.csv", "SELECT * FROM S3Object s WHERE s.age IS NULL OR s.age = ''", CSV_IN, JSON_OUT
    )
    assert [json.loads(line) for line in rows.splitlines()] == [
        {"name": "Doe, Jane", "city": "Paris", "age": ""}
    ]
    rows, _ = select(
        sel, "people.csv", "SELECT s._1 FROM S3Object s LIMIT 2", {"CSV": {"FileHeaderInfo": "IGNORE"}}
    )
    assert rows == "Ada\nGrace\n"
    rows, _ = select(
        sel, "people.csv", "SELECT _1, _3 FROM S3Object", {"CSV": {"FileHeaderInfo": "NONE"}}, JSON_OUT
    )
    assert json.loads(rows.splitlines()[0]) == {"_1": "name", "_3": "age"}
    rows, _ = select(
        sel,
        "people.csv",
        "SELECT s.name FROM S3Object s WHERE s.city LIKE '%on%' AND s.age BETWEEN 30 AND 40",
        CSV_IN,
    )
    assert rows == "Ada\n"


def test_aggregates_and_output_settings(sel: Any) -> None:
    sql = "SELECT COUNT(*), SUM(CAST(s.age AS INT)), MIN(s.name), MAX(CAST(s.age AS INT)), AVG(CAST(s.age AS FLOAT)) FROM S3Object s WHERE s.age <> ''"
    rows, _ = select(sel, "people.csv", sql, CSV_IN)
    assert rows == "3,175,Ada,85,58.333333333333336\n"
    out = {"CSV": {"FieldDelimiter": "|", "RecordDelimiter": ";", "QuoteFields": "ALWAYS"}}
    rows, _ = select(
        sel,
        "people.csv",
        "SELECT s.name AS n, UPPER(s.city) FROM S3Object s WHERE s.name = 'Ada'",
        CSV_IN,
        out,
    )
    assert rows == '"Ada"|"LONDON";'
    semi = b"a;b\n1;'x;y'\n"
    sel.put_object(Bucket="sel", Key="semi.csv", Body=semi)
    rows, _ = select(
        sel,
        "semi.csv",
        "SELECT s.b FROM S3Object s",
        {"CSV": {"FileHeaderInfo": "USE", "FieldDelimiter": ";", "QuoteCharacter": "'"}},
    )
    assert rows == "x;y\n"


def test_json_documents_and_lines(sel: Any) -> None:
    lines = b"".join(
        json.dumps(d).encode() + b"\n"
        for d in (
            {"id": 1, "user": {"name": "ada", "tags": ["x", "y"]}},
            {"id": 2, "user": {"name": "bob", "tags": []}},
            {"id": 3, "user": None},
        )
    )
    sel.put_object(Bucket="sel", Key="events.jsonl", Body=lines)
    rows, _ = select(
        sel,
        "events.jsonl",
        "SELECT s.id, s.user.name FROM S3Object s WHERE s.user.name IS NOT NULL",
        {"JSON": {"Type": "LINES"}},
        JSON_OUT,
    )
    assert [json.loads(r) for r in rows.splitlines()] == [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]
    rows, _ = select(
        sel,
        "events.jsonl",
        "SELECT s.user.tags[1] FROM S3Object s WHERE s.id = 1",
        {"JSON": {"Type": "LINES"}},
        CSV_OUT,
    )
    assert rows == "y\n"
    document = json.dumps({"items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 5}]}, indent=2).encode()
    sel.put_object(Bucket="sel", Key="doc.json", Body=document)
    rows, _ = select(
        sel,
        "doc.json",
        "SELECT i.sku FROM S3Object[*].items[*] i WHERE i.qty > 3",
        {"JSON": {"Type": "DOCUMENT"}},
        JSON_OUT,
    )
    assert rows == '{"sku":"b"}\n'
    rows, _ = select(sel, "doc.json", "SELECT * FROM S3Object", {"JSON": {"Type": "DOCUMENT"}}, JSON_OUT)
    assert json.loads(rows) == json.loads(document)


def test_compressed_inputs(sel: Any) -> None:
    sel.put_object(Bucket="sel", Key="p.csv.gz", Body=gzip.compress(CSV))
    sel.put_object(Bucket="sel", Key="p.csv.bz2", Body=bz2.compress(CSV))
    for key, kind in (("p.csv.gz", "GZIP"), ("p.csv.bz2", "BZIP2")):
        rows, events = select(
            sel,
            key,
            "SELECT s.name FROM S3Object s WHERE s.city = 'Helsinki'",
            {**CSV_IN, "CompressionType": kind},
            RequestProgress={"Enabled": True},
        )
        assert rows == "Linus\n"
        assert events["Stats"]["Details"]["BytesProcessed"] == len(CSV)
        assert events["Progress"]["Details"]["BytesProcessed"] == len(CSV)


def test_parquet(sel: Any) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"id": list(range(5000)), "kind": ["odd" if i % 2 else "even" for i in range(5000)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=1000)
    sel.put_object(Bucket="sel", Key="t.parquet", Body=buffer.getvalue())
    rows, _ = select(
        sel,
        "t.parquet",
        "SELECT COUNT(*) FROM S3Object s WHERE s.kind = 'odd' AND s.id < 100",
        {"Parquet": {}},
    )
    assert rows == "50\n"
    rows, _ = select(
        sel, "t.parquet", "SELECT s.id FROM S3Object s WHERE s.id >= 4998", {"Parquet": {}}, JSON_OUT
    )
    assert rows == '{"id":4998}\n{"id":4999}\n'


def test_scan_range(sel: Any) -> None:
    body = b"".join(f"{i},row{i}\n".encode() for i in range(100))
    sel.put_object(Bucket="sel", Key="r.csv", Body=body)
    whole = [
        select(sel, "r.csv", "SELECT s._1 FROM S3Object s", {"CSV": {}}, ScanRange=r)[0]
        for r in ({"Start": 0, "End": 99}, {"Start": 100, "End": 299}, {"Start": 300})
    ]
    numbers = [int(n) for part in whole for n in part.split()]
    assert numbers == list(range(100))  # every record exactly once, split by where it starts


def test_large_object_streams_many_events(sel: Any) -> None:
    body = b"".join(f"{i},{'x' * 40}\n".encode() for i in range(60_000))
    sel.put_object(Bucket="sel", Key="big.csv", Body=body)
    response = sel.select_object_content(
        Bucket="sel",
        Key="big.csv",
        Expression="SELECT * FROM S3Object",
        ExpressionType="SQL",
        InputSerialization={"CSV": {}},
        OutputSerialization=CSV_OUT,
    )
    chunks = [e["Records"]["Payload"] for e in response["Payload"] if "Records" in e]
    assert len(chunks) > 10 and b"".join(chunks) == body


def test_errors(sel: Any) -> None:
    missing = error_of(
        sel.select_object_content,
        Bucket="sel",
        Key="nope",
        Expression="SELECT * FROM S3Object",
        ExpressionType="SQL",
        InputSerialization=CSV_IN,
        OutputSerialization=CSV_OUT,
    )
    assert (missing.code, missing.status) == ("NoSuchKey", 404)
    bad = error_of(
        sel.select_object_content,
        Bucket="sel",
        Key="people.csv",
        Expression="SELECT * FROM S3Object WHERE",
        ExpressionType="SQL",
        InputSerialization=CSV_IN,
        OutputSerialization=CSV_OUT,
    )
    assert (bad.code, bad.status) == ("ParseUnexpectedToken", 400)
    star = error_of(
        sel.select_object_content,
        Bucket="sel",
        Key="people.csv",
        Expression="SELECT *, s.name FROM S3Object s",
        ExpressionType="SQL",
        InputSerialization=CSV_IN,
        OutputSerialization=CSV_OUT,
    )
    assert star.code == "ParseAsteriskIsNotAloneInSelectList"
    with pytest.raises(EventStreamError) as raised:
        select(sel, "people.csv", "SELECT CAST(s.city AS INT) FROM S3Object s", CSV_IN)
    assert raised.value.response["Error"]["Code"] == "CastFailed"
